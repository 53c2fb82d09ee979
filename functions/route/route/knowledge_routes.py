"""Knowledge-base routes of the route function: the site's FAQ entries and canned replies, read by
its agents and operators, written by its operators. Suggestions for a chat are a chat route
(`chat_routes.get_suggestions`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Depends, Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel

from klantreis.api import checked_first, current_principal, new_router, roles_first
from klantreis.errors import Conflict, NotFound
from klantreis.keys import ID_PATTERN
from klantreis.knowledge.models import MAX_ENTRIES, EntryKind, KnowledgeEntry, KnowledgeEntryInput
from klantreis.knowledge.ports import KnowledgeStore
from klantreis.observability import logger
from route import dependencies

router = new_router()
Knowledge = Annotated[KnowledgeStore, Depends(dependencies.knowledge_store)]

EntryPath = Annotated[str, Path(pattern=ID_PATTERN, max_length=100, description="The entry.")]
TAGS = ["knowledge"]


class KnowledgeList(BaseModel):
    entries: list[KnowledgeEntry]
    max_entries: int = MAX_ENTRIES


class EntryDeleted(BaseModel):
    entry_id: str
    deleted: bool = True


@router.get(
    "/v1/knowledge/entries",
    summary="The site's knowledge base (agent or operator)",
    description="FAQ entries and canned replies, ordered by id; `kind` keeps one of them.",
    tags=TAGS,
)
@checked_first(roles_first(router, "agent", "operator"))
def get_entries(
    store: Knowledge,
    kind: Annotated[EntryKind | None, Query(description="Only FAQ entries or only canned replies.")] = None,
) -> KnowledgeList:
    principal = current_principal(router).require("agent", "operator")
    entries = store.entries(principal.site_id)
    return KnowledgeList(entries=[e for e in entries if kind is None or e.kind == kind])


@router.put(
    "/v1/knowledge/entries/<entry_id>",
    summary="Create or replace a knowledge-base entry (operator)",
    description=f"201 when created. A site holds at most {MAX_ENTRIES} entries (409 beyond); titles "
    "up to 200 and bodies up to 2,000 characters.",
    responses={200: {"description": "replaced"}, 201: {"description": "created"}},
    tags=TAGS,
)
@checked_first(roles_first(router, "operator"))
def put_entry(entry_id: EntryPath, entry: KnowledgeEntryInput, store: Knowledge) -> Response[KnowledgeEntry]:
    principal = current_principal(router).require("operator")
    existing = {e.entry_id for e in store.entries(principal.site_id)}
    created = entry_id not in existing
    if created and len(existing) >= MAX_ENTRIES:
        raise Conflict(f"the knowledge base holds at most {MAX_ENTRIES} entries; delete one first")
    stored = store.put(principal.site_id, entry_id, entry, datetime.now(UTC))
    logger.info("knowledge entry set", extra={"site_id": principal.site_id, "entry_id": entry_id})
    return Response(status_code=201 if created else 200, content_type="application/json", body=stored)


@router.delete(
    "/v1/knowledge/entries/<entry_id>",
    summary="Delete a knowledge-base entry (operator)",
    tags=TAGS,
)
@checked_first(roles_first(router, "operator"))
def delete_entry(entry_id: EntryPath, store: Knowledge) -> EntryDeleted:
    principal = current_principal(router).require("operator")
    if not store.delete(principal.site_id, entry_id):
        raise NotFound("no such entry")
    logger.info("knowledge entry deleted", extra={"site_id": principal.site_id, "entry_id": entry_id})
    return EntryDeleted(entry_id=entry_id)
