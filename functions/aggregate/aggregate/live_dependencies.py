"""The live λ's service (live.py), built once per Lambda instance on first use. Apart from the
aggregate λ's dependencies so the live board's consumer imports nothing of the counters, the page
statistics or the chats it does not keep."""

from __future__ import annotations

from functools import cache
from typing import Any

from klantreis import dynamo
from klantreis.projections.live_board import DynamoLiveBoardStore, LiveBoardUpdater
from klantreis.settings import get_settings


def live_updater() -> LiveBoardUpdater:
    return _live_updater(dynamo.client(), get_settings().table_name)


@cache
def _live_updater(client: Any, table: str) -> LiveBoardUpdater:
    # Keyed on the client: a test or the local stack that swaps the client (and resets only the
    # caches it knows of) never reaches a stale one through this module.
    return LiveBoardUpdater(DynamoLiveBoardStore(client, table))


def reset() -> None:
    """Forgets every built service (tests that change the environment call this)."""
    _live_updater.cache_clear()
