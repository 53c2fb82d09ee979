"""Daily counters for reports, kept from the table's change stream.

The tracking request writes only the session item. A stream consumer turns each change of a
session into per-day deltas (a session that starts on a day adds one to `sessions`, its first
add-to-cart that day one to `cart_sessions`, ...) and adds a whole batch of them in one
transaction, together with a marker of that batch, so a retried batch is not counted twice.
2,000 events/s become a few counter writes per second per stream shard, spread over
`COUNTER_SLOTS` items a day (see docs/decisions.md, "Daily counters from the stream").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from klantreis import keys
from klantreis.projections.changes import ItemChange
from klantreis.reports.names import BLOCKING_REASONS

SESSION_COUNTERS = (
    "sessions",
    "new_visitor_sessions",
    "cart_sessions",
    "checkout_sessions",
    "purchase_sessions",
    "converted_cart_sessions",
    "purchases",
    "revenue",
)
FUNNEL_COUNTERS = (
    "decisions",
    "qualified",
    "offers",
    "offered_sessions",
    "holdout_decisions",
    "holdout_sessions",
    *(f"blocked_{reason}" for reason in BLOCKING_REASONS),
    "offers_accepted",
    "offers_rejected",
    "offers_ignored",
    "chats_started",
    "chats_converted",
    "gain_offers",
    "gain_estimated_uplift",
    "gain_offered_sessions",
    "gain_holdout_sessions",
)
"""The engagement funnel from decision, offer and chat items (see `funnel_deltas`): a chat counts
in `chats_started` when it is created and in `chats_converted` when a purchase is attributed to it
(klantreis.projections.attribution), both on the chat's own day (the day it started). Offers the
gain policy made count in `gain_offers`, their estimated uplifts summed in `gain_estimated_uplift`.
Like with like under the gain policy: a session's first offer by the gain policy counts in
`gain_offered_sessions`, a session's first holdout "would have offered" whose `policy_offer` was
true (the gain policy would have offered too) in `gain_holdout_sessions`."""
COUNTERS = SESSION_COUNTERS + FUNNEL_COUNTERS
COUNTER_SLOTS = 4
MAX_NAMES_PER_UPDATE = 100
"""Counters one update of a slot item adds. A day of a busy batch can change a few hundred
(per-agent, per-category and hourly report counters, klantreis.reports.names); an update
expression may hold 4 KB and 300 operators, so a day's change is split into updates of this many
names, each to another slot item (one transaction cannot write an item twice)."""
KEY_ATTRIBUTES = frozenset({"PK", "SK", "site_id", "day"})
"""Attributes of a counter slot item that are not counters."""

DayKey = tuple[str, str]
"""(site_id, local day)."""


def day_indicators(tally: Mapping[str, Any], returning_visitor: bool) -> dict[str, float]:
    """What one session contributes to one day's counters, given its tally for that day."""
    purchases = int(tally.get("purchases", 0))
    cart = bool(tally.get("cart"))
    return {
        "sessions": 1,
        "new_visitor_sessions": 0 if returning_visitor else 1,
        "cart_sessions": int(cart),
        "checkout_sessions": int(bool(tally.get("checkout"))),
        "purchase_sessions": int(purchases > 0),
        "converted_cart_sessions": int(cart and purchases > 0),
        "purchases": purchases,
        "revenue": float(tally.get("revenue", 0.0)),
    }


