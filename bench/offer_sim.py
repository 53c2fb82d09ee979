"""Who gets the scarce chats: proactive offers by rules alone, by score, and by expected gain.

A seeded simulation (stdlib only) of the engagement decision when agents are scarce. Visitors
reach a moment where `decide` is asked; the shop's default rules (`EngagementConfig.
webshop_default()`, matched by `klantreis.engagement.rules`) say who is eligible; 10% of visitors
are in the holdout (drawn first, by visitor, the same for every policy); agents can take at most
OFFERS_PER_PERIOD offers per quarter hour. Each policy spends that capacity differently:

- `rules only`: first come, first served among the eligible (what the product does without a
  ranking).
- `score: risk x cart`: the eligible with the most value at risk (abandonment risk x cart value).
- `score: intent x cart`: the eligible with the highest expected order value (routing's priority).
- `gain ranked`: the eligible with the highest expected gain (uplift x cart value) from the
  uplift model (`klantreis.engagement.uplift.fit_uplift`) trained on HISTORY_DAYS of this shop's
  own holdout outcomes under the rules; only positive gains.
- `gain bar (online)`: what `decide` does, one visitor at a time (`uplift.choose`, `uplift.bar`):
  offer when the gain is in the top k/n of the training population's gains, k = offers the quarter
  can still take, n = eligible visitors expected in the rest of the quarter (the rate of the
  replicate's own history, stored in its model, x the time left; arrival times are drawn from a
  separate generator so the visitors stay the same). No look-ahead at the visitors themselves.
- `score: risk x cart (online)`: the same online bar with risk x cart in place of the gain (its
  distribution from the replicate's history): the score ranking at the same, online, information.
- `gain bar (top k of n)`: a simpler online rule, for comparison: the training population's gain
  at quantile 1 - k/n (the top k of the n expected), 0 when k >= n.
- `gain bar (load, before 2026-12-04)`: the first online rule, for comparison: the bar is the gain
  quantile at the share of the quarter's capacity used (`Capacity` without a rate).
- `best from what decide sees`: the true expected uplift given the visitor's intent and idle time
  (Bayes' rule over the kinds, from the simulation's own parameters) x cart: the best any policy
  seeing these inputs can do; the gap to `gain ranked` is what the learner misses.
- `oracle`: the true uplift x cart (the simulation's truth; an upper bound no policy can see).

Visitors are of four hidden kinds (VISITOR_KINDS: share, chance to buy without and with an
accepted chat, and what the scores see of them): sure things buy anyway, persuadables are moved
by a chat, lost causes never buy, sleeping dogs are put off by one. What `decide` sees is noisy:
the purchase intent score (a normal draw around the kind's mean), idle seconds (exponential by
kind), the stage and the cart value (the same distribution for every kind), and the abandonment
risk computed from them as `klantreis.engagement.features.abandonment_risk` does. An offer is
accepted with ACCEPTANCE (any kind); an accepted chat takes a lognormal handle time.

Each replicate draws its own history, fits its own model, and then plays EVAL_DAYS days; every
policy sees the same visitors and the same random draws (common random numbers). Incremental
conversions = sum over the offered of (bought with the offer - would have bought without): the
simulation knows both. Incremental revenue weights each by its cart; revenue per agent-hour is
incremental revenue / agent-hours spent in accepted chats. 95% intervals are normal intervals
over the replicates (mean +- 1.96 sd / sqrt(n)); differences are paired by replicate.
"""

from __future__ import annotations

import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from klantreis.engagement.config import EngagementConfig
from klantreis.engagement.rules import Moment, matching_rule
from klantreis.engagement.uplift import (
    GAIN_QUANTILES,
    Capacity,
    UpliftExample,
    UpliftInputs,
    UpliftModel,
    choose,
    fit_uplift,
    keep_value,
    quantiles,
)

PERIODS_PER_DAY = 40
"""Quarter hours of chat time (10 hours)."""
PERIODS_PER_HOUR = 4
ARRIVALS_PER_PERIOD = 24.0
"""Visitors reaching a decide moment (cart or checkout, idle), Poisson per quarter hour."""
OFFERS_PER_PERIOD = 4
"""What the agents can take: at most this many offers per quarter hour."""
HOLDOUT_SHARE = 0.10
ACCEPTANCE = 0.45
HANDLE_MEAN_MINUTES = 8.0
HISTORY_DAYS = 60
"""About 2,500 holdout sessions: just above what the product asks of a site before it switches
(uplift.MIN_SESSIONS_PER_ARM). SHORT_HISTORY_DAYS (about 850) is the sensitivity run below it."""
SHORT_HISTORY_DAYS = 20
EVAL_DAYS = 5
REPLICATES = 60
"""Paired replicates of the main run (common random numbers: every policy sees the same visitors);
SHORT_REPLICATES for the sensitivity run."""
SHORT_REPLICATES = 20
CHECKOUT_SHARE = 0.55
CART_MEDIAN, CART_SIGMA = 120.0, 0.7
STAGE_BASE = {"cart": 0.50, "checkout": 0.45}
"""As klantreis.engagement.features' abandonment risk."""


