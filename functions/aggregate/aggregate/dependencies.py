"""The services of the aggregate λ (handler.py), built once per Lambda instance on first use (no
client is created and no environment read at import time). The live λ has its own
(live_dependencies.py), so neither imports what only the other uses."""

from __future__ import annotations

from functools import cache

from klantreis import dynamo
from klantreis.conversations.store import DynamoChatStore
from klantreis.projections.attribution import AttributionStore
from klantreis.projections.day_counters import CounterStore, DynamoCounterStore
from klantreis.projections.pages import DynamoChunkReader, DynamoPageStatsWriter
from klantreis.projections.report_counters import DecisionLookup, DynamoDecisionLookup
from klantreis.settings import get_settings


@cache
def counter_store() -> CounterStore:
    return DynamoCounterStore(dynamo.client(), get_settings().table_name)


def decision_lookup() -> DecisionLookup:
    # Not cached: cheap to build, and the client and settings it takes are cached already.
    return DynamoDecisionLookup(dynamo.client(), get_settings().table_name)


def chunk_reader() -> DynamoChunkReader:
    # One per batch: it holds the batch's prefetched chunks.
    return DynamoChunkReader(dynamo.client(), get_settings().table_name)


def page_writer() -> DynamoPageStatsWriter:
    # Not cached: cheap to build; what waits to be folded is estimated module-wide (pages.FOLD_ESTIMATES).
    return DynamoPageStatsWriter(dynamo.client(), get_settings().table_name)


def chat_store() -> AttributionStore:
    # Not cached: cheap to build, and the client and settings it takes are cached already.
    return DynamoChatStore(dynamo.client(), get_settings().table_name)


def reset() -> None:
    """Forgets every built service (tests that change the environment call this)."""
    counter_store.cache_clear()
