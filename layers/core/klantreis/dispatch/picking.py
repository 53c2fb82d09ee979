"""Who may take a chat and who should, as placement, the queue and the sweep all ask it: the
eligibility rule (`AgentProfile.can_take`) over the category and skills routing goes by, the
routing choice (`klantreis.routing.choice`) over the agents' performance, the routing record that
says why, and the jittered pause before a lost race is retried."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Literal, Protocol

from klantreis.agents.ports import DEFAULT_HEARTBEAT_SECONDS, AgentProfile
from klantreis.conversations.models import RoutingRecord
from klantreis.conversations.ports import QueueEntry
from klantreis.routing.choice import Candidate, RoutingChoice, Strategy, choose
from klantreis.routing.performance import Performance, team_total
from klantreis.sites import Site

RETRY_PAUSE_SECONDS = 0.02
"""The ceiling of the pause before the first retry of a lost race; it doubles with every further
loss (full jitter: the pause is drawn between 0 and the ceiling), so instances fall out of step."""


class PerformanceReader(Protocol):
    """The agents' performance per category (klantreis.conversations.ports.ChatPlacement has it)."""

    def performance(self, site_id: str, category: str | None) -> dict[str, Performance]: ...


def routable(
    agents: Sequence[AgentProfile], category: str | None, skills: Sequence[str]
) -> tuple[str | None, list[str]]:
    """The category and skills a chat is routed by: one no agent lists at all is dropped rather
    than leaving the chat waiting forever."""
    wanted = category if any(category in a.categories for a in agents) else None
    return wanted, [skill for skill in skills if any(skill in a.skills for a in agents)]


class AgentPicker:
    """The routing context one instance shares: the clock, the heartbeat window, the strategy and
    the seeded randomness of choices and pauses."""

    def __init__(
        self,
        performance: PerformanceReader,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
        heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS,
        strategy: Strategy = "predictive",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._performance = performance
        self.clock = clock
        self.heartbeat_seconds = heartbeat_seconds
        self.strategy: Strategy = strategy
        self._rng = rng or random.Random()
        self._sleep = sleep

    def candidates(
        self, agents: Sequence[AgentProfile], category: str | None, skills: Sequence[str], now: datetime
    ) -> list[AgentProfile]:
        """The agents who may take a chat of `category` and `skills` now."""
        wanted, known_skills = routable(agents, category, skills)
        return [a for a in agents if a.can_take(wanted, now, self.heartbeat_seconds, known_skills)]

    def takes(
        self, agent: AgentProfile, entry: QueueEntry, agents: Sequence[AgentProfile], now: datetime
    ) -> bool:
        """Whether routing could give the waiting chat of `entry` to `agent` now."""
        wanted, skills = routable(agents, entry.category, entry.skills)
        return agent.can_take(wanted, now, self.heartbeat_seconds, skills)

    def any_free(self, agents: Sequence[AgentProfile], now: datetime) -> bool:
        """Some agent has a free slot for some chat."""
        return any(a.can_take(None, now, self.heartbeat_seconds) for a in agents)

    def choose(self, site: Site, category: str | None, candidates: Sequence[AgentProfile]) -> RoutingChoice:
        performance = self._performance.performance(site.site_id, category)
        return choose(
            [
                Candidate(
                    agent_id=a.agent_id,
                    idle_since=a.idle_since,
                    free_slots=a.free_slots,
                    performance=performance.get(a.agent_id, Performance()),
                )
                for a in candidates
            ],
            team_total(performance.values()),
            strategy=self.strategy,
            rng=self._rng,
        )

    def pause(self, losses: int) -> None:
        """The jittered pause before retrying the `losses`-th lost race in a row."""
        ceiling = RETRY_PAUSE_SECONDS * 2 ** min(losses - 1, 5)
        self._sleep(self._rng.uniform(0, ceiling))


def routing_record(
    now: datetime, outcome: Literal["assigned", "queued", "requeued"], choice: RoutingChoice
) -> RoutingRecord:
    """Why the chat went to the chosen agent: every candidate's scores, best first."""
    return RoutingRecord(
        at=now,
        outcome=outcome,
        agent_id=choice.agent_id,
        strategy=choice.strategy,
        reason=choice.reason,
        candidates=[
            {
                "agent_id": s.agent_id,
                "score": round(s.score, 4),
                "expected_satisfaction": round(s.expected_satisfaction, 4),
                "expected_conversion": round(s.expected_conversion, 4),
                "evidence": s.evidence,
            }
            for s in choice.scores
        ],
    )