@dataclass(frozen=True)
class Kind:
    share: float
    buys_without: float
    buys_with_chat: float
    intent_mean: float
    idle_mean_seconds: float


VISITOR_KINDS: dict[str, Kind] = {
    "sure thing": Kind(0.30, 0.75, 0.80, 0.62, 40.0),
    "persuadable": Kind(0.25, 0.12, 0.55, 0.38, 90.0),
    "lost cause": Kind(0.35, 0.02, 0.04, 0.15, 110.0),
    "sleeping dog": Kind(0.10, 0.40, 0.20, 0.45, 60.0),
}
INTENT_SD = 0.18

POLICIES = (
    "rules only", "score: risk x cart", "score: intent x cart", "gain ranked", "gain bar (online)",
    "score: risk x cart (online)", "gain bar (top k of n)", "gain bar (load, before 2026-12-04)",
    "best from what decide sees", "oracle",
)  # fmt: skip
ONLINE = (
    "gain bar (online)", "score: risk x cart (online)", "gain bar (top k of n)",
    "gain bar (load, before 2026-12-04)",
)  # fmt: skip
CONFIG = EngagementConfig.webshop_default()


@dataclass(frozen=True)
class Visitor:
    kind: str
    inputs: UpliftInputs
    eligible: bool
    held_out: bool
    accepts: bool
    handle_minutes: float
    bought_without: bool
    bought_with_chat: bool

    @property
    def cart(self) -> float:
        return self.inputs.cart_value

    def outcome(self, offered: bool) -> bool:
        return self.bought_with_chat if offered and self.accepts else self.bought_without


def _risk(stage: str, idle_seconds: int, intent: float) -> float:
    base = STAGE_BASE[stage]
    risk = base + (1.0 - base) * (1.0 - math.exp(-idle_seconds / 80))
    return round(min(1.0, max(0.0, risk * (1.0 - 0.5 * intent))), 4)


def _poisson(rng: random.Random, mean: float) -> int:
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def draw_visitor(rng: random.Random) -> Visitor:
    pick, cumulative, name = rng.random(), 0.0, "lost cause"
    for candidate, kind in VISITOR_KINDS.items():
        cumulative += kind.share
        if pick < cumulative:
            name = candidate
            break
    kind = VISITOR_KINDS[name]
    stage = "checkout" if rng.random() < CHECKOUT_SHARE else "cart"
    cart = round(CART_MEDIAN * math.exp(rng.gauss(0.0, CART_SIGMA)), 2)
    intent = round(min(0.99, max(0.01, rng.gauss(kind.intent_mean, INTENT_SD))), 4)
    idle = int(rng.expovariate(1.0 / kind.idle_mean_seconds))
    risk = _risk(stage, idle, intent)
    moment = Moment(
        stage=stage, cart_value=cart, idle_seconds=idle, purchase_intent=intent, abandonment_risk=risk
    )
    outcome_draw = rng.random()  # one draw for both outcomes: a chat never un-buys a sure thing
    return Visitor(
        kind=name,
        inputs=UpliftInputs(intent, risk, cart, stage, idle),
        eligible=matching_rule(CONFIG.rules, moment) is not None,
        held_out=rng.random() < HOLDOUT_SHARE,
        accepts=rng.random() < ACCEPTANCE,
        handle_minutes=HANDLE_MEAN_MINUTES * math.exp(rng.gauss(-0.125, 0.5)),
        bought_without=outcome_draw < kind.buys_without,
        bought_with_chat=outcome_draw < kind.buys_with_chat,
    )


def draw_days(rng: random.Random, days: int) -> list[list[Visitor]]:
    """Every quarter hour's visitors, in arrival order."""
    return [
        [draw_visitor(rng) for _ in range(_poisson(rng, ARRIVALS_PER_PERIOD))]
        for _ in range(days * PERIODS_PER_DAY)
    ]


