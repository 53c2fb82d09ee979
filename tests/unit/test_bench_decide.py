"""The decide bench's CPU part runs the warm engage handler on in-memory fakes: every decision it
times must be one the decider answered, not an error of a DynamoDB the part never meant to call
(its fakes once reached only the route's parameters, not the widget check before them)."""

from __future__ import annotations

from bench import decide


def test_every_timed_decision_is_answered_by_the_decider_on_the_fakes() -> None:
    figures = decide.cpu(count=40, rounds=1)

    assert figures["decisions"] == 40
    assert sum(figures["reasons"].values()) == 40
    assert figures["reasons"].get("qualified", 0) > 0
