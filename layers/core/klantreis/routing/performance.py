"""Observed performance of one agent in one category (or a team total) as plain counters.

Counters, not averages, because they add up: the data layer increments them atomically as chats
are assigned, end and get surveyed, a team total is their sum, and the derived figures (CSAT,
NPS, CES, conversion rate, handle time) are computed only when read. Each derived figure is None
when there is no data, so "no surveys yet" is never mistaken for a score of zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

SURVEY_ANSWER_COUNTERS = (
    "csat_n",
    "csat_good",
    "csat_sum",
    "nps_n",
    "nps_promoters",
    "nps_detractors",
    "ces_n",
    "ces_sum",
)
"""What `survey_counts` adds for one survey's answers (routing's performance and the daily report)."""
PERFORMANCE_COUNTERS = (
    "chats",
    "conversions",
    "ended",
    "resolved",
    "handle_seconds",
    *SURVEY_ANSWER_COUNTERS,
)

CSAT_RANGE = (1, 5)
CSAT_GOOD = 4
"""CSAT answers 4-5 count as satisfied (the contract: CSAT = % of answers 4-5)."""
NPS_RANGE = (0, 10)
NPS_PROMOTER = 9
NPS_DETRACTOR = 6
"""NPS answers 9-10 are promoters, 0-6 detractors."""
CES_RANGE = (1, 7)


@dataclass(frozen=True)
class Performance:
    """One agent in one category, or a team total; every counter starts at 0."""

    chats: int = 0
    """Chats assigned."""
    conversions: int = 0
    """Chats followed by a purchase attributed to the chat."""
    ended: int = 0
    resolved: int = 0
    handle_seconds: float = 0.0
    """Sum over ended chats of (ended_at - assigned_at)."""
    csat_n: int = 0
    csat_good: int = 0
    """CSAT answers 4-5."""
    csat_sum: float = 0.0
    nps_n: int = 0
    nps_promoters: int = 0
    """NPS answers 9-10."""
    nps_detractors: int = 0
    """NPS answers 0-6."""
    ces_n: int = 0
    ces_sum: float = 0.0

    @classmethod
    def from_counts(cls, counts: Mapping[str, float]) -> Performance:
        """From stored counters (DynamoDB numbers may arrive as Decimal or float): unknown keys
        are ignored, so an item's other attributes can be passed as they are; missing ones are 0."""

        def count(name: str) -> float:
            raw = counts.get(name)
            return 0.0 if raw is None else float(raw)

        return cls(
            chats=int(count("chats")),
            conversions=int(count("conversions")),
            ended=int(count("ended")),
            resolved=int(count("resolved")),
            handle_seconds=count("handle_seconds"),
            csat_n=int(count("csat_n")),
            csat_good=int(count("csat_good")),
            csat_sum=count("csat_sum"),
            nps_n=int(count("nps_n")),
            nps_promoters=int(count("nps_promoters")),
            nps_detractors=int(count("nps_detractors")),
            ces_n=int(count("ces_n")),
            ces_sum=count("ces_sum"),
        )

    def __add__(self, other: object) -> Performance:
        if not isinstance(other, Performance):
            return NotImplemented
        return Performance(
            **{name: getattr(self, name) + getattr(other, name) for name in PERFORMANCE_COUNTERS}
        )

    def as_counts(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in PERFORMANCE_COUNTERS}

    @property
    def csat(self) -> float | None:
        """Share of CSAT answers that were 4-5 (0..1)."""
        return self.csat_good / self.csat_n if self.csat_n > 0 else None

    @property
    def nps(self) -> float | None:
        """% promoters minus % detractors (-100..100)."""
        if self.nps_n <= 0:
            return None
        return 100.0 * (self.nps_promoters - self.nps_detractors) / self.nps_n

    @property
    def ces(self) -> float | None:
        """Mean customer-effort answer (1..7)."""
        return self.ces_sum / self.ces_n if self.ces_n > 0 else None

    @property
    def conversion_rate(self) -> float | None:
        """Conversions per assigned chat (0..1)."""
        return self.conversions / self.chats if self.chats > 0 else None

    @property
    def mean_handle_seconds(self) -> float | None:
        return self.handle_seconds / self.ended if self.ended > 0 else None


def team_total(perfs: Iterable[Performance]) -> Performance:
    """The sum of the agents' counters: the team average of any figure weighs each chat or survey
    once, not each agent."""
    total = Performance()
    for perf in perfs:
        total = total + perf
    return total


def _check(name: str, value: int, bounds: tuple[int, int]) -> None:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer {low}..{high}, got {value!r}")


def survey_counts(csat: int | None, nps: int | None, ces: int | None) -> dict[str, float]:
    """The counter increments one survey adds; questions left unanswered add nothing.

    >>> survey_counts(5, None, None)
    {'csat_n': 1, 'csat_good': 1, 'csat_sum': 5.0}
    """
    counts: dict[str, float] = {}
    if csat is not None:
        _check("csat", csat, CSAT_RANGE)
        counts |= {"csat_n": 1, "csat_good": int(csat >= CSAT_GOOD), "csat_sum": float(csat)}
    if nps is not None:
        _check("nps", nps, NPS_RANGE)
        counts |= {
            "nps_n": 1,
            "nps_promoters": int(nps >= NPS_PROMOTER),
            "nps_detractors": int(nps <= NPS_DETRACTOR),
        }
    if ces is not None:
        _check("ces", ces, CES_RANGE)
        counts |= {"ces_n": 1, "ces_sum": float(ces)}
    return counts


__all__ = [
    "PERFORMANCE_COUNTERS",
    "Performance",
    "survey_counts",
    "team_total",
]
