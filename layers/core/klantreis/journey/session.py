"""Per-session state kept as events arrive, and the pure fold of events into it.

This state is what later parts read: engagement (stage, cart value, page-type counts and
durations), routing (the journey for the agent), reports (per-day tallies, through counters).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from klantreis.journey.events import EventType, TrackedEvent
from klantreis.sites import PRODUCT_RELATED, Site
from klantreis.useragent import ClientInfo

MAX_SESSION_EVENTS = 5_000
"""Beyond this a session is a bot or a broken widget; further events are rejected."""
MAX_PRODUCTS = 200
MAX_CATEGORIES = 100
MAX_DISCOUNT_CODES = 10
"""Discount codes kept per session (a session reporting more is not a shopper)."""
MAX_DISCOUNT_CODE_CHARS = 40
PAGE_DWELL_CAP = timedelta(minutes=30)
"""Time on a page counts up to this (an abandoned tab is not 3 hours of reading)."""
JOURNEY_FLUSH_BYTES = 1_024
"""Journey entries stay inside the session item until they reach this size, then move to a
chunk item of their own: one write per batch while sessions are short, bounded item size after."""
DIGEST_BYTES = 8


class Stage(StrEnum):
    BROWSING = "browsing"
    CART = "cart"
    CHECKOUT = "checkout"
    PURCHASED = "purchased"


class JourneyEntry(BaseModel):
    """One step of the visitor's journey as an agent sees it."""

    at: datetime
    type: EventType
    url: str | None = None
    page_type: str | None = None
    category: str | None = None
    product_id: str | None = None
    value: float | None = None
    step: int | None = None

    def stored_size(self) -> int:
        return len(self.model_dump_json(exclude_none=True))


class ProductInterest(BaseModel):
    views: int = 0
    category: str | None = None
    value: float | None = None


class CartLine(BaseModel):
    quantity: int
    unit_value: float = 0.0
    category: str | None = None


class PageTypeStats(BaseModel):
    views: int = 0
    seconds: float = 0.0


class DayTally(BaseModel):
    """What this session did on one local day of the site; counters are derived from these."""

    cart: bool = False
    checkout: bool = False
    purchases: int = 0
    revenue: float = 0.0


class SessionState(BaseModel):
    site_id: str
    visitor_id: str
    session_id: str
    version: int = 0
    first_at: datetime
    last_at: datetime
    first_local_hour: int | None = Field(None, ge=0, le=23)
    """The site's local hour (0-23) of `first_at`: the hour the report's arrivals count it in
    (klantreis.projections.report_counters); None only in sessions stored before it was kept."""
    returning_visitor: bool = False
    event_count: int = 0
    counts_by_type: dict[str, int] = Field(default_factory=dict)
    counts_by_category: dict[str, int] = Field(default_factory=dict)
    products: dict[str, ProductInterest] = Field(default_factory=dict)
    cart: dict[str, CartLine] = Field(default_factory=dict)
    checkout_step: int = 0
    purchases: int = 0
    revenue: float = 0.0
    last_purchase_at: datetime | None = None
    discount_codes: list[str] = Field(default_factory=list)
    """Codes the shop reported on purchases (`properties.discount_code`), first seen first: what
    attributes a purchase to the chat that gave the code (klantreis.projections.attribution)."""
    currency: str | None = None
    page_types: dict[str, PageTypeStats] = Field(default_factory=dict)
    last_page_type: str | None = None
    last_page_url: str | None = None
    last_page_at: datetime | None = None
    landing_url: str | None = None
    days: dict[str, DayTally] = Field(default_factory=dict)
    client: ClientInfo | None = None
    seen: bytes = b""
    """Digests of the event ids stored so far (8 bytes each): the duplicate check."""
    journey: list[JourneyEntry] = Field(default_factory=list)
    """Journey entries not yet moved to a chunk item."""
    journey_chunks: list[str] = Field(default_factory=list)
    """Sort keys of the chunk items that hold the earlier journey, in order."""
    expires_at: int = 0

    @property
    def cart_value(self) -> float:
        return round(sum(line.quantity * line.unit_value for line in self.cart.values()), 2)

    @property
    def cart_items(self) -> int:
        return sum(line.quantity for line in self.cart.values())

    @property
    def stage(self) -> Stage:
        if self.purchases:
            return Stage.PURCHASED
        if self.checkout_step and self.cart:
            return Stage.CHECKOUT
        if self.cart:
            return Stage.CART
        return Stage.BROWSING

    @property
    def abandoned_checkout(self) -> bool:
        """Reached checkout with goods in the cart and did not buy."""
        return self.checkout_step > 0 and bool(self.cart) and not self.purchases

    def journey_bytes(self) -> int:
        return sum(entry.stored_size() for entry in self.journey)


def event_digest(event_id: str) -> bytes:
    return hashlib.blake2b(event_id.encode(), digest_size=DIGEST_BYTES).digest()


@dataclass
class FoldOutcome:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)


