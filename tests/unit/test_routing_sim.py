"""A small run of the routing simulation (bench/routing_sim.py): the comparison the bench reports
holds on a few seeded days, against the product's own baseline (the longest-idle agent of the
chat's category), and the simulation itself loses no chat."""

from __future__ import annotations

from bench import routing_sim


def test_predictive_beats_longest_idle_in_the_category_on_outcome() -> None:
    # given / when: three seeded days, the same requests under each strategy
    results = routing_sim.run(days=3, seed=1)

    # then
    figures = results["strategies"]
    predictive, longest_idle = figures["predictive"], figures["longest_idle"]
    assert predictive["csat"] > longest_idle["csat"] + 0.02
    assert predictive["conversion"] > longest_idle["conversion"]
    assert predictive["csat"] > figures["skills_only"]["csat"]
    head = results["predictive_minus_longest_idle"]["csat"]
    assert head["low"] <= head["mean"] <= head["high"]
    assert head["low"] > 0


def test_only_the_reference_baseline_ignores_categories() -> None:
    # given / when
    figures = routing_sim.run(days=2, seed=3)["strategies"]

    # then the product's longest idle keeps to the chat's category, the reference does not
    assert figures["longest_idle"]["outside_category"] == 0.0
    assert figures["predictive"]["outside_category"] == 0.0
    assert figures["longest_idle_any"]["outside_category"] > 0.0


def test_losses_name_each_worse_figure_with_its_interval() -> None:
    # given: predictive worse on waiting (clearly) and on within 30 s (within noise)
    def difference(mean: float, low: float, high: float, worse: bool, clearly: bool) -> dict[str, object]:
        return {
            "mean": mean,
            "low": low,
            "high": high,
            "days_better": 0,
            "worse": worse,
            "clearly_worse": clearly,
        }

    results = {
        "predictive_minus_longest_idle": {
            "csat": difference(0.04, 0.03, 0.05, False, False),
            "conversion": difference(0.03, 0.02, 0.04, False, False),
            "within_30s": difference(-0.003, -0.006, 0.001, True, False),
            "mean_wait_seconds": difference(0.4, 0.1, 0.8, True, True),
            "abandoned": difference(-0.001, -0.002, 0.0, False, False),
        }
    }

    # when
    lost = routing_sim.losses(results)

    # then
    assert lost == [
        "answered within 30 s -0.3 pts (95% -0.6..+0.1), within noise",
        "mean wait +0.4 s (95% +0.1..+0.8), clearly",
    ]


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
