"""The visitor's journey as the agent sees it beside a chat (`GET /v1/chats/{chat_id}/context`):
pages and products with their view counts, the cart and its value, the furthest checkout step and
whether the visitor dropped out there, the scores of the latest engagement decision, and the
visitor's earlier chats with their surveys.

Domain logic only, over three read ports: sessions (klantreis.journey.ports), the visitor's chats
(klantreis.conversations.dynamo_store) and decisions (`DecisionReader`, whose DynamoDB adapter is here: a
decision is an item `DECISION#{iso time}#{id}` of the visitor's partition). A chat opened before
the visitor's first tracked event has no session yet: its context has an empty journey.

Cost per call: one Query of the visitor's sessions, one of the journey's chunks when the session
has any, one of the visitor's chats (GSI1) and one page of the visitor's decisions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field

from klantreis.conversations.models import Chat, ChatAgent, ChatStatus, SurveySummary
from klantreis.conversations.ports import DecisionReader
from klantreis.engagement.records import Decision, Reason, WeighingFeature
from klantreis.journey.session import (
    PAGE_DWELL_CAP,
    JourneyEntry,
    SessionState,
    Stage,
    VisitorSummary,
    summarize_visitor,
)
from klantreis.useragent import ClientInfo

MAX_PAGES = 50
"""Pages listed, most viewed first; `distinct_pages` counts them all."""
MAX_PRODUCTS = 50
MAX_RECENT_STEPS = 20
MAX_EARLIER_CHATS = 20


# ---------------------------------------------------------------------------------- ports
class SessionReader(Protocol):
    """What the context reads of sessions (klantreis.journey.ports.SessionStore has it)."""

    def journey(self, state: SessionState) -> list[JourneyEntry]: ...
    def sessions(self, site_id: str, visitor_id: str) -> list[SessionState]: ...


class ChatHistory(Protocol):
    """What the context reads of chats (klantreis.conversations.ports.ChatReader has it)."""

    def chats_of_visitor(self, site_id: str, visitor_id: str) -> list[Chat]: ...


# ---------------------------------------------------------------------------------- answer
class PageVisits(BaseModel):
    """One page (its URL without query or fragment) and how the visitor spent time on it."""

    model_config = ConfigDict(frozen=True)

    url: str
    page_type: str | None = None
    views: int
    seconds: float
    """Time on the page, each view counted up to 30 minutes (as the session's page types)."""
    first_at: datetime
    last_at: datetime


class ProductInterestView(BaseModel):
    model_config = ConfigDict(frozen=True)

    product_id: str
    category: str | None = None
    views: int
    value: float | None = None
    in_cart: bool = False


class CartItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    product_id: str
    quantity: int
    unit_value: float
    category: str | None = None
    value: float
    """quantity times unit_value."""


class DecisionSummary(BaseModel):
    """The latest engagement decision of the session: the visitor's scores as the model saw them."""

    model_config = ConfigDict(frozen=True)

    decision_id: str
    at: datetime
    reason: Reason
    rule_id: str | None = None
    score: float | None = None
    """Purchase intent, 0..1."""
    abandonment_risk: float | None = None
    top_features: list[WeighingFeature] = Field(default_factory=list)
    offer_id: str | None = None


class EarlierChat(BaseModel):
    model_config = ConfigDict(frozen=True)

    chat_id: str
    session_id: str
    same_session: bool
    created_at: datetime
    category: str | None = None
    agent: ChatAgent | None = None
    status: ChatStatus
    resolved: bool | None = None
    converted: bool
    conversion_value: float | None = None
    discount_percent: float | None = None
    survey: SurveySummary | None = None


class ChatContext(BaseModel):
    """The answer of `GET /v1/chats/{chat_id}/context`."""

    model_config = ConfigDict(frozen=True)

    chat_id: str
    visitor_id: str
    session_id: str
    session_found: bool
    """False while the chat's session has no tracked event: the journey below is empty."""
    stage: Stage
    first_at: datetime | None = None
    last_at: datetime | None = None
    time_on_site_seconds: float = 0.0
    landing_url: str | None = None
    current_url: str | None = None
    events: int = 0
    pages: list[PageVisits] = Field(default_factory=list)
    distinct_pages: int = 0
    recent_steps: list[JourneyEntry] = Field(default_factory=list)
    """The session's last steps, oldest first."""
    products: list[ProductInterestView] = Field(default_factory=list)
    cart: list[CartItem] = Field(default_factory=list)
    cart_value: float = 0.0
    currency: str | None = None
    furthest_checkout_step: int = 0
    dropped_out_at_checkout: bool = False
    """Reached checkout with goods in the cart and has not bought."""
    purchases: int = 0
    revenue: float = 0.0
    client: ClientInfo | None = None
    score_at_offer: float | None = None
    """Purchase intent when the chat was offered, if it came from an offer."""
    latest_decision: DecisionSummary | None = None
    earlier_chats: list[EarlierChat] = Field(default_factory=list)
    """The visitor's other chats, newest first."""
    other_sessions: int = 0
    returning_visitor: bool = False
    visitor: VisitorSummary | None = None
    """Across all the visitor's sessions still held."""


# ---------------------------------------------------------------------------------- logic
def chat_context(
    chat: Chat, sessions: SessionReader, chats: ChatHistory, decisions: DecisionReader
) -> ChatContext:
    all_sessions = sessions.sessions(chat.site_id, chat.visitor_id)
    state = next((s for s in all_sessions if s.session_id == chat.session_id), None)
    others = sum(1 for s in all_sessions if s.session_id != chat.session_id)
    decision = decisions.latest_decision(chat.site_id, chat.visitor_id, chat.session_id)
    base: dict[str, Any] = {
        "chat_id": chat.chat_id,
        "visitor_id": chat.visitor_id,
        "session_id": chat.session_id,
        "score_at_offer": chat.score,
        "latest_decision": _decision_summary(decision) if decision else None,
        "earlier_chats": earlier_chats(chat, chats.chats_of_visitor(chat.site_id, chat.visitor_id)),
        "other_sessions": others,
        "visitor": summarize_visitor(all_sessions),
    }
    if state is None:
        return ChatContext(**base, session_found=False, stage=Stage.BROWSING, returning_visitor=others > 0)
    journey = sessions.journey(state)
    pages = page_visits(journey, state.last_at)
    return ChatContext(
        **base,
        session_found=True,
        stage=state.stage,
        first_at=state.first_at,
        last_at=state.last_at,
        time_on_site_seconds=round(max((state.last_at - state.first_at).total_seconds(), 0.0), 3),
        landing_url=state.landing_url,
        current_url=state.last_page_url,
        events=state.event_count,
        pages=pages[:MAX_PAGES],
        distinct_pages=len(pages),
        recent_steps=journey[-MAX_RECENT_STEPS:],
        products=product_views(state),
        cart=[
            CartItem(
                product_id=product_id,
                quantity=line.quantity,
                unit_value=line.unit_value,
                category=line.category,
                value=round(line.quantity * line.unit_value, 2),
            )
            for product_id, line in state.cart.items()
        ],
        cart_value=state.cart_value,
        currency=state.currency,
        furthest_checkout_step=state.checkout_step,
        dropped_out_at_checkout=state.abandoned_checkout,
        purchases=state.purchases,
        revenue=state.revenue,
        client=state.client,
        returning_visitor=others > 0 or state.returning_visitor,
    )


def page_url(url: str) -> str:
    """A page as the agent reads it: the URL without query string and fragment."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))


def page_visits(journey: Sequence[JourneyEntry], session_end: datetime) -> list[PageVisits]:
    """Pages of the journey (the entries that opened a page, as the session fold counts them),
    most viewed first, then in the order first seen. A view lasts until the next page opened, or
    until the session's last event for the current page, up to `PAGE_DWELL_CAP`."""
    opened = sorted((e for e in journey if e.page_type), key=lambda e: e.at)
    views: Counter[str] = Counter()
    seconds: dict[str, float] = {}
    first: dict[str, datetime] = {}
    last: dict[str, datetime] = {}
    kind: dict[str, str | None] = {}
    for number, entry in enumerate(opened):
        left = opened[number + 1].at if number + 1 < len(opened) else max(session_end, entry.at)
        if entry.url is None:
            continue
        url = page_url(entry.url)
        views[url] += 1
        dwell = min(left - entry.at, PAGE_DWELL_CAP).total_seconds()
        seconds[url] = seconds.get(url, 0.0) + max(dwell, 0.0)
        first.setdefault(url, entry.at)
        last[url] = entry.at
        kind[url] = entry.page_type
    order = sorted(views, key=lambda url: (-views[url], first[url]))
    return [
        PageVisits(
            url=url,
            page_type=kind[url],
            views=views[url],
            seconds=round(seconds[url], 3),
            first_at=first[url],
            last_at=last[url],
        )
        for url in order
    ]


def product_views(state: SessionState) -> list[ProductInterestView]:
    """Products viewed, most viewed first (and the cart's, even if never viewed)."""
    found = {
        product_id: ProductInterestView(
            product_id=product_id,
            category=interest.category,
            views=interest.views,
            value=interest.value,
            in_cart=product_id in state.cart,
        )
        for product_id, interest in state.products.items()
        if product_id
    }
    for product_id, line in state.cart.items():
        if product_id and product_id not in found:
            found[product_id] = ProductInterestView(
                product_id=product_id, category=line.category, views=0, value=line.unit_value, in_cart=True
            )
    ordered = sorted(found.values(), key=lambda p: (-p.views, not p.in_cart, p.product_id))
    return ordered[:MAX_PRODUCTS]


def earlier_chats(chat: Chat, of_visitor: Sequence[Chat]) -> list[EarlierChat]:
    others = sorted(
        (c for c in of_visitor if c.chat_id != chat.chat_id and c.site_id == chat.site_id),
        key=lambda c: c.created_at,
        reverse=True,
    )
    return [
        EarlierChat(
            chat_id=c.chat_id,
            session_id=c.session_id,
            same_session=c.session_id == chat.session_id,
            created_at=c.created_at,
            category=c.category,
            agent=c.agent,
            status=c.status,
            resolved=c.resolved,
            converted=c.converted_at is not None,
            conversion_value=c.conversion_value,
            discount_percent=c.discount_percent,
            survey=c.survey,
        )
        for c in others[:MAX_EARLIER_CHATS]
    ]


def _decision_summary(decision: Decision) -> DecisionSummary:
    return DecisionSummary(
        decision_id=decision.decision_id,
        at=decision.at,
        reason=decision.reason,
        rule_id=decision.rule_id,
        score=decision.score,
        abandonment_risk=decision.abandonment_risk,
        top_features=decision.top_features,
        offer_id=decision.offer_id,
    )