def history_examples(periods: Sequence[Sequence[Visitor]]) -> list[UpliftExample]:
    """What the shop's own history holds under the rules: the offered (first come, first served
    up to capacity) and the holdout, each with whether the session bought."""
    examples = []
    for visitors in periods:
        offers = 0
        for visitor in visitors:
            if not visitor.eligible:
                continue
            if visitor.held_out:
                examples.append(UpliftExample(visitor.inputs, False, visitor.bought_without))
            elif offers < OFFERS_PER_PERIOD:
                offers += 1
                examples.append(UpliftExample(visitor.inputs, True, visitor.outcome(True)))
    return examples


def _true_gain(visitor: Visitor) -> float:
    kind = VISITOR_KINDS[visitor.kind]
    return ACCEPTANCE * (kind.buys_with_chat - kind.buys_without) * visitor.cart


def _observable_gain(visitor: Visitor) -> float:
    """E[uplift | intent, idle] x cart: the kinds' posterior given what decide sees (stage and
    cart are drawn alike for every kind, so they say nothing of it)."""
    weights = {}
    for name, kind in VISITOR_KINDS.items():
        intent_density = math.exp(
            -((visitor.inputs.purchase_intent - kind.intent_mean) ** 2) / (2 * INTENT_SD**2)
        )
        idle_density = (
            math.exp(-visitor.inputs.idle_seconds / kind.idle_mean_seconds) / kind.idle_mean_seconds
        )
        weights[name] = kind.share * intent_density * idle_density
    total = sum(weights.values())
    uplift = sum(
        weight / total * ACCEPTANCE * (VISITOR_KINDS[name].buys_with_chat - VISITOR_KINDS[name].buys_without)
        for name, weight in weights.items()
    )
    return uplift * visitor.cart


def online_capacity(policy: str, model: UpliftModel, chosen: int, arrived_at: float) -> Capacity:
    """What the online bar knows when a visitor arrives at `arrived_at` (0..1 of the quarter):
    the offers the quarter can still take and, by the model's rate, the eligible visitors expected
    in the rest of it (the load rule knows only the share used)."""
    load = chosen / OFFERS_PER_PERIOD
    if policy == "gain bar (load, before 2026-12-04)" or model.eligible_per_hour is None:
        return Capacity(free_offers=OFFERS_PER_PERIOD - chosen, expected_arrivals=None, load=load)
    expected = model.eligible_per_hour / (PERIODS_PER_HOUR) * (1.0 - arrived_at)
    return Capacity(free_offers=OFFERS_PER_PERIOD - chosen, expected_arrivals=expected, load=load)


def _top_share_bar(model: UpliftModel, capacity: Capacity) -> float:
    expected = capacity.expected_arrivals or 0.0
    if capacity.free_offers >= expected:
        return 0.0
    return model.gain_quantile(1.0 - capacity.free_offers / expected)


def _value_at_risk(visitor: Visitor) -> float:
    return visitor.inputs.abandonment_risk * visitor.cart


def pick(
    policy: str,
    candidates: list[Visitor],
    model: UpliftModel,
    arrivals: Sequence[float] = (),
    risk_quantiles: Sequence[float] = (),
) -> list[Visitor]:
    """The visitors one quarter hour's capacity goes to (candidates: eligible, not held out, in
    arrival order; `arrivals`: when each came, 0..1 of the quarter)."""
    if policy == "rules only":
        return candidates[:OFFERS_PER_PERIOD]
    if policy in ONLINE:
        chosen: list[Visitor] = []
        for visitor, arrived_at in zip(candidates, arrivals, strict=True):
            if len(chosen) >= OFFERS_PER_PERIOD:
                break
            capacity = online_capacity(policy, model, len(chosen), arrived_at)
            if policy == "gain bar (top k of n)":
                offered = not model.training.enough or (  # below the switch the rules decide, as in decide
                    model.expected_gain(visitor.inputs) > max(_top_share_bar(model, capacity), 0.0)
                )
            elif policy == "score: risk x cart (online)":
                bar = keep_value(risk_quantiles, capacity.free_offers, capacity.expected_arrivals or 0.0)
                offered = _value_at_risk(visitor) >= bar
            else:
                offered = choose(model, visitor.inputs, capacity).offer
            if offered:
                chosen.append(visitor)
        return chosen
    keys: dict[str, Callable[[Visitor], float]] = {
        "score: risk x cart": _value_at_risk,
        "score: intent x cart": lambda v: v.inputs.purchase_intent * v.cart,
        "gain ranked": lambda v: model.expected_gain(v.inputs),
        "best from what decide sees": _observable_gain,
        "oracle": _true_gain,
    }
    ranked = sorted(candidates, key=keys[policy], reverse=True)[:OFFERS_PER_PERIOD]
    if policy in ("gain ranked", "best from what decide sees", "oracle"):
        ranked = [v for v in ranked if keys[policy](v) > 0]
    return ranked


