"""Which agent gets a chat: the predictive choice and the two baselines it is measured against.

Predictive routing is Thompson sampling over two outcomes per candidate, both in the chat's
category: satisfaction (the chance a CSAT answer is 4-5) and conversion (the chance the chat is
followed by a purchase). Each has a Beta posterior whose prior is the team's own figure for the
category worth PRIOR_STRENGTH pseudo-observations, so an agent with a handful of surveys sits
near the team average rather than at 0 % or 100 %, and an agent with many surveys is judged on
their own. Sampling from the posterior (instead of ranking posterior means) is the exploration:
a new agent's wide posterior often draws high, so they still get chats and their figures fill in;
a proven agent's narrow posterior wins as often as it deserves. Scores are rounded so draws that
differ only in noise count as a tie, and ties go to the agent idle longest (then agent id, so the
choice is deterministic for a given random stream).

Every choice carries the strategy, a short reason and the score of every candidate, so the
caller can record why each chat went where it went.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from klantreis.routing.performance import Performance

Strategy = Literal["predictive", "skills_only", "longest_idle"]

PRIOR_STRENGTH = 4.0
"""Pseudo-observations the team average is worth: with 4, an agent's own figure outweighs the
team's after about four surveys (or chats, for conversion)."""
DEFAULT_SATISFACTION = 0.75
"""Prior CSAT share (answers 4-5) when the team has no surveys in the category yet."""
DEFAULT_CONVERSION = 0.2
"""Prior conversion per chat when the team has no chats in the category yet."""
SATISFACTION_WEIGHT = 0.5
CONVERSION_WEIGHT = 0.5
"""The score is the weighted sum of the two sampled chances. Equal weights: a satisfied visitor
and a sale count alike, which keeps the score a plain "chance of a good outcome" and needs no
order value (the shop's margin is not known to routing)."""
SCORE_DECIMALS = 2
"""Scores are rounded to this many decimals before ranking; equal rounded scores are a tie."""
_PRIOR_MEAN_BOUNDS = (0.02, 0.98)
"""A team at 0 % or 100 % would make a degenerate prior; its mean is clamped inside these."""


@dataclass(frozen=True)
class Candidate:
    """An agent who can take the chat now (the caller filters on status, category and capacity)."""

    agent_id: str
    idle_since: float
    """Epoch seconds since the agent last got a chat (or became available); smaller = idle longer."""
    free_slots: int
    performance: Performance
    """This agent in the chat's category."""


@dataclass(frozen=True)
class CandidateScore:
    agent_id: str
    score: float
    """predictive: the rounded sampled outcome; skills_only: free slots; longest_idle: 0 (the
    order is the idle time alone)."""
    expected_satisfaction: float
    """Posterior mean, not the sample, so the record shows what the data said."""
    expected_conversion: float
    evidence: int
    """Surveys plus chats seen for this agent in the category."""


@dataclass(frozen=True)
class RoutingChoice:
    agent_id: str
    strategy: Strategy
    reason: str
    """Short human text: "only candidate", "highest sampled outcome", "most free slots",
    "longest idle" or "tie: longest idle"."""
    scores: list[CandidateScore]
    """Every candidate, best first."""


@dataclass(frozen=True)
class Beta:
    alpha: float
    beta: float

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    def sample(self, rng: random.Random) -> float:
        return rng.betavariate(self.alpha, self.beta)


def _prior_mean(team_figure: float | None, default: float) -> float:
    low, high = _PRIOR_MEAN_BOUNDS
    return min(high, max(low, default if team_figure is None else team_figure))


def _posterior(prior_mean: float, successes: int, trials: int) -> Beta:
    successes = max(0, min(successes, trials))
    return Beta(
        prior_mean * PRIOR_STRENGTH + successes,
        (1.0 - prior_mean) * PRIOR_STRENGTH + (trials - successes),
    )


def satisfaction_posterior(performance: Performance, team: Performance) -> Beta:
    """Beta over the chance this agent's next CSAT answer is 4-5, shrunk towards the team's share."""
    prior = _prior_mean(team.csat, DEFAULT_SATISFACTION)
    return _posterior(prior, performance.csat_good, performance.csat_n)


def conversion_posterior(performance: Performance, team: Performance) -> Beta:
    """Beta over the chance this agent's next chat converts, shrunk towards the team's rate."""
    prior = _prior_mean(team.conversion_rate, DEFAULT_CONVERSION)
    return _posterior(prior, performance.conversions, performance.chats)


def _ranked(
    candidates: Sequence[Candidate], team: Performance, score: Callable[[Candidate, Beta, Beta], float]
) -> list[tuple[CandidateScore, Candidate]]:
    rows = []
    for candidate in candidates:
        satisfaction = satisfaction_posterior(candidate.performance, team)
        conversion = conversion_posterior(candidate.performance, team)
        rows.append(
            (
                CandidateScore(
                    agent_id=candidate.agent_id,
                    score=score(candidate, satisfaction, conversion),
                    expected_satisfaction=round(satisfaction.mean, 4),
                    expected_conversion=round(conversion.mean, 4),
                    evidence=candidate.performance.csat_n + candidate.performance.chats,
                ),
                candidate,
            )
        )
    rows.sort(key=lambda row: (-row[0].score, row[1].idle_since, row[1].agent_id))
    return rows


def choose(
    candidates: Sequence[Candidate],
    team: Performance,
    *,
    strategy: Strategy = "predictive",
    rng: random.Random,
) -> RoutingChoice:
    """The agent for one chat, and why. `team` is the team total in the chat's category (the
    prior). Only `predictive` draws from `rng`; the baselines are deterministic."""
    if not candidates:
        raise ValueError("no candidates to choose from")

    def sampled(_: Candidate, satisfaction: Beta, conversion: Beta) -> float:
        outcome = SATISFACTION_WEIGHT * satisfaction.sample(rng) + CONVERSION_WEIGHT * conversion.sample(rng)
        return round(outcome, SCORE_DECIMALS)

    def slots(candidate: Candidate, _s: Beta, _c: Beta) -> float:
        return float(candidate.free_slots)

    def nothing(_: Candidate, _s: Beta, _c: Beta) -> float:
        return 0.0

    ways: dict[str, tuple[Callable[[Candidate, Beta, Beta], float], str]] = {
        "predictive": (sampled, "highest sampled outcome"),
        "skills_only": (slots, "most free slots"),
        "longest_idle": (nothing, "longest idle"),
    }
    if strategy not in ways:
        raise ValueError(f"unknown routing strategy {strategy!r}")
    score, best_reason = ways[strategy]
    rows = _ranked(candidates, team, score)

    scores = [row[0] for row in rows]
    if len(rows) == 1:
        reason = "only candidate"
    elif strategy != "longest_idle" and scores[0].score == scores[1].score:
        reason = "tie: longest idle"
    else:
        reason = best_reason
    return RoutingChoice(agent_id=scores[0].agent_id, strategy=strategy, reason=reason, scores=scores)
