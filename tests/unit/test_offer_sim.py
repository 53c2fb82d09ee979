"""A small run of the offer simulation (bench/offer_sim.py): equal capacity for every ranked
policy, the oracle on top, the online policy falls back to the rules without enough data, and the
same seed gives the same figures."""

from __future__ import annotations

import random

from bench import offer_sim


def test_every_ranked_policy_spends_the_same_capacity_and_none_beats_the_oracle() -> None:
    # given / when: two seeded replicates
    results = offer_sim.run(replicates=2, seed=3, history_days=offer_sim.SHORT_HISTORY_DAYS)

    # then
    policies = results["policies"]
    offers = {name: policies[name]["offers"]["mean"] for name in offer_sim.POLICIES}
    assert offers["rules only"] == offers["score: risk x cart"] == offers["score: intent x cart"]
    assert offers["gain ranked"] <= offers["rules only"]
    revenue = {name: policies[name]["incremental_revenue"]["mean"] for name in offer_sim.POLICIES}
    assert revenue["oracle"] == max(revenue.values())
    # a model from a thin holdout is not used: the online policy is the rules
    assert results["model_enough"] == 0
    assert policies["gain bar (online)"] == policies["rules only"]


def test_only_eligible_visitors_outside_the_holdout_are_offered() -> None:
    periods = offer_sim.draw_days(random.Random(5), 1)
    examples = offer_sim.history_examples(periods)
    eligible = [v for visitors in periods for v in visitors if v.eligible]
    assert 0 < len(examples) <= len(eligible)
    assert sum(not e.offered for e in examples) == sum(v.held_out for v in eligible)
    assert 0 < sum(v.eligible for visitors in periods for v in visitors) < sum(map(len, periods))


def test_same_seed_same_figures() -> None:
    first = offer_sim.run(replicates=1, seed=7, history_days=offer_sim.SHORT_HISTORY_DAYS)
    second = offer_sim.run(replicates=1, seed=7, history_days=offer_sim.SHORT_HISTORY_DAYS)
    first.pop("seconds")
    second.pop("seconds")
    assert first == second
