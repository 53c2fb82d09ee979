"""A day of chats in a shoe shop, routed four ways: longest idle (of any category, and of the
chat's category), skills only and predictive.

Discrete-event simulation (stdlib only, seeded). Each simulated day draws one stream of chat
requests (arrival times, categories, carts, scores, patience, handle times, and the uniform draws
that decide each chat's outcome) and replays exactly that stream under every strategy, so the
strategies differ only in who answers which chat, and when (common random numbers).

The scenario (all figures are the simulation's assumptions, stated here so they can be argued):

- Chat hours 09:00-22:00; requests arrive as a Poisson process whose rate changes by the hour
  (ARRIVALS_PER_HOUR: an evening peak of 70/h at 20:00, ~510 requests a day) over three
  categories (CATEGORY_SHARE).
- Seven agents on two overlapping shifts (AGENTS), each with two or three categories and 2-3
  concurrent chats. Each has a hidden true quality per category: the chance a chat leaves the
  visitor satisfied (CSAT 4-5) and the chance it converts. Some are strong in one category and
  middling in another; outside their categories everyone is worse (OUTSIDE) and slower
  (OUTSIDE_HANDLE_FACTOR): that is what skills routing exists for. `lars` is new: no history.
- The other six start the day with history: HISTORY_CHATS past chats per own category, their
  outcomes and surveys drawn from the same hidden quality (so what routing sees is a noisy
  sample of the truth, never the truth).
- Handle times are lognormal (mean HANDLE_MEAN_SECONDS). Waiting spoils the mood: the chance of
  a satisfied visitor drops WAIT_PENALTY_PER_MINUTE per minute waited (up to WAIT_PENALTY_CAP).
  Conversion scales with the visitor's propensity score.
- No free agent: the chat is queued, served by `klantreis.routing.wait` priority (expected value)
  then age; a visitor gives up after an exponential patience (PATIENCE_MEAN_SECONDS).
- Feedback: conversions count when a chat ends, SURVEY_RATE of visitors answer the survey some
  minutes later; both update the agent's `Performance` counters, which predictive routing
  (`klantreis.routing.choice.choose`) reads for the next chat.

Strategies: `longest_idle` is what the product does without predictive routing: of the present
agents with the chat's category and a free slot, the one idle longest. `longest_idle_any` is the
same ignoring categories (a reference for what skills are worth, not a product setting);
`skills_only` considers the agents with the chat's category and takes the one with most free slots
(then longest idle); `predictive` considers the same agents and lets `choose` pick. The headline
compares predictive with `longest_idle`.

Figures (mean over the days): CSAT = share of answered chats whose visitor was satisfied (the
simulated truth, not only the answered surveys); conversion = converted chats per request
(a visitor who gave up in the queue does not convert through the chat); within 30 s = share of
requests answered within 30 s; mean wait = mean seconds to answer, over answered chats. Paired
differences between two strategies come with a 95 % percentile-bootstrap interval over the days
(the days are independent; each resample draws days with replacement and keeps the pairing).
"""

from __future__ import annotations

import heapq
import math
import random
import statistics
import sys
import time
from bisect import insort
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from klantreis.routing import eligibility
from klantreis.routing.choice import Candidate, Strategy, choose
from klantreis.routing.performance import Performance, survey_counts, team_total
from klantreis.routing.wait import expected_wait_seconds, queue_priority, queue_sort_key

SimStrategy = Literal["longest_idle_any", "longest_idle", "skills_only", "predictive"]
STRATEGIES: tuple[SimStrategy, ...] = ("longest_idle_any", "longest_idle", "skills_only", "predictive")
ANY_CATEGORY: SimStrategy = "longest_idle_any"
"""Longest idle without the category filter; routed by `choose` as plain `longest_idle`."""
BASELINE: SimStrategy = "longest_idle"
"""The product without predictive routing: the longest-idle agent of the chat's category."""
ROUTED_AS: dict[SimStrategy, Strategy] = {
    "longest_idle_any": "longest_idle",
    "longest_idle": "longest_idle",
    "skills_only": "skills_only",
    "predictive": "predictive",
}

