"""What the agent sees beside a chat: the visitor's journey, cart, scores and earlier chats."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from klantreis import keys
from klantreis.conversations.context import MAX_PAGES, chat_context, page_url, page_visits
from klantreis.conversations.models import Chat, ChatAgent, SurveySummary
from klantreis.engagement.records import Decision, WeighingFeature
from klantreis.journey.events import TrackedEvent
from klantreis.journey.ports import JourneyChunk
from klantreis.journey.session import PAGE_DWELL_CAP, JourneyEntry, SessionFold, SessionState, Stage
from klantreis.sites import Site
from tests.factories import T0, anna_journey, event
from tests.fakes import InMemoryChats, InMemoryDecisionReader, InMemorySessionStore

SITE = Site(site_id="demo", name="Demo", timezone="Europe/Amsterdam")
MIRJAM = ChatAgent(agent_id="mirjam", display_name="Mirjam")
CHAT_AT = T0 + timedelta(minutes=4)


def tracked(*events: dict[str, Any], session_id: str = "s-1", visitor_id: str = "anna") -> SessionState:
    state = SessionState(
        site_id="demo", visitor_id=visitor_id, session_id=session_id, first_at=T0, last_at=T0
    )
    SessionFold(state, SITE).apply_all([(i, TrackedEvent.model_validate(e)) for i, e in enumerate(events)])
    return state


def stored(state: SessionState, sessions: InMemorySessionStore, *, chunked: int = 0) -> None:
    """Saves the session with its first `chunked` journey entries moved to a chunk item."""
    chunk = None
    if chunked:
        sort_key = keys.journey_sk(state.session_id, 0, "abc")
        chunk = JourneyChunk(sort_key, state.journey[:chunked], expires_at=0)
        state.journey = state.journey[chunked:]
        state.journey_chunks = [sort_key]
    sessions.save(state, None, chunk)


def chat(chat_id: str = "c-9", **fields: Any) -> Chat:
    defaults: dict[str, Any] = {
        "site_id": "demo", "chat_id": chat_id, "visitor_id": "anna", "session_id": "s-1",
        "status": "assigned", "agent": MIRJAM, "category": "dameslaarzen", "created_at": CHAT_AT,
        "day": "2026-11-22", "score": 0.81,
    }  # fmt: skip
    return Chat.model_validate({**defaults, **fields})


def decision(decision_id: str, at: datetime, session_id: str = "s-1", **fields: Any) -> Decision:
    return Decision.model_validate(
        {"site_id": "demo", "visitor_id": "anna", "session_id": session_id, "decision_id": decision_id,
         "at": at, "day": "2026-11-22", "reason": "not_qualified", **fields}
    )  # fmt: skip


def test_anna_at_checkout_as_her_agent_sees_her() -> None:
    # given Anna's journey (its first steps in a chunk item), a decision that offered her the chat,
    # an earlier chat of hers with a survey, and an older session
    sessions = InMemorySessionStore()
    stored(tracked(*anna_journey()), sessions, chunked=3)
    stored(tracked(event("page_view", url="https://shop.example/"), session_id="s-0"), sessions)
    offered = decision(
        "d-2", T0 + timedelta(minutes=3, seconds=30), reason="qualified", rule_id="checkout-idle", score=0.81,
        abandonment_risk=0.64, offer_id="o-1", qualified=True,
        top_features=[WeighingFeature(feature="checkout_step", value=2, effect=0.2)],
    )  # fmt: skip
    decisions = InMemoryDecisionReader(
        [decision("d-1", T0 + timedelta(minutes=1)), offered, decision("d-0", T0, session_id="s-0")]
    )
    survey = SurveySummary(csat=5, nps=9, at=T0 - timedelta(days=2))
    earlier = chat(
        "c-1", session_id="s-0", status="ended", resolved=True, created_at=T0 - timedelta(days=2),
        converted_at=T0 - timedelta(days=2), conversion_value=89.0, survey=survey, category="herenschoenen",
    )  # fmt: skip
    current = chat()
    chats = InMemoryChats(earlier, current, chat("c-5", visitor_id="bram"))

    # when her agent opens the context
    context = chat_context(current, sessions, chats, decisions)

    # then the journey, the cart and the checkout drop-out are there
    assert context.session_found
    assert context.stage is Stage.CHECKOUT
    assert context.landing_url == "https://shop.example/laarzen"
    assert context.time_on_site_seconds == 180.0
    assert context.events == 7
    assert [(p.url, p.views) for p in context.pages] == [
        ("https://shop.example/laarzen/bruin", 3),
        ("https://shop.example/laarzen", 1),
    ]
    assert context.pages[0].seconds == 160.0  # 40 + 30 + 90 up to her last event
    assert [(p.product_id, p.views, p.value, p.in_cart) for p in context.products] == [
        ("b-39", 3, 329.95, True)
    ]
    assert [(line.product_id, line.quantity, line.value) for line in context.cart] == [("b-39", 1, 329.95)]
    assert (context.cart_value, context.currency) == (329.95, "EUR")
    assert context.furthest_checkout_step == 2
    assert context.dropped_out_at_checkout
    assert context.purchases == 0
    assert [step.type for step in context.recent_steps][:2] == ["page_view", "product_view"]
    assert len(context.recent_steps) == 7
    # the scores of the session's latest decision
    assert context.latest_decision is not None
    assert (context.latest_decision.decision_id, context.latest_decision.score) == ("d-2", 0.81)
    assert context.latest_decision.abandonment_risk == 0.64
    assert context.latest_decision.rule_id == "checkout-idle"
    assert context.latest_decision.top_features[0].feature == "checkout_step"
    assert context.score_at_offer == 0.81
    # and her earlier chat with its survey, nobody else's
    assert [c.chat_id for c in context.earlier_chats] == ["c-1"]
    assert context.earlier_chats[0].survey == survey
    assert context.earlier_chats[0].converted
    assert not context.earlier_chats[0].same_session
    assert context.earlier_chats[0].agent == MIRJAM
    assert (context.other_sessions, context.returning_visitor) == (1, True)
    assert context.visitor is not None
    assert context.visitor.sessions == 2


def test_a_chat_before_any_event_has_an_empty_journey() -> None:
    # given a chat whose session has not been tracked (nor has any other of the visitor)
    context = chat_context(chat(), InMemorySessionStore(), InMemoryChats(), InMemoryDecisionReader())
    # then the context answers with nothing but the chat's own facts
    assert not context.session_found
    assert context.stage is Stage.BROWSING
    assert (context.pages, context.products, context.cart, context.recent_steps) == ([], [], [], [])
    assert (context.cart_value, context.furthest_checkout_step, context.dropped_out_at_checkout) == (
        0.0,
        0,
        False,
    )
    assert context.latest_decision is None
    assert context.earlier_chats == []
    assert (context.other_sessions, context.returning_visitor, context.visitor) == (0, False, None)
    assert context.score_at_offer == 0.81


def test_a_visitor_who_bought_did_not_drop_out() -> None:
    sessions = InMemorySessionStore()
    stored(tracked(*anna_journey(), event("purchase", value=329.95, at=T0 + timedelta(minutes=5))), sessions)
    context = chat_context(chat(), sessions, InMemoryChats(), InMemoryDecisionReader())
    assert context.stage is Stage.PURCHASED
    assert (context.purchases, context.revenue) == (1, 329.95)
    assert context.cart == []
    assert context.furthest_checkout_step == 2
    assert not context.dropped_out_at_checkout
    # a product still shows though it left the cart
    assert [(p.product_id, p.in_cart) for p in context.products] == [("b-39", False)]


def test_a_decision_of_another_session_is_not_this_sessions_score() -> None:
    sessions = InMemorySessionStore()
    stored(tracked(*anna_journey()), sessions)
    decisions = InMemoryDecisionReader([decision("d-0", CHAT_AT, session_id="s-0", score=0.1)])
    assert chat_context(chat(), sessions, InMemoryChats(), decisions).latest_decision is None


def test_pages_are_urls_without_query_counted_and_timed() -> None:
    def page(url: str | None, seconds: int, page_type: str | None = "category") -> JourneyEntry:
        return JourneyEntry(
            at=T0 + timedelta(seconds=seconds), type="page_view", url=url, page_type=page_type
        )

    journey = [
        page("https://shop/a?utm=x#top", 0),
        page("https://shop/b", 10),
        page("https://shop/a", 70),
        page(None, 100, "product_related"),  # a product view without a URL: no page to list
        page("https://shop/checkout", 110, None),  # not a page the fold opened
        page("https://shop/c", 4_000),
    ]
    visits = page_visits(journey, session_end=T0 + timedelta(seconds=4_000))
    assert [(v.url, v.views, v.seconds) for v in visits] == [
        ("https://shop/a", 2, 10 + 30),
        ("https://shop/b", 1, 60),
        ("https://shop/c", 1, 0),
    ]
    assert visits[0].first_at == T0
    assert visits[0].last_at == T0 + timedelta(seconds=70)
    # a page left open counts up to the cap
    long = page_visits([page("https://shop/a", 0)], session_end=T0 + timedelta(hours=3))
    assert long[0].seconds == PAGE_DWELL_CAP.total_seconds()
    assert page_url("https://shop") == "https://shop/"


def test_a_long_journey_lists_the_most_viewed_pages() -> None:
    sessions = InMemorySessionStore()
    views = [
        event("page_view", url=f"https://shop.example/p/{n % (MAX_PAGES + 10)}", at=T0 + timedelta(seconds=n))
        for n in range(200)
    ]
    stored(tracked(*views), sessions, chunked=150)
    context = chat_context(chat(), sessions, InMemoryChats(), InMemoryDecisionReader())
    assert context.distinct_pages == MAX_PAGES + 10
    assert len(context.pages) == MAX_PAGES
    assert sum(p.views for p in context.pages) <= 200
    assert context.pages[0].views == 4
    assert len(context.recent_steps) == 20
    assert context.recent_steps[-1].at == T0 + timedelta(seconds=199)
