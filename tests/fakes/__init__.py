"""In-memory fakes of the core's ports, for unit tests and the bench: same contracts as the
DynamoDB adapters (optimistic versions, chunks written before the session, markers counted once),
no sockets. Stored objects are copies, so a caller's later changes do not leak into the store,
just as they would not into a table.

Each port's fake has a module of its own here, run through the same contract test as its DynamoDB
adapter (tests/integration/test_*_contract.py): `agents`, `chats`, `decisions`, `engagement`,
`journey`, `knowledge`, `projections`, `reports`, `sites`; those that were here before are imported
from here as well."""

from __future__ import annotations

from tests.fakes.agents import InMemoryAgentStore
from tests.fakes.decisions import InMemoryDecisionReader
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


# The chat fakes, re-exported where the tests import them from.
from tests.fakes.chats import InMemoryChats as InMemoryChats
from tests.fakes.chats import InMemoryChatStore as InMemoryChatStore
