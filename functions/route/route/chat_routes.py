"""The console's chat routes of the route function: the agent's view of the visitor's journey,
discounts, the end, why the chat went where it went, and answer suggestions. Every one is behind
the gateway's Cognito authorizer. The routes the widget shares (start, read, write) are the chat
function's (functions/chat).

Who may do what: the agent the chat is assigned to; an operator of the site (read and end).
Another site's chat does not exist for the caller (404); another agent's chat is refused (403).
"""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Depends, Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, Field

from klantreis.api import checked_first, current_principal, new_router
from klantreis.auth import Principal
from klantreis.conversations.context import ChatContext, chat_context
from klantreis.conversations.discounts import DiscountService
from klantreis.conversations.dynamo_store import DynamoChatMessages, DynamoChatPlacement, DynamoChatReader
from klantreis.conversations.ending import ChatEnder
from klantreis.conversations.inbox import ChatLookup
from klantreis.conversations.models import Chat, RoutingRecord
from klantreis.conversations.ports import DecisionReader
from klantreis.errors import Forbidden
from klantreis.journey.dynamo_store import DynamoSessionStore
from klantreis.keys import ID_PATTERN
from klantreis.knowledge.chat import MESSAGES_LOOKED_AT, chat_signals
from klantreis.knowledge.ports import KnowledgeStore
from klantreis.knowledge.suggest import DEFAULT_LIMIT as DEFAULT_SUGGESTIONS
from klantreis.knowledge.suggest import MAX_LIMIT as MAX_SUGGESTIONS
from klantreis.knowledge.suggest import Suggestion, suggest
from klantreis.observability import logger, metrics
from klantreis.sites import Site, SiteDirectory
from klantreis.strict import STRICT_INPUT
from route import dependencies

router = new_router()

ChatPath = Annotated[str, Path(pattern=ID_PATTERN, max_length=100, description="The chat.")]
TAGS = ["chats"]
Directory = Annotated[SiteDirectory, Depends(dependencies.site_directory)]
Lookup = Annotated[ChatLookup, Depends(dependencies.chat_lookup)]
Discounts = Annotated[DiscountService, Depends(dependencies.discount_service)]
Ender = Annotated[ChatEnder, Depends(dependencies.chat_ender)]
Sessions = Annotated[DynamoSessionStore, Depends(dependencies.session_store)]
ChatHistory = Annotated[DynamoChatReader, Depends(dependencies.chat_reader)]
Decisions = Annotated[DecisionReader, Depends(dependencies.decision_reader)]
Routing = Annotated[DynamoChatPlacement, Depends(dependencies.chat_placement)]
LatestMessages = Annotated[DynamoChatMessages, Depends(dependencies.chat_messages)]
Knowledge = Annotated[KnowledgeStore, Depends(dependencies.knowledge_store)]


class DiscountBody(BaseModel):
    model_config = STRICT_INPUT

    percent: float = Field(gt=0, le=100)


class DiscountAnswer(BaseModel):
    code: str
    percent: float
    chat_id: str


class EndBody(BaseModel):
    model_config = STRICT_INPUT

    resolved: bool


class EndAnswer(BaseModel):
    chat_id: str
    status: Literal["ended"]
    resolved: bool | None


class RoutingHistory(BaseModel):
    chat_id: str
    records: list[RoutingRecord]


class Suggestions(BaseModel):
    chat_id: str
    suggestions: list[Suggestion]


def _agent_claims(*roles: Literal["agent", "operator"]) -> Principal:
    """The claims the gateway's Cognito authorizer (or the local stack) put in the request."""
    return current_principal(router).require(*roles)


def _agent_of(
    chat_id: str, directory: SiteDirectory, lookup: ChatLookup, *roles: Literal["agent", "operator"]
) -> tuple[Principal, Site, Chat]:
    principal = _agent_claims(*roles)
    site = directory.existing(principal.site_id)
    chat = lookup.chat(site, chat_id)
    if principal.role == "agent" and chat.agent_id != principal.sub:
        raise Forbidden("this chat is another agent's")
    return principal, site, chat


@router.get(
    "/v1/chats/<chat_id>/context",
    summary="The visitor's journey for the chat's agent (agent or operator)",
    description="Pages and products with view counts, cart contents and value, the furthest "
    "checkout step, whether the visitor dropped out at checkout, the scores of the session's "
    "latest decision, and the visitor's earlier chats with their surveys.",
    tags=TAGS,
)
@checked_first(lambda _path: _agent_claims("agent", "operator"))
def get_context(
    chat_id: ChatPath,
    *,
    directory: Directory,
    lookup: Lookup,
    sessions: Sessions,
    history: ChatHistory,
    decisions: Decisions,
) -> ChatContext:
    _, _, chat = _agent_of(chat_id, directory, lookup, "agent", "operator")
    return chat_context(chat, sessions, history, decisions)


