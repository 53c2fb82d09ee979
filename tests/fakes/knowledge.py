"""klantreis.knowledge.ports.KnowledgeStore in memory (held to the port's contract with the
DynamoDB adapter: tests/integration/test_knowledge_store_contract.py)."""

from __future__ import annotations

from datetime import datetime

from klantreis.knowledge.models import KnowledgeEntry, KnowledgeEntryInput


class InMemoryKnowledgeStore:
    def __init__(self) -> None:
        self.entries_by_site: dict[str, dict[str, KnowledgeEntry]] = {}

    def entries(self, site_id: str) -> list[KnowledgeEntry]:
        # The table's order: by sort key, which is the entry id behind a fixed prefix.
        held = self.entries_by_site.get(site_id, {})
        return [held[entry_id] for entry_id in sorted(held)]

    def put(self, site_id: str, entry_id: str, entry: KnowledgeEntryInput, at: datetime) -> KnowledgeEntry:
        stored = KnowledgeEntry(**entry.model_dump(), entry_id=entry_id, updated_at=at)
        self.entries_by_site.setdefault(site_id, {})[entry_id] = stored
        return stored

    def delete(self, site_id: str, entry_id: str) -> bool:
        return self.entries_by_site.get(site_id, {}).pop(entry_id, None) is not None
