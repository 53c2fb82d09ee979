"""The services of the stream functions, built once per Lambda instance on first use (no client is
created and no environment read at import time)."""

from __future__ import annotations

from functools import cache
from typing import Any

from klantreis import dynamo
from klantreis.conversations.store import DynamoChatStore
from klantreis.projections.attribution import AttributionStore
from klantreis.projections.day_counters import CounterStore, DynamoCounterStore
from klantreis.projections.live_board import DynamoLiveBoardStore, LiveBoardUpdater
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


def live_updater() -> LiveBoardUpdater:
    return _live_updater(dynamo.client(), get_settings().table_name)


@cache
def _live_updater(client: Any, table: str) -> LiveBoardUpdater:
    # Keyed on the client: a test or the local stack that swaps the client (and resets only the
    # caches it knows of) never reaches a stale one through this module.
    return LiveBoardUpdater(DynamoLiveBoardStore(client, table))


def reset() -> None:
    """Forgets every built service (tests that change the environment call this)."""
    counter_store.cache_clear()
    _live_updater.cache_clear()
