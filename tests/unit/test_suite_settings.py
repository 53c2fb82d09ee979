"""The suite's own settings: property tests reproduce and hold on busy machines."""

from __future__ import annotations

from hypothesis import settings


def test_property_tests_draw_the_same_examples_without_a_deadline() -> None:
    profile = settings.default
    assert profile.derandomize
    assert profile.database is None
    assert profile.deadline is None
