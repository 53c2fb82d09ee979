"""The report's own daily counters, from the table's change stream: chats (assignment, wait, end,
handle time, resolution, follow-ups), surveys, arrivals per local hour, per-agent and per-category
breakdowns, and the uplift experiment's converted sessions.

Like the session and funnel counters (klantreis.projections.day_counters), every counter here is a
difference of an item's old and new image, so each transition is counted by the one stream
record that makes it, and the aggregation function adds a whole batch exactly once. The names
are those of klantreis.reports.names; each counts on the local day stored in the item that
caused it.

- Chat (SK `CHAT`, on the chat's `day`):
  - created: `h{HH}#chats` (HH: the site's local hour of creation).
  - first assignment (the chat gets an agent and had never had one: no `assigned_at` or
    `wait_seconds` before; a chat created assigned counts too): `chats_assigned`,
    `wait_seconds_sum`, the wait histogram bucket, `category#{c}#chats`. A chat taken back into
    the queue and assigned again does not count again.
  - every assignment to an agent (the first and any reassignment): `agent#{a}#chats`. A chat
    reassigned when its agent went offline is a chat of both agents: conversions and surveys go
    to the agent holding it then, so each agent's rates keep a denominator.
  - ended: `chats_ended`, `chats_resolved` if resolved; when it ended with an agent,
    `chats_handled`, `h{HH}#ended`, and `handle_seconds_sum` and `h{HH}#handle_seconds` +=
    ended_at - assigned_at (the last assignment, as routing's own statistics).
  - resolved and followed up, both for the first time in either order: `chats_resolved_followed_up`.
  - `converted_at` first set: `agent#{a}#conversions` (its agent then, if any) and
    `category#{c}#conversions`; `chat_revenue` and the breakdowns' `revenue` += its
    `conversion_value`.
  Per agent, per category and per agent x category (`agent_category#{a}#{c}#…`, added
  2026-12-04): the first assignment adds `waits`, `wait_seconds_sum` and `answered_in_time`
  (within 30 s) for the agent who took it; an end with an agent adds `handled` and
  `handled_resolved`; a handled chat resolved and followed up adds `handled_resolved_followed_up`
  (first-contact resolution per breakdown is over handled chats); agent x category also counts
  `chats` (every assignment) and `conversions`, as the agent's own.
  A chat without category counts under category `*` (klantreis.keys.UNCATEGORIZED), as routing's
  performance counters and the survey item do, so the per-category rows add up to the totals.
- Survey (SK `SURVEY`, on the survey's `day`, when written): `surveys` and the survey counters,
  and per agent (if the chat had one), per category and per agent x category the
  BREAKDOWN_METRICS it answers (CSAT, NPS, CES); a preferred channel adds
  `preferred_channel_answers`, `channel#{channel}` and `category_channel#{c}#{channel}`.
- Session (SK `SESSION#`, when created): `h{HH}#sessions` on its first day, HH the local hour of
  its first event (`first_local_hour`; UTC for sessions stored without it). A session running
  past midnight counts in `sessions` on both days but in the hourly counters once.
- Uplift: a session's first purchase (purchases 0 -> more) looks up the session's first offer,
  or first holdout "would have offered", made before `last_purchase_at` (its decisions, read
  from the visitor's partition) and adds `offered_converted_sessions` or
  `holdout_converted_sessions` on that decision's day. Like with like under the gain policy
  (added 2026-12-04): when that decision was the gain policy's offer, or a holdout decision whose
  `policy_offer` was true, it also adds `gain_offered_converted_sessions` or
  `gain_holdout_converted_sessions` (the sessions are `gain_offered_sessions` and
  `gain_holdout_sessions`, klantreis.projections.day_counters). Only this needs reads
  (`uplift_deltas`, through the `DecisionLookup` port); they are made before the batch's counters
  are written, in the same exactly-once transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from klantreis import keys
from klantreis.projections.changes import ItemChange
from klantreis.reports.names import (
    BREAKDOWN_METRICS,
    SERVICE_LEVEL_SECONDS,
    agent_category_counter,
    agent_counter,
    category_channel_counter,
    category_counter,
    channel_counter,
    hourly_counter,
    wait_bucket_of,
)
from klantreis.routing.performance import survey_counts

DayKey = tuple[str, str]
"""(site_id, local day)."""
Deltas = dict[DayKey, dict[str, float]]

Arm = Literal["offered", "holdout"]
ARM_COUNTERS: dict[Arm, str] = {
    "offered": "offered_converted_sessions",
    "holdout": "holdout_converted_sessions",
}
GAIN_ARM_COUNTERS: dict[Arm, str] = {
    "offered": "gain_offered_converted_sessions",
    "holdout": "gain_holdout_converted_sessions",
}
ARM_REASONS: dict[str, Arm] = {"qualified": "offered", "holdout": "holdout"}
DECISION_MARGIN = timedelta(days=1)
"""Decisions of a session are looked for from a day before its first event (decide may come
before the first tracked event; clocks differ) to a day after its purchase."""


def _written(changes: Iterable[ItemChange]) -> Iterator[tuple[ItemChange, dict[str, Any]]]:
    """The INSERT and MODIFY changes with a new image (removals count nothing), with that image."""
    for change in changes:
        if change.is_write and change.partition_key and change.new is not None:
            yield change, change.new


def _add(deltas: Deltas, day_key: DayKey, change: Mapping[str, float]) -> None:
    target = deltas.setdefault(day_key, {})
    for name, value in change.items():
        if value:
            target[name] = target.get(name, 0.0) + value


# ------------------------------------------------------------------------------------ chats
def moment_of(value: Any) -> datetime | None:
    """A time as items store it: ISO text (chats, decisions) or epoch milliseconds (sessions)."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC)
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _hour(stored: Any, fallback: datetime | None) -> int:
    """The stored local hour, or the UTC hour of `fallback` for items stored without one."""
    if isinstance(stored, int) and not isinstance(stored, bool) and 0 <= stored <= 23:
        return stored
    return fallback.astimezone(UTC).hour if fallback else 0


