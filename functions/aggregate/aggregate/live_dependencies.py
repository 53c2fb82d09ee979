"""The live λ's provider (live.py), reading the instance's services (`klantreis.services`). Apart
from the aggregate λ's providers so the live board's consumer imports nothing of the counters, the
page statistics or the chats it does not keep."""

from __future__ import annotations

from klantreis import services
from klantreis.projections.live_board import LiveBoardUpdater


def live_updater() -> LiveBoardUpdater:
    return services.current().live_updater
