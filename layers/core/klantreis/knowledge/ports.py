"""What the knowledge base needs of storage; the DynamoDB adapter is
klantreis.knowledge.dynamo_store, the test fake tests/fakes/knowledge.py."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from klantreis.knowledge.models import KnowledgeEntry, KnowledgeEntryInput


class KnowledgeStore(Protocol):
    def entries(self, site_id: str) -> list[KnowledgeEntry]: ...
    def put(
        self, site_id: str, entry_id: str, entry: KnowledgeEntryInput, at: datetime
    ) -> KnowledgeEntry: ...
    def delete(self, site_id: str, entry_id: str) -> bool: ...
