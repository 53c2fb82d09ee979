"""What a queued visitor is told and the order the queue is served in (klantreis.routing.wait)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from klantreis.routing.wait import (
    DEFAULT_HANDLE_SECONDS,
    MAX_PRIORITY,
    expected_wait_seconds,
    queue_priority,
    queue_sort_key,
)


def test_expected_wait_grows_with_position_and_shrinks_with_slots() -> None:
    # given / when / then: one slot frees every handle/slots seconds
    assert expected_wait_seconds(1, 4, 400.0) == 100
    assert expected_wait_seconds(3, 4, 400.0) == 300
    assert expected_wait_seconds(3, 8, 400.0) == 150


def test_expected_wait_without_handle_time_assumes_the_default() -> None:
    # given no ended chats to measure by (or nonsense)
    for handle in (None, 0.0, -5.0, math.nan):
        # when / then
        assert expected_wait_seconds(2, 2, handle) == DEFAULT_HANDLE_SECONDS


def test_expected_wait_with_nobody_to_wait_for_is_none() -> None:
    assert expected_wait_seconds(1, 0, 300.0) is None


def test_queue_positions_start_at_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        expected_wait_seconds(0, 2, 300.0)


def test_priority_is_expected_value_in_euros() -> None:
    # given / when / then
    assert queue_priority(329.95, 0.8) == 264
    assert queue_priority(100.0, None) == 50  # no score: the middle
    assert queue_priority(0.0, 0.9) == 0
    assert queue_priority(-10.0, 0.9) == 0
    assert queue_priority(math.nan, 0.9) == 0
    assert queue_priority(100.0, 7.0) == 100  # score clamped to 0..1
    assert queue_priority(1e12, 1.0) == MAX_PRIORITY


@given(st.floats(0, 1e7), st.floats(0, 1e7), st.floats(0, 1))
def test_priority_never_falls_as_the_cart_grows(low: float, high: float, score: float) -> None:
    low, high = sorted((low, high))
    assert 0 <= queue_priority(low, score) <= queue_priority(high, score) <= MAX_PRIORITY


def test_sort_key_serves_highest_priority_first_then_oldest() -> None:
    # given
    chats = [
        ("old-cheap", 0, 1_700_000_000_000),
        ("new-valuable", 264, 1_700_000_060_000),
        ("old-valuable", 264, 1_700_000_030_000),
        ("newest-cheap", 0, 1_700_000_090_000),
    ]

    # when
    keys = sorted(
        (queue_sort_key(priority, created, chat_id), chat_id) for chat_id, priority, created in chats
    )

    # then
    assert [chat_id for _, chat_id in keys] == ["old-valuable", "new-valuable", "old-cheap", "newest-cheap"]
    assert keys[0][0] == "999735#1700000030000#old-valuable"


@given(
    st.lists(
        st.tuples(st.integers(0, MAX_PRIORITY), st.integers(0, 10**13 - 1), st.text("abc-", max_size=5)),
        max_size=20,
        unique=True,
    )
)
def test_sort_key_order_is_priority_then_age_then_id(chats: list[tuple[int, int, str]]) -> None:
    by_key = sorted(chats, key=lambda c: queue_sort_key(*c))
    assert by_key == sorted(chats, key=lambda c: (-c[0], c[1], c[2]))


def test_sort_key_rejects_what_would_break_the_fixed_width() -> None:
    with pytest.raises(ValueError, match="priority"):
        queue_sort_key(MAX_PRIORITY + 1, 0, "c")
    with pytest.raises(ValueError, match="created_at"):
        queue_sort_key(0, 10**13, "c")
