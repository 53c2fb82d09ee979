"""A small run of the routing simulation (bench/routing_sim.py): the comparison the bench reports
holds on a few seeded days, and the simulation itself loses no chat."""

from __future__ import annotations

from bench import routing_sim


def test_predictive_beats_longest_idle_on_outcome_at_no_worse_service() -> None:
    # given / when: three seeded days, the same requests under each strategy
    results = routing_sim.run(days=3, seed=1)

    # then
    figures = results["strategies"]
    predictive, longest_idle = figures["predictive"], figures["longest_idle"]
    assert predictive["csat"] > longest_idle["csat"] + 0.03
    assert predictive["conversion"] > longest_idle["conversion"]
    assert predictive["within_30s"] >= longest_idle["within_30s"]
    assert predictive["csat"] > figures["skills_only"]["csat"]
    assert predictive["outside_category"] == 0.0
    assert longest_idle["outside_category"] > 0.0


def test_every_request_is_answered_or_given_up() -> None:
    # given / when
    for strategy in routing_sim.STRATEGIES:
        day = routing_sim.simulate_day(strategy, day_seed=42, load=1.25)

        # then
        assert day.requests > 0
        assert day.answered + day.abandoned == day.requests
        assert len(day.waits) == day.answered
        assert all(wait >= 0 for wait in day.waits)


def test_same_seed_same_figures() -> None:
    # given / when: two runs of the same day
    first, second = routing_sim.run(days=1, seed=7), routing_sim.run(days=1, seed=7)

    # then only the time taken differs
    first.pop("seconds")
    second.pop("seconds")
    assert first == second