OPEN_HOUR, CLOSE_HOUR = 9, 22
ARRIVALS_PER_HOUR = {
    9: 16, 10: 22, 11: 29, 12: 35, 13: 35, 14: 32, 15: 32,
    16: 35, 17: 42, 18: 48, 19: 64, 20: 70, 21: 48,
}  # fmt: skip
"""Chat requests per hour, by the hour they start in: a quiet morning, a lunch bump and the
evening peak of a busy web-shop day (508 a day). `run(load=...)` scales them all."""


@dataclass(frozen=True)
class Quality:
    """Hidden truth: chance of a satisfied visitor (CSAT 4-5) and of a conversion."""

    satisfied: float
    converts: float


@dataclass(frozen=True)
class AgentSpec:
    agent_id: str
    max_chats: int
    shift: tuple[int, int]
    """Hours present (start, end); an agent finishes their open chats after the end."""
    quality: dict[str, Quality]
    """Per own category; the keys are the agent's categories."""
    new: bool = False


D, H, S = "dameslaarzen", "herenschoenen", "sneakers"
CATEGORY_SHARE = {D: 0.40, H: 0.25, S: 0.35}
Q = Quality
# fmt: off
AGENTS = (
    AgentSpec("mirjam", 3, (9, 17),  {D: Q(0.92, 0.34), S: Q(0.68, 0.16)}),
    AgentSpec("joost",  2, (9, 17),  {H: Q(0.90, 0.32), D: Q(0.64, 0.15)}),
    AgentSpec("noor",   2, (9, 17),  {D: Q(0.78, 0.22), H: Q(0.76, 0.22), S: Q(0.80, 0.24)}),
    AgentSpec("fatima", 3, (13, 22), {S: Q(0.91, 0.33), H: Q(0.70, 0.18)}),
    AgentSpec("sanne",  2, (14, 22), {D: Q(0.88, 0.30), H: Q(0.62, 0.14)}),
    AgentSpec("daan",   3, (14, 22), {S: Q(0.74, 0.20), D: Q(0.70, 0.18)}),
    AgentSpec("lars",   2, (14, 22), {D: Q(0.86, 0.29), S: Q(0.82, 0.26)}, new=True),
)
# fmt: on
"""Who works when, in which categories, with how many chats at once, and how good they truly are
there (chance satisfied, chance of conversion). `lars` is new, and good: routing must find out."""
OUTSIDE = Quality(0.55, 0.10)
"""Anyone answering outside their categories: they know the products less well."""
OUTSIDE_HANDLE_FACTOR = 1.4
"""...and need longer, looking things up."""
HISTORY_CHATS = 40
"""Past chats per own category each experienced agent starts the day with."""
HANDLE_MEAN_SECONDS = 420.0
HANDLE_SIGMA = 0.6
"""Lognormal shape of handle times (a long right tail)."""
PATIENCE_MEAN_SECONDS = 180.0
WAIT_PENALTY_PER_MINUTE = 0.03
WAIT_PENALTY_CAP = 0.2
SURVEY_RATE = 0.4
SURVEY_DELAY_SECONDS = (30.0, 600.0)
EMPTY_CART_SHARE = 0.3
CART_MEAN_EUR = 110.0
"""Non-empty carts are lognormal around this mean (median ~€92)."""
ANSWERED_WITHIN = 30.0


@dataclass
class Chat:
    """One request and the draws that fix its fate whoever answers it."""

    chat_id: str
    arrival: float
    category: str
    cart_value: float
    score: float
    patience: float
    handle_base: float
    u_satisfied: float
    u_converts: float
    u_survey: float
    survey_delay: float
    key: str = ""
    agent_id: str | None = None
    answered_at: float | None = None
    abandoned: bool = False
    expected_wait: int | None = None


@dataclass
class Agent:
    spec: AgentSpec
    performance: dict[str, Performance]
    present: bool = False
    active: int = 0
    idle_since: float = 0.0

    def takes(self, category: str) -> bool:
        return category in self.spec.quality