def _agent_id(image: Mapping[str, Any] | None) -> str | None:
    agent = (image or {}).get("agent")
    if isinstance(agent, Mapping) and agent.get("agent_id"):
        return str(agent["agent_id"])
    return None


def _category(image: Mapping[str, Any]) -> str:
    return str(image.get("category") or keys.UNCATEGORIZED)


def _resolved_and_followed_up(image: Mapping[str, Any] | None) -> bool:
    image = image or {}
    return (
        image.get("status") == "ended"
        and bool(image.get("resolved"))
        and bool(image.get("follow_up_chat_id"))
    )


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


class _ChatChange:
    """The counters one change of a chat adds, with the chat's hour, category and agent."""

    def __init__(self, new: Mapping[str, Any]) -> None:
        self.counts: dict[str, float] = {}
        self.hour = _hour(new.get("hour"), moment_of(new.get("created_at")))
        self.category = _category(new)
        self.agent = _agent_id(new)

    def add(self, name: str, value: float = 1.0) -> None:
        self.counts[name] = self.counts.get(name, 0.0) + value

    def add_breakdowns(self, metric: str, value: float = 1.0) -> None:
        """The category's, and the agent's and the agent x category cell's if it has an agent."""
        self.add(category_counter(self.category, metric), value)
        if self.agent is not None:
            self.add(agent_counter(self.agent, metric), value)
            self.add(agent_category_counter(self.agent, self.category, metric), value)

    def assigned(self, before: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        if self.agent is None:
            return
        self.add(agent_counter(self.agent, "chats"))
        self.add(agent_category_counter(self.agent, self.category, "chats"))
        if before.get("assigned_at") is not None or before.get("wait_seconds") is not None:
            return  # a reassignment: the chat's wait was counted at its first
        self.add("chats_assigned")
        self.add(category_counter(self.category, "chats"))
        wait = _number(new.get("wait_seconds"))
        if wait is not None:
            wait = max(wait, 0.0)
            self.add("wait_seconds_sum", wait)
            self.add(wait_bucket_of(wait))
            self.add_breakdowns("waits")
            self.add_breakdowns("wait_seconds_sum", wait)
            if wait <= SERVICE_LEVEL_SECONDS:
                self.add_breakdowns("answered_in_time")

    def ended(self, new: Mapping[str, Any]) -> None:
        self.add("chats_ended")
        if new.get("resolved"):
            self.add("chats_resolved")
        assigned_at, ended_at = moment_of(new.get("assigned_at")), moment_of(new.get("ended_at"))
        if self.agent is None or assigned_at is None or ended_at is None:
            return
        # Handled: ended with an agent. Handle time, and its divisor, leave out chats that ended
        # while still waiting in the queue.
        handled = round(max((ended_at - assigned_at).total_seconds(), 0.0), 3)
        self.add("chats_handled")
        self.add("handle_seconds_sum", handled)
        self.add(hourly_counter(self.hour, "ended"))
        self.add(hourly_counter(self.hour, "handle_seconds"), handled)
        self.add_breakdowns("handled")
        if new.get("resolved"):
            self.add_breakdowns("handled_resolved")

    def converted(self, new: Mapping[str, Any]) -> None:
        self.add(category_counter(self.category, "conversions"))
        if self.agent is not None:
            self.add(agent_counter(self.agent, "conversions"))
            self.add(agent_category_counter(self.agent, self.category, "conversions"))
        value = _number(new.get("conversion_value"))
        if value is not None and value > 0:
            self.add("chat_revenue", round(value, 2))
            self.add_breakdowns("revenue", round(value, 2))


def chat_counts(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, float]:
    """What one change of a chat item adds to the counters of the chat's day."""
    before: Mapping[str, Any] = old or {}
    change = _ChatChange(new)
    if old is None:
        change.add(hourly_counter(change.hour, "chats"))
    if new.get("status") == "assigned" and (old is None or before.get("status") != "assigned"):
        change.assigned(before, new)
    if new.get("status") == "ended" and before.get("status") != "ended":
        change.ended(new)
    if _resolved_and_followed_up(new) and not _resolved_and_followed_up(old):
        change.add("chats_resolved_followed_up")
        if change.agent is not None and new.get("assigned_at"):
            change.add_breakdowns("handled_resolved_followed_up")
    if new.get("converted_at") and not before.get("converted_at"):
        change.converted(new)
    return {name: value for name, value in change.counts.items() if value}


# ---------------------------------------------------------------------------------- surveys
def survey_item_counts(new: Mapping[str, Any]) -> dict[str, float]:
    """What a new survey item adds to the counters of its day."""

    def score(name: str) -> int | None:
        value = new.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    try:
        counts = survey_counts(score("csat"), score("nps"), score("ces"))
    except ValueError:
        counts = {}  # out of range: the survey counts, its scores cannot (validated on the way in)
    change: dict[str, float] = {"surveys": 1.0, **{k: float(v) for k, v in counts.items()}}
    agent = new.get("agent_id")
    category = str(new.get("category") or keys.UNCATEGORIZED)
    for metric in BREAKDOWN_METRICS:
        if counts.get(metric):
            if agent:
                change[agent_counter(str(agent), metric)] = float(counts[metric])
                change[agent_category_counter(str(agent), category, metric)] = float(counts[metric])
            change[category_counter(category, metric)] = float(counts[metric])
    channel = new.get("preferred_channel")
    if isinstance(channel, str) and channel and "#" not in channel:
        change["preferred_channel_answers"] = 1.0
        change[channel_counter(channel)] = 1.0
        change[category_channel_counter(category, channel)] = 1.0
    return {name: value for name, value in change.items() if value}


# --------------------------------------------------------------------------------- sessions
def session_hour_counts(
    old: Mapping[str, Any] | None, new: Mapping[str, Any]
) -> tuple[str, dict[str, float]] | None:
    """(first day, counts) of a session item written for the first time; None otherwise."""
    days = new.get("days") or {}
    if old is not None or not days:
        return None
    hour = _hour(new.get("first_local_hour"), moment_of(new.get("first_at")))
    return min(days), {hourly_counter(hour, "sessions"): 1.0}


def deltas(changes: Iterable[ItemChange]) -> Deltas:
    """The report counters (everything here but uplift) of a batch's changes, pure."""
    deltas: Deltas = {}
    for change, new in _written(changes):
        sort_key = change.sort_key
        try:
            if sort_key == keys.CHAT:
                site_id, _ = keys.parse_chat_pk(change.partition_key)
                if new.get("day"):
                    _add(deltas, (site_id, str(new["day"])), chat_counts(change.old, new))
            elif sort_key == keys.SURVEY:
                site_id, _ = keys.parse_chat_pk(change.partition_key)
                if change.old is None and new.get("day"):
                    _add(deltas, (site_id, str(new["day"])), survey_item_counts(new))
            elif sort_key.startswith(keys.SESSION_PREFIX):
                site_id, _ = keys.parse_visitor_pk(change.partition_key)
                counted = session_hour_counts(change.old, new)
                if counted is not None:
                    _add(deltas, (site_id, counted[0]), counted[1])
        except ValueError:
            continue  # a key of another shape: not ours to count
    return {day_key: change for day_key, change in deltas.items() if change}


# ----------------------------------------------------------------------------------- uplift
@dataclass(frozen=True)
class FirstPurchase:
    """A session whose purchases went from none to some in this batch."""

    site_id: str
    visitor_id: str
    session_id: str
    first_at: datetime
    bought_at: datetime
    """The session's `last_purchase_at` as written (its last event when that is missing)."""


@dataclass(frozen=True)
class ArmDecision:
    """What uplift needs of an engagement decision."""

    at: datetime
    day: str
    reason: str
    first_in_session: bool
    policy: str | None = None
    policy_offer: bool | None = None

    @property
    def gain_like(self) -> bool:
        """In the gain policy's like-with-like comparison: its offer, or a holdout it would have
        offered to."""
        return self.policy == "gain" and (self.reason == "qualified" or self.policy_offer is True)


class DecisionLookup(Protocol):
    def session_decisions(
        self, site_id: str, visitor_id: str, session_id: str, since: datetime, until: datetime
    ) -> list[ArmDecision]:
        """The session's decisions made between `since` and `until` (a margin either side is fine)."""
        ...


def first_purchases(changes: Iterable[ItemChange]) -> list[FirstPurchase]:
    """Sessions whose first purchase is in these changes."""
    found: list[FirstPurchase] = []
    for change, new in _written(changes):
        if not change.is_session:
            continue
        before = int((change.old or {}).get("purchases") or 0)
        after = int(new.get("purchases") or 0)
        if before > 0 or after <= 0:
            continue
        try:
            site_id, visitor_id = keys.parse_visitor_pk(change.partition_key)
        except ValueError:
            continue
        first_at = moment_of(new.get("first_at"))
        bought_at = moment_of(new.get("last_purchase_at")) or moment_of(new.get("last_at"))
        if first_at is None or bought_at is None:
            continue
        session_id = change.sort_key.removeprefix(keys.SESSION_PREFIX)
        found.append(FirstPurchase(site_id, visitor_id, session_id, first_at, bought_at))
    return found


def arm_decision(decisions: Sequence[ArmDecision], bought_at: datetime) -> ArmDecision | None:
    """The session's first offer or holdout "would have offered" before the purchase; None for a
    session that was neither offered nor held out."""
    eligible = [d for d in decisions if d.first_in_session and d.reason in ARM_REASONS and d.at < bought_at]
    return min(eligible, key=lambda d: d.at) if eligible else None


def session_arm(decisions: Sequence[ArmDecision], bought_at: datetime) -> tuple[Arm, str] | None:
    """(arm, day) of `arm_decision`."""
    first = arm_decision(decisions, bought_at)
    return None if first is None else (ARM_REASONS[first.reason], first.day)


def uplift_deltas(purchases: Iterable[FirstPurchase], lookup: DecisionLookup) -> Deltas:
    deltas: Deltas = {}
    for purchase in purchases:
        decisions = lookup.session_decisions(
            purchase.site_id,
            purchase.visitor_id,
            purchase.session_id,
            min(purchase.first_at, purchase.bought_at) - DECISION_MARGIN,
            purchase.bought_at + DECISION_MARGIN,
        )
        first = arm_decision(decisions, purchase.bought_at)
        if first is None:
            continue
        arm = ARM_REASONS[first.reason]
        change = {ARM_COUNTERS[arm]: 1.0}
        if first.gain_like:
            change[GAIN_ARM_COUNTERS[arm]] = 1.0
        _add(deltas, (purchase.site_id, first.day), change)
    return deltas
