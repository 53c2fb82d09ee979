"""The knowledge store's DynamoDB adapter (the port: klantreis.knowledge.ports): entries are
`SITE#{site}` / `KB#{entry}`, one query reads a site's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from klantreis import dynamo, keys
from klantreis.knowledge.models import KnowledgeEntry, KnowledgeEntryInput


class DynamoKnowledgeStore:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def entries(self, site_id: str) -> list[KnowledgeEntry]:
        items = dynamo.query_prefix(
            self._db,
            self._table,
            keys.site_pk(site_id),
            keys.KNOWLEDGE_PREFIX,
        )
        entries = []
        for item in items:
            try:
                entries.append(KnowledgeEntry.model_validate(dynamo.from_item(item), strict=False))
            except ValidationError:
                continue  # an item of an older shape is skipped, never a 5xx
        return entries

    def put(self, site_id: str, entry_id: str, entry: KnowledgeEntryInput, at: datetime) -> KnowledgeEntry:
        stored = KnowledgeEntry(**entry.model_dump(), entry_id=entry_id, updated_at=at)
        item = {
            "PK": keys.site_pk(site_id),
            "SK": keys.knowledge_sk(entry_id),
            **stored.model_dump(mode="json"),
        }
        with dynamo.translated():
            self._db.put_item(TableName=self._table, Item=dynamo.to_item(item))
        return stored

    def delete(self, site_id: str, entry_id: str) -> bool:
        with dynamo.translated():
            answer = self._db.delete_item(
                TableName=self._table,
                Key=dynamo.to_item({"PK": keys.site_pk(site_id), "SK": keys.knowledge_sk(entry_id)}),
                ReturnValues="ALL_OLD",
            )
        return bool(answer.get("Attributes"))