@dataclass
class DayFigures:
    requests: int = 0
    answered: int = 0
    within: int = 0
    abandoned: int = 0
    satisfied: int = 0
    conversions: int = 0
    waits: list[float] = field(default_factory=list)
    outside: int = 0
    new_agent: int = 0
    new_agent_eligible: int = 0
    estimates: list[tuple[int, float]] = field(default_factory=list)
    """(expected wait told at queueing, actual wait) of queued chats that were answered."""
    reasons: dict[str, int] = field(default_factory=dict)


def _lognormal(rng: random.Random, mean: float, sigma: float) -> float:
    return rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)


def day_requests(rng: random.Random, load: float = 1.0) -> list[Chat]:
    """One day's requests: a Poisson process per hour, categories by share, and each chat's draws."""
    chats: list[Chat] = []
    categories, weights = list(CATEGORY_SHARE), list(CATEGORY_SHARE.values())
    for hour in range(OPEN_HOUR, CLOSE_HOUR):
        rate = load * ARRIVALS_PER_HOUR[hour] / 3600.0
        moment = hour * 3600.0 + rng.expovariate(rate)
        while moment < (hour + 1) * 3600.0:
            empty = rng.random() < EMPTY_CART_SHARE
            chats.append(
                Chat(
                    chat_id=f"c{len(chats):04d}",
                    arrival=moment,
                    category=rng.choices(categories, weights)[0],
                    cart_value=0.0 if empty else round(_lognormal(rng, CART_MEAN_EUR, 0.6), 2),
                    score=rng.random(),
                    patience=rng.expovariate(1 / PATIENCE_MEAN_SECONDS),
                    handle_base=_lognormal(rng, HANDLE_MEAN_SECONDS, HANDLE_SIGMA),
                    u_satisfied=rng.random(),
                    u_converts=rng.random(),
                    u_survey=rng.random(),
                    survey_delay=rng.uniform(*SURVEY_DELAY_SECONDS),
                )
            )
            moment += rng.expovariate(rate)
    return chats


def _survey(satisfied: bool, rng: random.Random) -> Performance:
    csat = rng.choice((4, 5)) if satisfied else rng.choice((1, 2, 3))
    return Performance.from_counts(survey_counts(csat, None, None))


def history(rng: random.Random) -> dict[str, dict[str, Performance]]:
    """What routing knows at the start of the day: a noisy sample of each experienced agent's
    truth in their own categories; nothing for the new agent."""
    known: dict[str, dict[str, Performance]] = {}
    for spec in AGENTS:
        known[spec.agent_id] = {}
        for category, quality in spec.quality.items():
            perf = Performance()
            for _ in range(0 if spec.new else HISTORY_CHATS):
                handle = _lognormal(rng, HANDLE_MEAN_SECONDS, HANDLE_SIGMA)
                converted = rng.random() < quality.converts
                perf += Performance(chats=1, ended=1, conversions=int(converted), handle_seconds=handle)
                if rng.random() < SURVEY_RATE:
                    perf += _survey(rng.random() < quality.satisfied, rng)
            known[spec.agent_id][category] = perf
    return known