@dataclass
class Tally:
    offers: int = 0
    accepted: int = 0
    agent_minutes: float = 0.0
    incremental_conversions: int = 0
    incremental_revenue: float = 0.0
    offered_kinds: dict[str, int] | None = None

    def add(self, visitor: Visitor) -> None:
        self.offers += 1
        if self.offered_kinds is None:
            self.offered_kinds = {}
        self.offered_kinds[visitor.kind] = self.offered_kinds.get(visitor.kind, 0) + 1
        if visitor.accepts:
            self.accepted += 1
            self.agent_minutes += visitor.handle_minutes
        change = int(visitor.outcome(True)) - int(visitor.bought_without)
        self.incremental_conversions += change
        self.incremental_revenue += change * visitor.cart

    @property
    def revenue_per_agent_hour(self) -> float:
        return self.incremental_revenue / (self.agent_minutes / 60) if self.agent_minutes else 0.0


def eligible_per_hour(periods: Sequence[Sequence[Visitor]]) -> float:
    """The site's rate of eligible visitors outside the holdout (those the policy decides on)."""
    eligible = sum(v.eligible and not v.held_out for visitors in periods for v in visitors)
    return eligible / len(periods) * PERIODS_PER_HOUR


def replicate(seed: int, history_days: int = HISTORY_DAYS, eval_days: int = EVAL_DAYS) -> dict[str, Any]:
    rng = random.Random(seed)
    history = draw_days(rng, history_days)
    model = fit_uplift(
        history_examples(history), require_enough=False, eligible_per_hour=eligible_per_hour(history)
    )
    at_risk = [_value_at_risk(v) for visitors in history for v in visitors if v.eligible and not v.held_out]
    risk_quantiles = quantiles(at_risk, GAIN_QUANTILES)
    tallies = {policy: Tally() for policy in POLICIES}
    eligible = 0
    clock = random.Random(seed + 1)  # arrival times within the quarter, apart from the visitors' draws
    for visitors in draw_days(rng, eval_days):
        arrived = sorted(clock.random() for _ in visitors)
        candidates = [v for v in visitors if v.eligible and not v.held_out]
        arrivals = [at for v, at in zip(visitors, arrived, strict=True) if v.eligible and not v.held_out]
        eligible += len(candidates)
        for policy in POLICIES:
            for visitor in pick(policy, candidates, model, arrivals, risk_quantiles):
                tallies[policy].add(visitor)
    return {"model": model, "tallies": tallies, "eligible": eligible}


def _interval(values: Sequence[float]) -> dict[str, float]:
    mean = statistics.fmean(values)
    half = 1.96 * statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    return {"mean": round(mean, 2), "low": round(mean - half, 2), "high": round(mean + half, 2)}


FIGURES: dict[str, Callable[[Tally], float]] = {
    "offers": lambda t: t.offers,
    "agent_hours": lambda t: t.agent_minutes / 60,
    "incremental_conversions": lambda t: t.incremental_conversions,
    "incremental_revenue": lambda t: t.incremental_revenue,
    "revenue_per_agent_hour": lambda t: t.revenue_per_agent_hour,
}


def _paired(runs: Sequence[dict[str, Any]], policy: str, baseline: str) -> dict[str, Any]:
    """Policy minus baseline per replicate (the same visitors), with 95% intervals."""
    found: dict[str, Any] = {
        name: _interval([figure(r["tallies"][policy]) - figure(r["tallies"][baseline]) for r in runs])
        for name, figure in FIGURES.items()
        if name != "offers"
    }
    found["replicates_better"] = sum(
        r["tallies"][policy].incremental_revenue > r["tallies"][baseline].incremental_revenue for r in runs
    )
    return found


