"""The services of the live view (its stream consumer and its route), built once per Lambda
instance on first use. Kept apart from `report.dependencies` so the live view's consumer imports
nothing of the reports it does not serve."""

from __future__ import annotations

from functools import cache
from typing import Any

from klantreis import dynamo
from klantreis.reports.live import DynamoLiveBoardStore, LiveBoardStore, LiveBoardUpdater
from klantreis.settings import get_settings


def board_store() -> LiveBoardStore:
    return _board_store(dynamo.client(), get_settings().table_name)


@cache
def _board_store(client: Any, table: str) -> DynamoLiveBoardStore:
    # Keyed on the client: a test or the local stack that swaps the client (and resets only the
    # caches it knows of) never reaches a stale one through this module.
    return DynamoLiveBoardStore(client, table)


def updater() -> LiveBoardUpdater:
    return _updater(_board_store(dynamo.client(), get_settings().table_name))


@cache
def _updater(store: DynamoLiveBoardStore) -> LiveBoardUpdater:
    return LiveBoardUpdater(store)


def reset() -> None:
    """Forgets every built service (tests that change the environment call this)."""
    _board_store.cache_clear()
    _updater.cache_clear()