def session_deltas(
    site_id: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> dict[DayKey, dict[str, float]]:
    """Counter changes from one session item's old and new image. Removals (erasure, TTL) change
    nothing: reports keep their aggregate history."""
    if not new:
        return {}
    old_days: Mapping[str, Any] = (old or {}).get("days", {})
    old_returning = bool((old or {}).get("returning_visitor", False))
    deltas: dict[DayKey, dict[str, float]] = {}
    for day, tally in new.get("days", {}).items():
        after = day_indicators(tally, bool(new.get("returning_visitor", False)))
        before = day_indicators(old_days[day], old_returning) if day in old_days else None
        change = {k: v - (before[k] if before else 0) for k, v in after.items()}
        change = {k: v for k, v in change.items() if v}
        if change:
            deltas[(site_id, day)] = change
    return deltas


def funnel_deltas(
    sort_key: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> dict[str, float]:
    """Funnel changes from a decision item (counted when written), an offer item (counted when
    the visitor's response arrives) or a chat item (counted when created, and when it first
    converts), on the site's local day stored in the item."""
    if not new:
        return {}
    if sort_key == keys.CHAT:
        return chat_deltas(old, new)
    if sort_key.startswith(keys.DECISION_PREFIX):
        if old:
            return {}  # decisions are written once; a rewrite is not a new decision
        reason = str(new.get("reason", ""))
        change = {"decisions": 1.0}
        if new.get("qualified"):
            change["qualified"] = 1.0
        if reason == "qualified":
            change["offers"] = 1.0
            if new.get("first_in_session"):
                change["offered_sessions"] = 1.0
            if new.get("policy") == "gain":
                change["gain_offers"] = 1.0
                change["gain_estimated_uplift"] = float(new.get("estimated_uplift") or 0.0)
                if new.get("first_in_session"):
                    change["gain_offered_sessions"] = 1.0
        elif reason == "holdout":
            change["holdout_decisions"] = 1.0
            if new.get("first_in_session"):
                change["holdout_sessions"] = 1.0
                if new.get("policy") == "gain" and new.get("policy_offer") is True:
                    change["gain_holdout_sessions"] = 1.0
        elif reason in BLOCKING_REASONS:
            change[f"blocked_{reason}"] = 1.0
        return change
    if sort_key == keys.OFFER:
        response = new.get("response")
        if response and not (old or {}).get("response") and f"offers_{response}" in FUNNEL_COUNTERS:
            return {f"offers_{response}": 1.0}
    return {}


def chat_deltas(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, float]:
    """A chat item counts once when written first (INSERT) and once when `converted_at` first
    appears; every other change of it (messages, status, survey) counts nothing."""
    change: dict[str, float] = {}
    if not old:
        change["chats_started"] = 1.0
    if new.get("converted_at") and not (old or {}).get("converted_at"):
        change["chats_converted"] = 1.0
    return change


def _is_funnel_item(sort_key: str) -> bool:
    return sort_key.startswith(keys.DECISION_PREFIX) or sort_key in (keys.OFFER, keys.CHAT)


def _funnel_site(partition_key: str, sort_key: str) -> str:
    if sort_key == keys.OFFER:
        return keys.parse_offer_pk(partition_key)[0]
    if sort_key == keys.CHAT:
        return keys.parse_chat_pk(partition_key)[0]
    return keys.parse_visitor_pk(partition_key)[0]


def merge(into: dict[DayKey, dict[str, float]], more: Mapping[DayKey, Mapping[str, float]]) -> None:
    for day_key, change in more.items():
        target = into.setdefault(day_key, defaultdict(float))
        for name, value in change.items():
            target[name] = target[name] + value


def deltas(changes: Iterable[ItemChange]) -> dict[DayKey, dict[str, float]]:
    """Sums the deltas of a batch's changes: session items, and the engagement funnel's decision,
    offer and chat items."""
    total: dict[DayKey, dict[str, float]] = {}
    for change in changes:
        if change.event_name not in ("INSERT", "MODIFY"):
            continue
        if not (change.is_session or _is_funnel_item(change.sort_key)):
            continue
        old, new = change.old, change.new
        if change.is_session:
            site_id, _ = keys.parse_visitor_pk(change.partition_key)
            merge(total, session_deltas(site_id, old, new))
            continue
        funnel = funnel_deltas(change.sort_key, old, new)
        if funnel and new and new.get("day"):
            merge(total, {(_funnel_site(change.partition_key, change.sort_key), str(new["day"])): funnel})
    return total


class CounterStore(Protocol):
    def add_once(self, marker: str, deltas: Mapping[DayKey, Mapping[str, float]], now: int) -> bool:
        """Adds all deltas and records `marker` atomically; False if the marker was seen before."""
        ...

    def day_totals(self, site_id: str, day: str) -> dict[str, float]: ...
