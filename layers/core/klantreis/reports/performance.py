"""Agent x category performance as routing keeps it (the PERF items every chat, conversion and
survey add to): what the operator reads to see who serves which category well, and what the
predictive routing weighs. Running totals since the agent first served the category."""

from __future__ import annotations

from pydantic import BaseModel

from klantreis.routing.performance import Performance

DIGITS = 4


class AgentCategoryPerformance(BaseModel):
    agent_id: str
    category: str
    """`*` for chats without a category."""
    chats: int
    """Chats assigned to the agent in the category (the sample of conversion)."""
    conversions: int
    conversion_rate: float | None = None
    ended: int
    """Chats the agent ended (the sample of resolution and handle time)."""
    resolved: int
    resolution_rate: float | None = None
    """Resolved of those ended (0..1); first-contact resolution also needs the follow-ups, which
    only the daily report's site-wide counters hold."""
    mean_handle_seconds: float | None = None
    csat: float | None = None
    """% of CSAT answers 4-5."""
    csat_answers: int
    nps: float | None = None
    nps_answers: int
    ces: float | None = None
    """Mean effort answer, 1..7 (lower is easier)."""
    ces_answers: int

    @classmethod
    def of(cls, agent_id: str, category: str, perf: Performance) -> AgentCategoryPerformance:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, DIGITS)

        return cls(
            agent_id=agent_id,
            category=category,
            chats=perf.chats,
            conversions=perf.conversions,
            conversion_rate=rounded(perf.conversion_rate),
            ended=perf.ended,
            resolved=perf.resolved,
            resolution_rate=rounded(perf.resolved / perf.ended if perf.ended > 0 else None),
            mean_handle_seconds=rounded(perf.mean_handle_seconds),
            csat=rounded(None if perf.csat is None else 100.0 * perf.csat),
            csat_answers=perf.csat_n,
            nps=rounded(perf.nps),
            nps_answers=perf.nps_n,
            ces=rounded(perf.ces),
            ces_answers=perf.ces_n,
        )
