"""The live view's route's service, built once per Lambda instance on first use (the board's
consumer is the stream function's, functions/aggregate)."""

from __future__ import annotations

from functools import cache
from typing import Any

from klantreis import dynamo
from klantreis.projections.live_board import DynamoLiveBoardStore, LiveBoardStore
from klantreis.settings import get_settings


def board_store() -> LiveBoardStore:
    return _board_store(dynamo.client(), get_settings().table_name)


@cache
def _board_store(client: Any, table: str) -> DynamoLiveBoardStore:
    # Keyed on the client: a test or the local stack that swaps the client (and resets only the
    # caches it knows of) never reaches a stale one through this module.
    return DynamoLiveBoardStore(client, table)


def reset() -> None:
    """Forgets every built service (tests that change the environment call this)."""
    _board_store.cache_clear()