class Day:
    """One day under one strategy."""

    def __init__(
        self,
        strategy: SimStrategy,
        requests: list[Chat],
        known: dict[str, dict[str, Performance]],
        routing_rng: random.Random,
        survey_rng: random.Random,
    ) -> None:
        self.strategy = strategy
        self.chats = requests
        self.rng = routing_rng
        self.survey_rng = survey_rng
        self.agents = {
            spec.agent_id: Agent(
                spec, {c: known[spec.agent_id].get(c, Performance()) for c in CATEGORY_SHARE}
            )
            for spec in AGENTS
        }
        self.queue: list[tuple[str, Chat]] = []
        self.events: list[tuple[float, int, str, Any]] = []
        self.sequence = 0
        self.figures = DayFigures(requests=len(requests))

    def at(self, moment: float, kind: str, subject: Any) -> None:
        self.sequence += 1
        heapq.heappush(self.events, (moment, self.sequence, kind, subject))

    def team(self, category: str) -> Performance:
        return team_total(agent.performance[category] for agent in self.agents.values())

    def able(self, agent: Agent, category: str) -> bool:
        return self.strategy == ANY_CATEGORY or agent.takes(category)

    @property
    def routed_as(self) -> Strategy:
        return ROUTED_AS[self.strategy]

    def run(self) -> DayFigures:
        for spec in AGENTS:
            self.at(spec.shift[0] * 3600.0, "shift_start", spec.agent_id)
            self.at(spec.shift[1] * 3600.0, "shift_end", spec.agent_id)
        for chat in self.chats:
            self.at(chat.arrival, "arrive", chat)
        handlers: dict[str, Callable[[float, Any], None]] = {
            "shift_start": self.shift_start,
            "shift_end": self.shift_end,
            "arrive": self.arrive,
            "give_up": self.give_up,
            "end": self.end,
            "survey": self.survey,
        }
        while self.events:
            moment, _, kind, subject = heapq.heappop(self.events)
            handlers[kind](moment, subject)
        return self.figures

    # ------------------------------------------------------------------ events
    def shift_start(self, now: float, agent_id: str) -> None:
        agent = self.agents[agent_id]
        agent.present, agent.idle_since = True, now
        self.dispatch(now)

    def shift_end(self, now: float, agent_id: str) -> None:
        self.agents[agent_id].present = False

    def arrive(self, now: float, chat: Chat) -> None:
        created_ms = round(chat.arrival * 1000)
        chat.key = queue_sort_key(queue_priority(chat.cart_value, chat.score), created_ms, chat.chat_id)
        insort(self.queue, (chat.key, chat))
        self.dispatch(now)
        if chat.agent_id is None:
            self.tell_wait(chat)
            self.at(now + chat.patience, "give_up", chat)

    def give_up(self, now: float, chat: Chat) -> None:
        if chat.agent_id is None and not chat.abandoned:
            chat.abandoned = True
            self.queue.remove((chat.key, chat))
            self.figures.abandoned += 1

    def end(self, now: float, chat: Chat) -> None:
        assert chat.agent_id is not None
        assert chat.answered_at is not None
        agent = self.agents[chat.agent_id]
        agent.active -= 1
        converted = chat.u_converts < self.quality(agent, chat.category).converts * (0.5 + chat.score)
        self.figures.conversions += converted
        agent.performance[chat.category] += Performance(
            ended=1, conversions=int(converted), handle_seconds=now - chat.answered_at
        )
        if chat.u_survey < SURVEY_RATE:
            self.at(now + chat.survey_delay, "survey", chat)
        self.dispatch(now)

    def survey(self, now: float, chat: Chat) -> None:
        assert chat.agent_id is not None
        agent = self.agents[chat.agent_id]
        agent.performance[chat.category] += _survey(self.satisfied(chat, agent), self.survey_rng)

    # ------------------------------------------------------------------ routing
    def quality(self, agent: Agent, category: str) -> Quality:
        return agent.spec.quality.get(category, OUTSIDE)

    def satisfied(self, chat: Chat, agent: Agent) -> bool:
        assert chat.answered_at is not None
        waited_minutes = (chat.answered_at - chat.arrival) / 60.0
        penalty = min(WAIT_PENALTY_CAP, WAIT_PENALTY_PER_MINUTE * waited_minutes)
        return chat.u_satisfied < self.quality(agent, chat.category).satisfied - penalty

    def dispatch(self, now: float) -> None:
        """Serve the queue in order while someone able is free (a request is queued first, so a
        new chat and the waiting ones go through the same path)."""
        for key, chat in list(self.queue):
            free = [
                agent
                for agent in self.agents.values()
                if eligibility.may_take(
                    available=agent.present,
                    present=agent.present,
                    serving=self.able(agent, chat.category),
                    free_slots=agent.spec.max_chats - agent.active,
                )
            ]
            if not free:
                continue
            candidates = [
                Candidate(
                    a.spec.agent_id, a.idle_since, a.spec.max_chats - a.active, a.performance[chat.category]
                )
                for a in free
            ]
            choice = choose(candidates, self.team(chat.category), strategy=self.routed_as, rng=self.rng)
            self.queue.remove((key, chat))
            self.assign(now, chat, self.agents[choice.agent_id], choice.reason)

    def assign(self, now: float, chat: Chat, agent: Agent, reason: str) -> None:
        chat.agent_id, chat.answered_at = agent.spec.agent_id, now
        agent.active += 1
        agent.idle_since = now
        agent.performance[chat.category] += Performance(chats=1)
        own = agent.takes(chat.category)
        figures = self.figures
        waited = now - chat.arrival
        figures.answered += 1
        figures.within += waited <= ANSWERED_WITHIN
        figures.waits.append(waited)
        figures.satisfied += self.satisfied(chat, agent)
        figures.outside += not own
        figures.reasons[reason] = figures.reasons.get(reason, 0) + 1
        if chat.expected_wait is not None:
            figures.estimates.append((chat.expected_wait, waited))
        if any(spec.new and chat.category in spec.quality for spec in AGENTS):
            figures.new_agent_eligible += 1
            figures.new_agent += agent.spec.new
        handle = chat.handle_base * (1.0 if own else OUTSIDE_HANDLE_FACTOR)
        self.at(now + handle, "end", chat)

    def tell_wait(self, chat: Chat) -> None:
        """The queue position and expected wait the visitor would be told (to check the estimate)."""
        pool = [a for a in self.agents.values() if a.present and self.able(a, chat.category)]
        ahead = sum(
            1
            for key, other in self.queue
            if key < chat.key and (self.strategy == ANY_CATEGORY or other.category == chat.category)
        )
        chat.expected_wait = expected_wait_seconds(
            ahead + 1, sum(a.spec.max_chats for a in pool), self.team(chat.category).mean_handle_seconds
        )


