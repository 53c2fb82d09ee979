"""In-memory fakes of the core's ports, for unit tests and the bench: same contracts as the
DynamoDB adapters (optimistic versions, chunks written before the session, markers counted once),
no sockets. Stored objects are copies, so a caller's later changes do not leak into the store,
just as they would not into a table.

Each port's fake has a module of its own here, run through the same contract test as its DynamoDB
adapter (tests/integration/test_*_contract.py): `agents`, `chats`, `engagement`, `journey`,
`knowledge`, `projections`, `reports`, `sites`; those that were here before are imported from here as well."""

from __future__ import annotations

from klantreis.engagement.records import Decision
from tests.fakes.agents import InMemoryAgentStore
from tests.fakes.engagement import (
    InMemoryEngagementRecords,
    InMemoryEngagementSettingsStore,
    InMemoryPageStatsSource,
    InMemorySiteModelStore,
)
from tests.fakes.journey import InMemorySessionStore, SessionKey
from tests.fakes.projections import InMemoryCounterStore
from tests.fakes.sites import InMemorySiteStore

__all__ = [
    "InMemoryAgentStore",
    "InMemoryChatStore",
    "InMemoryChats",
    "InMemoryCounterStore",
    "InMemoryDecisionReader",
    "InMemoryEngagementRecords",
    "InMemoryEngagementSettingsStore",
    "InMemoryPageStatsSource",
    "InMemorySessionStore",
    "InMemorySiteModelStore",
    "InMemorySiteStore",
    "SessionKey",
]


class InMemoryDecisionReader:
    """klantreis.conversations.context.DecisionReader in memory: like the adapter, it looks at the
    visitor's `limit` newest decisions only."""

    def __init__(self, decisions: list[Decision] | None = None, *, limit: int = 20) -> None:
        self.decisions: list[Decision] = list(decisions or [])
        self.limit = limit
        self.reads = 0

    def latest_decision(self, site_id: str, visitor_id: str, session_id: str) -> Decision | None:
        self.reads += 1
        of_visitor = sorted(
            (d for d in self.decisions if (d.site_id, d.visitor_id) == (site_id, visitor_id)),
            key=lambda d: (d.at, d.decision_id),
            reverse=True,
        )[: self.limit]
        return next((d for d in of_visitor if d.session_id == session_id), None)


# The chat fakes, re-exported where the tests import them from.
from tests.fakes.chats import InMemoryChats as InMemoryChats  # noqa: E402
from tests.fakes.chats import InMemoryChatStore as InMemoryChatStore  # noqa: E402