class SessionFold:
    """Applies events to one session's state. Duplicates (by event id digest) change nothing."""

    def __init__(self, state: SessionState, site: Site) -> None:
        self.state = state
        self._site = site
        self._seen = {state.seen[i : i + DIGEST_BYTES] for i in range(0, len(state.seen), DIGEST_BYTES)}

    def apply_all(self, indexed_events: list[tuple[int, TrackedEvent]]) -> FoldOutcome:
        outcome = FoldOutcome()
        # In time order, so page dwell times and the cart evolve as the visitor saw them.
        for index, event in sorted(indexed_events, key=lambda pair: pair[1].timestamp):
            digest = event_digest(event.event_id)
            if digest in self._seen:
                outcome.duplicates += 1
                continue
            if self.state.event_count >= MAX_SESSION_EVENTS:
                outcome.rejected.append(
                    (index, f"the session reached its limit of {MAX_SESSION_EVENTS} events")
                )
                continue
            self._apply(event)
            self._seen.add(digest)
            self.state.seen += digest
            outcome.accepted += 1
        return outcome

    def _apply(self, event: TrackedEvent) -> None:
        state = self.state
        at = event.timestamp
        state.event_count += 1
        if at < state.first_at or state.first_local_hour is None:
            state.first_at = min(state.first_at, at)
            state.first_local_hour = state.first_at.astimezone(self._site.zone).hour
        state.last_at = max(state.last_at, at)
        state.counts_by_type[event.type.value] = state.counts_by_type.get(event.type.value, 0) + 1
        if event.category:
            _bump(state.counts_by_category, event.category, MAX_CATEGORIES)
        if event.currency and not state.currency:
            state.currency = event.currency
        tally = state.days.setdefault(self._site.local_day(at), DayTally())
        page_type: str | None = None

        match event.type:
            case EventType.PAGE_VIEW:
                page_type = self._site.page_type(event.url)
                self._enter_page(page_type, event.url, at)
            case EventType.PRODUCT_VIEW:
                self._view_product(event)
                # A product view is a product page, unless the widget already reported that
                # very page with a page_view.
                if event.url is None or event.url != state.last_page_url:
                    page_type = PRODUCT_RELATED
                    self._enter_page(page_type, event.url, at)
            case EventType.ADD_TO_CART:
                self._add_to_cart(event)
                tally.cart = True
            case EventType.REMOVE_FROM_CART:
                self._remove_from_cart(event)
            case EventType.CHECKOUT_STEP:
                state.checkout_step = max(state.checkout_step, event.step or 0)
                tally.checkout = True
            case EventType.PURCHASE:
                value = event.value or 0.0
                state.purchases += 1
                state.revenue = round(state.revenue + value, 2)
                tally.purchases += 1
                tally.revenue = round(tally.revenue + value, 2)
                state.cart.clear()
                if state.last_purchase_at is None or at > state.last_purchase_at:
                    state.last_purchase_at = at
                self._note_discount_code(event)
            case _:
                pass

        state.journey.append(
            JourneyEntry(
                at=at,
                type=event.type,
                url=event.url,
                page_type=page_type,
                category=event.category,
                product_id=event.product_id,
                value=event.value,
                step=event.step,
            )
        )

    def _note_discount_code(self, event: TrackedEvent) -> None:
        raw = event.properties.get("discount_code")
        if not isinstance(raw, str):
            return
        code = raw.strip()
        codes = self.state.discount_codes
        if (
            code
            and len(code) <= MAX_DISCOUNT_CODE_CHARS
            and code not in codes
            and len(codes) < MAX_DISCOUNT_CODES
        ):
            codes.append(code)

    def _enter_page(self, page_type: str, url: str | None, at: datetime) -> None:
        state = self.state
        stats = state.page_types.setdefault(page_type, PageTypeStats())
        stats.views += 1
        if state.landing_url is None and url:
            state.landing_url = url
        if state.last_page_at is not None and at < state.last_page_at:
            return  # a late event: counted, but it does not move the visitor's current page
        if state.last_page_at is not None and state.last_page_type is not None:
            dwell = min(at - state.last_page_at, PAGE_DWELL_CAP).total_seconds()
            previous = state.page_types.setdefault(state.last_page_type, PageTypeStats())
            previous.seconds = round(previous.seconds + dwell, 3)
        state.last_page_type, state.last_page_url, state.last_page_at = page_type, url, at

    def _view_product(self, event: TrackedEvent) -> None:
        products = self.state.products
        product_id = event.product_id or ""
        if product_id not in products and len(products) >= MAX_PRODUCTS:
            return
        interest = products.setdefault(product_id, ProductInterest())
        interest.views += 1
        interest.category = event.category or interest.category
        interest.value = event.value if event.value is not None else interest.value

    def _add_to_cart(self, event: TrackedEvent) -> None:
        product_id = event.product_id or ""
        known = self.state.products.get(product_id)
        line = self.state.cart.get(product_id)
        unit_value = event.value
        if unit_value is None:
            unit_value = line.unit_value if line else (known.value if known and known.value else 0.0)
        if line is None:
            line = self.state.cart[product_id] = CartLine(quantity=0)
        line.quantity += event.quantity
        line.unit_value = unit_value
        line.category = event.category or line.category or (known.category if known else None)

    def _remove_from_cart(self, event: TrackedEvent) -> None:
        product_id = event.product_id or ""
        line = self.state.cart.get(product_id)
        if line is None:
            return
        if "quantity" in event.properties:
            line.quantity -= event.quantity
        else:
            line.quantity = 0
        if line.quantity <= 0:
            del self.state.cart[product_id]


def _bump(counts: dict[str, int], key: str, cap: int) -> None:
    if key in counts or len(counts) < cap:
        counts[key] = counts.get(key, 0) + 1


class VisitorSummary(BaseModel):
    """What is known of a visitor across their sessions (derived; nothing extra is stored)."""

    visitor_id: str
    sessions: int
    first_at: datetime
    last_at: datetime
    returning: bool
    purchases: int
    revenue: float


def summarize_visitor(sessions: list[SessionState]) -> VisitorSummary | None:
    if not sessions:
        return None
    return VisitorSummary(
        visitor_id=sessions[0].visitor_id,
        sessions=len(sessions),
        first_at=min(s.first_at for s in sessions),
        last_at=max(s.last_at for s in sessions),
        returning=len(sessions) > 1 or any(s.returning_visitor for s in sessions),
        purchases=sum(s.purchases for s in sessions),
        revenue=round(sum(s.revenue for s in sessions), 2),
    )