# ---------------------------------------------------------------------------- running and reporting
def simulate_day(strategy: SimStrategy, day_seed: int, load: float = 1.0) -> DayFigures:
    requests = day_requests(random.Random(day_seed), load)
    known = history(random.Random(day_seed + 1))
    return Day(strategy, requests, known, random.Random(day_seed + 2), random.Random(day_seed + 3)).run()


def _mean(values: Iterable[float]) -> float:
    listed = list(values)
    return statistics.fmean(listed) if listed else 0.0


def _summary(days: list[DayFigures]) -> dict[str, Any]:
    estimated = [pair for day in days for pair in day.estimates]
    reasons: dict[str, int] = {}
    for day in days:
        for reason, count in day.reasons.items():
            reasons[reason] = reasons.get(reason, 0) + count
    return {
        "requests_per_day": round(_mean(d.requests for d in days), 1),
        "csat": round(_mean(d.satisfied / d.answered for d in days), 4),
        "conversion": round(_mean(d.conversions / d.requests for d in days), 4),
        "within_30s": round(_mean(d.within / d.requests for d in days), 4),
        "mean_wait_seconds": round(_mean(_mean(d.waits) for d in days), 1),
        "abandoned": round(_mean(d.abandoned / d.requests for d in days), 4),
        "outside_category": round(_mean(d.outside / d.answered for d in days), 4),
        "new_agent_share": round(_mean(d.new_agent / max(1, d.new_agent_eligible) for d in days), 4),
        "queued_answered": len(estimated),
        "expected_wait_told": round(_mean(e for e, _ in estimated), 1),
        "actual_wait_of_those": round(_mean(w for _, w in estimated), 1),
        "reasons": reasons,
    }


BOOTSTRAP_RESAMPLES = 4_000
BOOTSTRAP_SEED = 20261204


