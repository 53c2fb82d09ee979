"""What a queued chat is told, and the order the queue is served in.

Expected wait: when every slot able to take the category is busy, a slot frees up on average
every `mean_handle / serving_slots` seconds (the first of c chats with exponential handle times
ends after mean/c; M/M/c reasoning), and the visitor at position k waits for k such departures.
It is an estimate for the widget ("about 2 minutes"), not a promise: it ignores chats that jump
the queue on priority and agents who come or go.

Priority: a queued chat is served by value and score, i.e. by its expected value to the shop,
cart value times the purchase-propensity score (0.5 when there is no score, the uninformed
middle). Chats of equal priority are served oldest first. Among queued chats only: a chat is
never taken from an agent for a better one, and a visitor with an empty cart still gets the next
free slot when nobody more valuable is waiting.
"""

from __future__ import annotations

import math

DEFAULT_HANDLE_SECONDS = 300.0
"""Mean handle time assumed while the category has no ended chats to measure it by."""
MAX_PRIORITY = 999_999
"""Priorities are whole euros of expected value, capped here (a €2 million cart at score 0.5)."""
UNKNOWN_SCORE = 0.5
_PRIORITY_WIDTH = 6
_CREATED_WIDTH = 13
"""Epoch milliseconds have 13 digits until the year 2286."""


def expected_wait_seconds(position: int, serving_slots: int, mean_handle_seconds: float | None) -> int | None:
    """Seconds until a queued chat at `position` (1 = next in line) is likely to be answered.

    `serving_slots` is the total `max_chats` of the present agents able to take the category;
    with none there is nobody to wait for and the answer is None.
    """
    if position < 1:
        raise ValueError(f"queue positions start at 1, got {position}")
    if serving_slots <= 0:
        return None
    handle = mean_handle_seconds
    if handle is None or not math.isfinite(handle) or handle <= 0:
        handle = DEFAULT_HANDLE_SECONDS
    return round(position * handle / serving_slots)


def queue_priority(cart_value: float, score: float | None) -> int:
    """0..MAX_PRIORITY, higher is served first: expected value in whole euros, cart value times
    the propensity score (UNKNOWN_SCORE when there is none). Nonsense input (negative, NaN) counts
    as no value rather than failing the chat."""
    value = cart_value if math.isfinite(cart_value) and cart_value > 0 else 0.0
    chance = UNKNOWN_SCORE if score is None or not math.isfinite(score) else min(1.0, max(0.0, score))
    return min(MAX_PRIORITY, round(value * chance))


def queue_sort_key(priority: int, created_at_epoch_ms: int, chat_id: str) -> str:
    """A fixed-width string that sorts ascending in service order: highest priority first, then
    oldest, then chat id (so the order is total). Fit for a DynamoDB sort key."""
    if not 0 <= priority <= MAX_PRIORITY:
        raise ValueError(f"priority must be 0..{MAX_PRIORITY}, got {priority}")
    if not 0 <= created_at_epoch_ms < 10**_CREATED_WIDTH:
        raise ValueError(f"created_at_epoch_ms out of range: {created_at_epoch_ms}")
    return f"{MAX_PRIORITY - priority:0{_PRIORITY_WIDTH}d}#{created_at_epoch_ms:0{_CREATED_WIDTH}d}#{chat_id}"
