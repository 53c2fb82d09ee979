"""The REES46 sample (../shared/data/rees46_sample.csv) as the widget would send it, and what the
file itself says the daily report must show.

Mapping (data README): user_id → visitor_id, user_session → session_id, view → product_view,
cart → add_to_cart, purchase → purchase, price → value (USD), category_code → category (empty:
none), product_id → product_id, event_time → timestamp. `event_id` is `r46-<n>` with n the
1-based data row of the file (the header is row 0), so a second replay is all duplicates.

What the file holds and what is done about it (checked on the shipped sample):
- 3,000 rows, 1,281 sessions, 1,199 visitors, one UTC day (2019-10-01), sorted by time; no row
  lacks a user_session or user_id, no exact duplicate rows, every id fits the API's id pattern.
  A row that did lack a session or a usable id, time, type or price would be left out, listed in
  `Sample.skipped` with its reason, and left out of `expected_totals()` as well: an event the
  widget could not have sent is not one the system can count.
- 976 rows have no category_code: sent without `category`.
- 3 `view` rows have price 0.00 (an unknown price in REES46). They are sent with value 0, which
  the API accepts; no cart or purchase row has a zero price, so no count or revenue depends on it.
- Most purchases have no add_to_cart in their session (the shop's cart predates the sample, or
  REES46 does not log it), and some sessions buy twice: purchases are counted per event, cart
  sessions per session, exactly as the contract defines them.
- The events are far from evenly spread: 1,029 in 00:00-00:19, 211 in 00:20-02:16, then 1,760
  in 02:17-02:23. Sessions are cut off at both ends.

Batching (what `widget_batches` builds): per session, the widget queues events and flushes 10 s
(of the session's own time) after the first queued one, so a batch is the consecutive events of
one session within a 10 s window (at most 100); `sent_at` is the last event's time + 1 s. The
server receives batches in `sent_at` order.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from klantreis.sites import Site

REPO = Path(__file__).resolve().parents[1]
DATA = (REPO / ".." / "shared" / "data" / "rees46_sample.csv").resolve()

SITE_ID = "rees46"
SITE_KEY = "rees46-replay-key"
ORIGIN = "https://rees46.example"
CURRENCY = "USD"
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36"
)
"""Sent with every replayed batch: a real widget request carries one, and it is stored with the
session, so it belongs in the item sizes the bench meters."""

EVENT_TYPES = {"view": "product_view", "cart": "add_to_cart", "purchase": "purchase"}
WIDGET_FLUSH = timedelta(seconds=10)
MAX_BATCH_EVENTS = 100
TIME_FORMAT = "%Y-%m-%d %H:%M:%S %Z"

# The API's id rule (klantreis.keys.ID_PATTERN), restated so that this module reads the file
# without the system's code.
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@=+\-]{0,99}$")
_MAX_CATEGORY = 100


@dataclass(frozen=True)
class Row:
    """One usable row of the file, mapped to the contract's names."""

    number: int
    at: datetime
    type: str
    visitor_id: str
    session_id: str
    product_id: str | None
    category: str | None
    value: Decimal | None

    @property
    def event_id(self) -> str:
        return f"r46-{self.number}"

    def event(self) -> dict[str, Any]:
        """The tracked event as the widget sends it."""
        body: dict[str, Any] = {"event_id": self.event_id, "type": self.type, "timestamp": iso(self.at)}
        if self.product_id:
            body["product_id"] = self.product_id
        if self.category:
            body["category"] = self.category
        if self.value is not None:
            body["value"] = float(self.value)
            body["currency"] = CURRENCY
        return body


@dataclass(frozen=True)
class Skipped:
    number: int
    reason: str


@dataclass
class Sample:
    rows: list[Row]
    skipped: list[Skipped]

    @property
    def sessions(self) -> set[str]:
        return {row.session_id for row in self.rows}


@dataclass(frozen=True)
class Batch:
    """One POST /v1/events body."""

    visitor_id: str
    session_id: str
    rows: tuple[Row, ...]

    @property
    def sent_at(self) -> datetime:
        return self.rows[-1].at + timedelta(seconds=1)

    def body(self) -> dict[str, Any]:
        return {
            "visitor_id": self.visitor_id,
            "session_id": self.session_id,
            "sent_at": iso(self.sent_at),
            "events": [row.event() for row in self.rows],
        }


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _raw_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        yield from enumerate(csv.DictReader(handle), start=1)