@dataclass(frozen=True)
class Figure:
    """A per-day figure of the comparison, and which way is better."""

    name: str
    label: str
    of: Callable[[DayFigures], float]
    higher_is_better: bool
    unit: str
    """"pts" for shares (printed as percentage points), "s" for seconds."""


FIGURES = (
    Figure("csat", "CSAT", lambda d: d.satisfied / d.answered, True, "pts"),
    Figure("conversion", "conversion", lambda d: d.conversions / d.requests, True, "pts"),
    Figure("within_30s", "answered within 30 s", lambda d: d.within / d.requests, True, "pts"),
    Figure("mean_wait_seconds", "mean wait", lambda d: _mean(d.waits), False, "s"),
    Figure("abandoned", "gave up", lambda d: d.abandoned / d.requests, False, "pts"),
)


def _paired(a: list[DayFigures], b: list[DayFigures], figure: Figure) -> dict[str, Any]:
    """Mean difference a - b over the same days, with a 95 % percentile-bootstrap interval over
    the days (resampled with replacement, pairs kept), and whether a is worse."""
    differences = [figure.of(x) - figure.of(y) for x, y in zip(a, b, strict=True)]
    mean = _mean(differences)
    rng = random.Random(BOOTSTRAP_SEED)
    means = sorted(_mean(rng.choices(differences, k=len(differences))) for _ in range(BOOTSTRAP_RESAMPLES))
    low, high = means[int(0.025 * BOOTSTRAP_RESAMPLES)], means[int(0.975 * BOOTSTRAP_RESAMPLES) - 1]
    worse = mean < 0 if figure.higher_is_better else mean > 0
    clearly_worse = (high < 0) if figure.higher_is_better else (low > 0)
    return {
        "mean": round(mean, 4),
        "low": round(low, 4),
        "high": round(high, 4),
        "days_better": sum((d > 0) == figure.higher_is_better and d != 0 for d in differences),
        "worse": worse,
        "clearly_worse": clearly_worse,
    }


def compare(a: list[DayFigures], b: list[DayFigures]) -> dict[str, Any]:
    return {figure.name: _paired(a, b, figure) for figure in FIGURES}


def run(days: int = 40, seed: int = 1, load: float = 1.0) -> dict[str, Any]:
    """Every strategy on the same `days` simulated days; figures are means over the days. `load`
    scales the arrival rates (1.0 = the busy day of ARRIVALS_PER_HOUR)."""
    started = time.perf_counter()
    per_strategy = {
        strategy: [simulate_day(strategy, seed * 100_003 + day * 7_919, load) for day in range(days)]
        for strategy in STRATEGIES
    }
    predictive = per_strategy["predictive"]
    return {
        "days": days,
        "seed": seed,
        "load": load,
        "strategies": {strategy: _summary(figures) for strategy, figures in per_strategy.items()},
        "predictive_minus_longest_idle": compare(predictive, per_strategy[BASELINE]),
        "predictive_minus_skills_only": compare(predictive, per_strategy["skills_only"]),
        "predictive_minus_longest_idle_any": compare(predictive, per_strategy[ANY_CATEGORY]),
        "seconds": round(time.perf_counter() - started, 2),
    }


HEADERS = (
    "strategy",
    "CSAT (4-5)",
    "conversion",
    "within 30 s",
    "mean wait s",
    "gave up",
    "outside category",
    "new agent share",
)


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def rows(results: dict[str, Any]) -> list[list[object]]:
    return [
        [
            strategy,
            _pct(f["csat"]),
            _pct(f["conversion"]),
            _pct(f["within_30s"]),
            f["mean_wait_seconds"],
            _pct(f["abandoned"]),
            _pct(f["outside_category"]),
            _pct(f["new_agent_share"]),
        ]
        for strategy, f in results["strategies"].items()
    ]


COMPARISONS = (
    (
        "longest idle in the category (the product without predictive routing)",
        "predictive_minus_longest_idle",
    ),
    ("skills only", "predictive_minus_skills_only"),
    ("longest idle of any category (reference)", "predictive_minus_longest_idle_any"),
)