@router.post(
    "/v1/chats/<chat_id>/discounts",
    summary="Give the visitor a single-use discount code (the chat's agent)",
    description="403 above the agent's mandate; 409 when the chat has a code already or is not "
    "being served. A purchase carrying the code is attributed to the chat and its agent.",
    responses={
        201: {"description": "the code"},
        409: {"description": "the chat has a code already or is not being served (code conflict)"},
    },
    tags=TAGS,
)
@checked_first(lambda _path: _agent_claims("agent"))
def post_discount(
    chat_id: ChatPath, body: DiscountBody, directory: Directory, lookup: Lookup, discounts: Discounts
) -> Response[DiscountAnswer]:
    principal, site, chat = _agent_of(chat_id, directory, lookup, "agent")
    discount = discounts.discount(site, chat, principal.sub, body.percent)
    metrics.add_metric(name="DiscountsGiven", unit="Count", value=1)
    logger.info(
        "discount given", extra={"site_id": site.site_id, "chat_id": chat.chat_id, "percent": body.percent}
    )
    answer = DiscountAnswer(code=discount.code, percent=discount.percent, chat_id=chat.chat_id)
    return Response(status_code=201, content_type="application/json", body=answer)


@router.post(
    "/v1/chats/<chat_id>/end",
    summary="End a chat (its agent, or an operator)",
    description="Frees the agent's slot (the queue's next chat may follow at once). 409 when it "
    "has ended already.",
    responses={
        200: {"description": "the chat has ended"},
        409: {"description": "the chat has ended already (code conflict)"},
    },
    tags=TAGS,
)
@checked_first(lambda _path: _agent_claims("agent", "operator"))
def post_end(
    chat_id: ChatPath, body: EndBody, directory: Directory, lookup: Lookup, ender: Ender
) -> EndAnswer:
    _, site, chat = _agent_of(chat_id, directory, lookup, "agent", "operator")
    ended = ender.end(site, chat, body.resolved)
    metrics.add_metric(name="ChatsEnded", unit="Count", value=1)
    return EndAnswer(chat_id=ended.chat_id, status="ended", resolved=ended.resolved)


@router.get(
    "/v1/chats/<chat_id>/routing",
    summary="Why the chat went where it went (agent or operator)",
    description="Every routing record of the chat, oldest first: assigned, queued or requeued, "
    "the strategy, the reason, and every candidate agent with its scores (best first), so the "
    "first candidate of an assignment is the one chosen and why it won.",
    tags=TAGS,
)
@checked_first(lambda _path: _agent_claims("agent", "operator"))
def get_routing(chat_id: ChatPath, directory: Directory, lookup: Lookup, routing: Routing) -> RoutingHistory:
    _, site, chat = _agent_of(chat_id, directory, lookup, "agent", "operator")
    records = routing.routing_records(site.site_id, chat.chat_id)
    return RoutingHistory(chat_id=chat.chat_id, records=records)


@router.get(
    "/v1/chats/<chat_id>/suggestions",
    summary="Answer suggestions from the knowledge base for the chat (agent or operator)",
    description="The site's FAQ entries and canned replies ranked (BM25, Dutch and English) by the "
    "visitor's latest messages, with the journey (category, products, stage) as weaker terms; "
    "each with its score and the terms it matched. Empty when nothing matches.",
    tags=TAGS,
)
@checked_first(lambda _path: _agent_claims("agent", "operator"))
def get_suggestions(
    chat_id: ChatPath,
    *,
    directory: Directory,
    lookup: Lookup,
    sessions: Sessions,
    history: ChatHistory,
    decisions: Decisions,
    latest_messages: LatestMessages,
    knowledge: Knowledge,
    limit: Annotated[
        int, Query(ge=1, le=MAX_SUGGESTIONS, description="How many at most.")
    ] = DEFAULT_SUGGESTIONS,
) -> Suggestions:
    _, site, chat = _agent_of(chat_id, directory, lookup, "agent", "operator")
    context = chat_context(chat, sessions, history, decisions)
    latest = latest_messages.latest_messages(site.site_id, chat.chat_id, MESSAGES_LOOKED_AT)
    entries = knowledge.entries(site.site_id)
    found = suggest(entries, chat_signals(chat, latest, context), limit)
    return Suggestions(chat_id=chat.chat_id, suggestions=found)