def unusable(raw: Mapping[str, str | None]) -> str | None:
    """Why a row cannot be sent as a tracked event, or None when it can."""
    if (raw.get("event_type") or "") not in EVENT_TYPES:
        return f"unknown event_type {raw.get('event_type')!r}"
    for column in ("user_session", "user_id", "product_id"):
        value = raw.get(column) or ""
        if not value:
            return f"no {column}"
        if not _ID.match(value):
            return f"{column} {value!r} is not a valid id"
    try:
        datetime.strptime(raw.get("event_time") or "", TIME_FORMAT)
    except ValueError:
        return f"event_time {raw.get('event_time')!r} is not 'YYYY-MM-DD HH:MM:SS UTC'"
    if not (raw.get("event_time") or "").endswith(" UTC"):
        return "event_time is not in UTC"
    price = raw.get("price") or ""
    if price:
        try:
            amount = Decimal(price)
        except InvalidOperation:
            return f"price {price!r} is not a number"
        if not amount.is_finite() or amount < 0:
            return f"price {price!r} is not a finite amount >= 0"
    if len(raw.get("category_code") or "") > _MAX_CATEGORY:
        return "category_code longer than the API accepts"
    return None


def load(path: Path = DATA) -> Sample:
    """The file's usable rows in file order, and the rows left out with their reason."""
    rows: list[Row] = []
    skipped: list[Skipped] = []
    for number, raw in _raw_rows(path):
        reason = unusable(raw)
        if reason:
            skipped.append(Skipped(number, reason))
            continue
        price = raw["price"]
        rows.append(
            Row(
                number=number,
                at=datetime.strptime(raw["event_time"], TIME_FORMAT).replace(tzinfo=UTC),
                type=EVENT_TYPES[raw["event_type"]],
                visitor_id=raw["user_id"],
                session_id=raw["user_session"],
                product_id=raw["product_id"] or None,
                category=raw["category_code"] or None,
                value=Decimal(price) if price else None,
            )
        )
    return Sample(rows=rows, skipped=skipped)


def _by_session(rows: Iterable[Row]) -> dict[str, list[Row]]:
    sessions: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        sessions[row.session_id].append(row)
    for session_rows in sessions.values():
        session_rows.sort(key=lambda row: (row.at, row.number))
    return sessions


def _in_arrival_order(batches: list[Batch]) -> list[Batch]:
    return sorted(batches, key=lambda batch: (batch.sent_at, batch.rows[0].number))


def widget_batches(
    rows: Iterable[Row], flush: timedelta = WIDGET_FLUSH, max_events: int = MAX_BATCH_EVENTS
) -> list[Batch]:
    """Per session, the events of each `flush` window that starts at the first queued event (at
    most `max_events`), in the order the server receives them."""
    batches: list[Batch] = []
    for session_rows in _by_session(rows).values():
        pending: list[Row] = []
        for row in session_rows:
            if pending and (row.at - pending[0].at >= flush or len(pending) >= max_events):
                batches.append(Batch(row.visitor_id, row.session_id, tuple(pending)))
                pending = []
            pending.append(row)
        if pending:
            batches.append(Batch(pending[0].visitor_id, pending[0].session_id, tuple(pending)))
    return _in_arrival_order(batches)


def session_batches(rows: Iterable[Row], max_events: int = MAX_BATCH_EVENTS) -> list[Batch]:
    """One batch per session (split at `max_events`): the fewest requests the file allows."""
    batches: list[Batch] = []
    for session_rows in _by_session(rows).values():
        for start in range(0, len(session_rows), max_events):
            part = tuple(session_rows[start : start + max_events])
            batches.append(Batch(part[0].visitor_id, part[0].session_id, part))
    return _in_arrival_order(batches)


# --------------------------------------------------------------------------- expectations
@dataclass
class SessionExpectation:
    """What one session's stored state must hold."""

    visitor_id: str
    events: int = 0
    cart: bool = False
    purchases: int = 0
    revenue: Decimal = Decimal(0)
    days: set[str] = field(default_factory=set)
    counts_by_type: dict[str, int] = field(default_factory=dict)