def _difference(figure: Figure, d: dict[str, Any]) -> str:
    if figure.unit == "s":
        return f"{d['mean']:+.1f} s (95% {d['low']:+.1f}..{d['high']:+.1f})"
    return f"{100 * d['mean']:+.1f} pts (95% {100 * d['low']:+.1f}..{100 * d['high']:+.1f})"


def losses(results: dict[str, Any], key: str = "predictive_minus_longest_idle") -> list[str]:
    """Where predictive routing is worse than the comparison, each with its interval; "clearly"
    when the whole interval is on the worse side."""
    found = []
    for figure in FIGURES:
        d = results[key][figure.name]
        if d["worse"]:
            how = "clearly" if d["clearly_worse"] else "within noise"
            found.append(f"{figure.label} {_difference(figure, d)}, {how}")
    return found


def notes(results: dict[str, Any]) -> list[str]:
    """The paired differences and the wait estimate, as printed under the table."""
    days = results["days"]
    lines = [
        f"{days} simulated days (seed {results['seed']}), "
        f"{results['strategies']['predictive']['requests_per_day']} requests/day on average, the same "
        f"requests under every strategy; {results['seconds']} s. Intervals: 95% paired bootstrap over "
        "the days."
    ]
    for label, key in COMPARISONS:
        parts = [
            f"{figure.label} {_difference(figure, results[key][figure.name])}, better on "
            f"{results[key][figure.name]['days_better']}/{days} days"
            for figure in FIGURES
        ]
        lines.append(f"predictive minus {label}: " + "; ".join(parts))
    lost = losses(results)
    lines.append(
        "predictive loses to longest idle in the category on: " + ("; ".join(lost) if lost else "nothing")
    )
    for strategy, f in results["strategies"].items():
        lines.append(
            f"{strategy}: {f['queued_answered']} queued chats answered; expected wait told on queueing "
            f"{f['expected_wait_told']} s on average, actual {f['actual_wait_of_those']} s"
        )
    reasons = results["strategies"]["predictive"]["reasons"]
    lines.append("predictive reasons: " + ", ".join(f"{r} {n}" for r, n in sorted(reasons.items())))
    return lines


SENSITIVITY_LOADS = (0.6, 1.25)
SENSITIVITY_HEADERS = (
    "load: strategy",
    "requests/day",
    "CSAT (4-5)",
    "conversion",
    "within 30 s",
    "mean wait s",
)


def sensitivity(days: int = 40, seed: int = 1, loads: Iterable[float] = SENSITIVITY_LOADS) -> dict[str, Any]:
    """The same comparison on quieter and busier days (arrival rates scaled by `load`)."""
    return {f"{load:g}x": run(days, seed, load) for load in loads}


def sensitivity_rows(runs: dict[str, Any]) -> list[list[object]]:
    return [
        [
            f"{label}: {strategy}",
            f["requests_per_day"],
            _pct(f["csat"]),
            _pct(f["conversion"]),
            _pct(f["within_30s"]),
            f["mean_wait_seconds"],
        ]
        for label, results in runs.items()
        for strategy, f in results["strategies"].items()
    ]


def sensitivity_notes(runs: dict[str, Any]) -> list[str]:
    """Predictive against longest idle in the category at each load, and where it loses."""
    lines = []
    for label, results in runs.items():
        head = results["predictive_minus_longest_idle"]
        lost = losses(results)
        lines.append(
            f"{label}: predictive minus longest idle in the category: CSAT "
            f"{_difference(FIGURES[0], head['csat'])}, conversion "
            f"{_difference(FIGURES[1], head['conversion'])}; "
            f"loses on: {'; '.join(lost) if lost else 'nothing'}"
        )
    return lines


def main() -> int:
    from bench.__main__ import table

    results = run()
    print(table(HEADERS, rows(results)))
    print("\n".join(notes(results)))
    runs = sensitivity()
    print(table(SENSITIVITY_HEADERS, sensitivity_rows(runs)))
    print("\n".join(sensitivity_notes(runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
