"""The site's routing statistics item (SITE#{site} / ROUTING#STATS): chats waiting per category
and the handle time of ended chats. `decide` reads it in its one BatchGetItem to estimate the wait
of a chat it would offer; routing keeps it in the same transactions that move chats."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from klantreis import keys

QUEUED_PREFIX = "q#"


@dataclass(frozen=True)
class RoutingStats:
    queued: Mapping[str, int] = field(default_factory=dict)
    ended: int = 0
    handle_seconds: float = 0.0

    def queued_in(self, category: str | None) -> int:
        return max(0, int(self.queued.get(category or keys.UNCATEGORIZED, 0)))

    @property
    def mean_handle_seconds(self) -> float | None:
        return self.handle_seconds / self.ended if self.ended else None


def queued_attribute(category: str | None) -> str:
    return f"{QUEUED_PREFIX}{category or keys.UNCATEGORIZED}"


def routing_stats_from_item(plain: Mapping[str, Any]) -> RoutingStats:
    queued = {
        str(name).removeprefix(QUEUED_PREFIX): int(value)
        for name, value in plain.items()
        if str(name).startswith(QUEUED_PREFIX)
    }
    return RoutingStats(
        queued=queued,
        ended=int(plain.get("ended", 0)),
        handle_seconds=float(plain.get("handle_seconds", 0.0)),
    )