def run(replicates: int = REPLICATES, seed: int = 1, history_days: int = HISTORY_DAYS) -> dict[str, Any]:
    started = time.perf_counter()
    runs = [replicate(seed * 1_000_003 + r * 7_919, history_days) for r in range(replicates)]
    policies: dict[str, Any] = {}
    for policy in POLICIES:
        tallies = [run_["tallies"][policy] for run_ in runs]
        kinds: dict[str, int] = {}
        for tally in tallies:
            for kind, count in (tally.offered_kinds or {}).items():
                kinds[kind] = kinds.get(kind, 0) + count
        total = sum(kinds.values()) or 1
        policies[policy] = {
            **{name: _interval([figure(t) for t in tallies]) for name, figure in FIGURES.items()},
            "offered_kinds": {kind: round(count / total, 3) for kind, count in sorted(kinds.items())},
        }
    comparisons = [
        ("gain ranked", baseline) for baseline in ("score: risk x cart", "score: intent x cart", "rules only")
    ]
    comparisons += [
        ("gain bar (online)", baseline)
        for baseline in (
            "rules only",
            "score: risk x cart",
            "score: risk x cart (online)",
            "gain ranked",
            "gain bar (load, before 2026-12-04)",
        )
    ]
    paired = {f"{policy} - {baseline}": _paired(runs, policy, baseline) for policy, baseline in comparisons}
    trained = [r["model"].training for r in runs]
    return {
        "replicates": replicates,
        "seed": seed,
        "eval_days": EVAL_DAYS,
        "history_days": history_days,
        "model_enough": sum(t.enough for t in trained),
        "offers_per_period": OFFERS_PER_PERIOD,
        "eligible_per_replicate": round(statistics.fmean(r["eligible"] for r in runs), 1),
        "training_offered_sessions": round(statistics.fmean(t.offered_sessions for t in trained)),
        "training_holdout_sessions": round(statistics.fmean(t.holdout_sessions for t in trained)),
        "policies": policies,
        "differences": paired,
        "seconds": round(time.perf_counter() - started, 1),
    }


HEADERS = (
    "policy",
    "offers",
    "agent-hours",
    "incremental conversions (95%)",
    "incremental revenue EUR (95%)",
    "EUR per agent-hour (95%)",
)


def _ci(figure: dict[str, float], digits: int = 0) -> str:
    return f"{figure['mean']:.{digits}f} ({figure['low']:.{digits}f}..{figure['high']:.{digits}f})"


def rows(results: dict[str, Any]) -> list[list[object]]:
    return [
        [
            policy,
            f"{f['offers']['mean']:.0f}",
            f"{f['agent_hours']['mean']:.1f}",
            _ci(f["incremental_conversions"], 1),
            _ci(f["incremental_revenue"]),
            _ci(f["revenue_per_agent_hour"]),
        ]
        for policy, f in results["policies"].items()
    ]


def notes(results: dict[str, Any]) -> list[str]:
    lines = [
        f"{results['replicates']} replicates (seed {results['seed']}), each {results['eval_days']} days of "
        f"{PERIODS_PER_DAY} quarter hours, at most {results['offers_per_period']} offers a quarter hour, "
        f"{results['eligible_per_replicate']} rule-eligible visitors outside the holdout per replicate; "
        f"each replicate's uplift model learned from {results['history_days']} days of its own history "
        f"({results['training_offered_sessions']} offered, {results['training_holdout_sessions']} holdout "
        f"sessions; {results['model_enough']}/{results['replicates']} enough for the product to switch); "
        f"{results['seconds']} s."
    ]
    for comparison, d in results["differences"].items():
        revenue, per_hour = d["incremental_revenue"], d["revenue_per_agent_hour"]
        lines.append(
            f"{comparison.replace(' - ', ' minus ')}: incremental revenue {revenue['mean']:+.0f} EUR "
            f"(95% {revenue['low']:+.0f}..{revenue['high']:+.0f}, more on "
            f"{d['replicates_better']}/{results['replicates']} replicates), per agent-hour "
            f"{per_hour['mean']:+.0f} (95% {per_hour['low']:+.0f}..{per_hour['high']:+.0f}), agent-hours "
            f"{d['agent_hours']['mean']:+.1f}"
        )
    for policy, f in results["policies"].items():
        shares = ", ".join(f"{kind} {100 * share:.0f}%" for kind, share in f["offered_kinds"].items())
        lines.append(f"{policy} offered: {shares}")
    return lines


def short_history(replicates: int = SHORT_REPLICATES, seed: int = 1) -> dict[str, Any]:
    """The same visitors with a model learned from SHORT_HISTORY_DAYS: a holdout below the switch."""
    return run(replicates, seed, SHORT_HISTORY_DAYS)


def main() -> int:
    from bench.__main__ import table

    for results in (run(), short_history()):
        print(table(HEADERS, rows(results)))
        print("\n".join(notes(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