@dataclass
class DayExpectation:
    """One day's report counters as the contract defines them, straight from the file."""

    sessions: int = 0
    new_visitor_sessions: int = 0
    cart_sessions: int = 0
    checkout_sessions: int = 0
    purchase_sessions: int = 0
    converted_cart_sessions: int = 0
    purchases: int = 0
    revenue: Decimal = Decimal(0)

    @property
    def cart_abandonment_rate(self) -> float | None:
        """Cart sessions without a purchase / cart sessions (None without cart sessions)."""
        if not self.cart_sessions:
            return None
        return (self.cart_sessions - self.converted_cart_sessions) / self.cart_sessions

    def counters(self) -> dict[str, float]:
        """In the shape of DynamoCounterStore.day_totals."""
        return {
            "sessions": self.sessions,
            "new_visitor_sessions": self.new_visitor_sessions,
            "cart_sessions": self.cart_sessions,
            "checkout_sessions": self.checkout_sessions,
            "purchase_sessions": self.purchase_sessions,
            "converted_cart_sessions": self.converted_cart_sessions,
            "purchases": self.purchases,
            "revenue": float(round(self.revenue, 2)),
        }


@dataclass
class Expected:
    rows: int
    days: dict[str, DayExpectation]
    sessions: dict[str, SessionExpectation]

    @property
    def purchases(self) -> int:
        return sum(day.purchases for day in self.days.values())

    @property
    def revenue(self) -> Decimal:
        return sum((day.revenue for day in self.days.values()), Decimal(0))


def expected_totals(path: Path = DATA) -> Expected:
    """The report counters and per-session facts computed from the CSV alone (its own reading of
    the file; only `unusable` is shared with the mapping, so both leave out the same rows).

    Days are the UTC dates of `event_time` (the replay site's time zone is UTC). A session counts
    on every day it has an event. `new_visitor_sessions`: a visitor's first session in the file
    (by its first event) is new, later ones are returning; the file starts at midnight, so what
    came before is unknown to the system as well. Which of a visitor's sessions the system finds
    first can differ when two start within seconds of each other, the count per day cannot.
    """
    sessions: dict[str, SessionExpectation] = {}
    session_start: dict[str, tuple[str, int]] = {}
    day_tallies: dict[tuple[str, str], dict[str, Any]] = {}
    rows = 0
    for number, raw in _raw_rows(path):
        if unusable(raw):
            continue
        rows += 1
        session_id, kind, day = raw["user_session"], raw["event_type"], raw["event_time"][:10]
        value = Decimal(raw["price"]) if raw["price"] else Decimal(0)
        session = sessions.setdefault(session_id, SessionExpectation(visitor_id=raw["user_id"]))
        session.events += 1
        session.days.add(day)
        mapped = EVENT_TYPES[kind]
        session.counts_by_type[mapped] = session.counts_by_type.get(mapped, 0) + 1
        start = (raw["event_time"], number)
        session_start[session_id] = min(session_start.get(session_id, start), start)
        tally = day_tallies.setdefault(
            (session_id, day), {"cart": False, "purchases": 0, "revenue": Decimal(0)}
        )
        if kind == "cart":
            session.cart = True
            tally["cart"] = True
        elif kind == "purchase":
            session.purchases += 1
            session.revenue += value
            tally["purchases"] += 1
            tally["revenue"] += value

    first_session: dict[str, tuple[tuple[str, int], str]] = {}
    for session_id, start in session_start.items():
        visitor = sessions[session_id].visitor_id
        if visitor not in first_session or start < first_session[visitor][0]:
            first_session[visitor] = (start, session_id)
    new_sessions = {session_id for _, session_id in first_session.values()}

    days: dict[str, DayExpectation] = {}
    for (session_id, day), tally in day_tallies.items():
        expectation = days.setdefault(day, DayExpectation())
        expectation.sessions += 1
        expectation.new_visitor_sessions += session_id in new_sessions
        expectation.cart_sessions += tally["cart"]
        expectation.purchase_sessions += tally["purchases"] > 0
        expectation.converted_cart_sessions += tally["cart"] and tally["purchases"] > 0
        expectation.purchases += tally["purchases"]
        expectation.revenue += tally["revenue"]
    return Expected(rows=rows, days=dict(sorted(days.items())), sessions=sessions)


# --------------------------------------------------------------------------- the replay site
def seed_site(dynamodb: Any, table_name: str) -> None:
    """Site `rees46` (time zone UTC, as the file's days are UTC days; USD) with its widget key."""
    from klantreis.sites.dynamo_store import DynamoSiteStore

    sites = DynamoSiteStore(dynamodb, table_name)
    sites.put(replay_site())
    sites.add_key(SITE_ID, SITE_KEY)


def replay_site() -> Site:
    from klantreis.sites import Site

    return Site(
        site_id=SITE_ID,
        name="REES46 multi-category store (replay)",
        timezone="UTC",
        currency=CURRENCY,
        allowed_origins=[ORIGIN],
    )
