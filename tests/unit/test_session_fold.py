"""The fold of events into session state: the state every later part reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from klantreis.journey.events import TrackedEvent
from klantreis.journey.session import (
    MAX_DISCOUNT_CODE_CHARS,
    MAX_DISCOUNT_CODES,
    MAX_SESSION_EVENTS,
    PAGE_DWELL_CAP,
    SessionFold,
    SessionState,
    Stage,
    summarize_visitor,
)
from klantreis.sites import Site
from tests.factories import T0, anna_journey, event

SITE = Site(site_id="demo", name="Demo", timezone="Europe/Amsterdam")


def new_state(at: datetime = T0) -> SessionState:
    return SessionState(site_id="demo", visitor_id="anna", session_id="s-1", first_at=at, last_at=at)


def fold(*raw_events: dict[str, Any], state: SessionState | None = None) -> tuple[SessionState, Any]:
    state = state or new_state()
    parsed = [(i, TrackedEvent.model_validate(e)) for i, e in enumerate(raw_events)]
    outcome = SessionFold(state, SITE).apply_all(parsed)
    return state, outcome


def test_anna_reaches_checkout_with_the_boots_in_her_cart() -> None:
    # given / when
    state, outcome = fold(*anna_journey())
    # then
    assert outcome.accepted == 7
    assert state.cart_value == 329.95
    assert state.cart_items == 1
    assert state.checkout_step == 2
    assert state.stage is Stage.CHECKOUT
    assert state.abandoned_checkout
    assert state.products["b-39"].views == 3
    assert state.products["b-39"].category == "dameslaarzen"
    assert state.counts_by_type == {"page_view": 1, "product_view": 3, "add_to_cart": 1, "checkout_step": 2}
    assert state.days["2026-11-22"].cart
    assert state.days["2026-11-22"].checkout


def test_the_same_event_twice_in_one_batch_is_one_event() -> None:
    first = event("page_view", url="https://shop/")
    state, outcome = fold(first, dict(first))
    assert (outcome.accepted, outcome.duplicates) == (1, 1)
    assert state.event_count == 1


def test_events_seen_in_an_earlier_batch_are_duplicates() -> None:
    journey = anna_journey()
    state, _ = fold(*journey)
    again, outcome = fold(*journey, state=state)
    assert (outcome.accepted, outcome.duplicates) == (0, 7)
    assert again.event_count == 7


def test_cart_quantity_adds_and_removes() -> None:
    state, _ = fold(
        event("add_to_cart", product_id="a", value=10.0, properties={"quantity": 3}),
        event("add_to_cart", product_id="b", value=5.5, at=T0 + timedelta(seconds=1)),
        event("remove_from_cart", product_id="a", properties={"quantity": 1}, at=T0 + timedelta(seconds=2)),
    )
    assert state.cart["a"].quantity == 2
    assert state.cart_value == 25.5
    state, _ = fold(event("remove_from_cart", product_id="a", at=T0 + timedelta(seconds=3)), state=state)
    assert "a" not in state.cart
    assert state.cart_value == 5.5


def test_removing_what_is_not_in_the_cart_changes_nothing() -> None:
    state, outcome = fold(event("remove_from_cart", product_id="ghost"))
    assert outcome.accepted == 1
    assert state.cart == {}


def test_add_to_cart_without_value_takes_the_viewed_price() -> None:
    state, _ = fold(
        event("product_view", product_id="p", value=12.5, category="sneakers"),
        event("add_to_cart", product_id="p", at=T0 + timedelta(seconds=5)),
    )
    assert state.cart["p"].unit_value == 12.5
    assert state.cart["p"].category == "sneakers"


def test_a_purchase_counts_revenue_and_empties_the_cart() -> None:
    state, _ = fold(
        *anna_journey(),
        event("purchase", value=296.96, at=T0 + timedelta(minutes=5)),
    )
    assert state.purchases == 1
    assert state.revenue == 296.96
    assert state.cart == {}
    assert state.stage is Stage.PURCHASED
    assert not state.abandoned_checkout
    assert state.days["2026-11-22"].purchases == 1
    assert state.days["2026-11-22"].revenue == 296.96


def test_a_purchase_keeps_its_time_and_discount_code() -> None:
    # given two purchases reported out of order, one with a code of a chat
    late = T0 + timedelta(minutes=9)
    state, _ = fold(
        *anna_journey(),
        event("purchase", value=10.0, at=late, properties={"discount_code": "KR-LATER"}),
        event(
            "purchase", value=296.96, at=T0 + timedelta(minutes=5), properties={"discount_code": " KR-ABC "}
        ),
    )
    # then the latest purchase is kept, and the codes in time order, trimmed
    assert state.last_purchase_at == late
    assert state.discount_codes == ["KR-ABC", "KR-LATER"]


@pytest.mark.parametrize(
    "code", [None, "", "   ", 42, ["KR-ABC"], {"code": "x"}, "K" * (MAX_DISCOUNT_CODE_CHARS + 1)]
)
def test_what_cannot_be_a_discount_code_is_not_kept(code: object) -> None:
    properties = {} if code is None else {"discount_code": code}
    state, _ = fold(event("purchase", value=5.0, properties=properties))
    assert state.purchases == 1
    assert state.discount_codes == []


def test_discount_codes_are_kept_once_and_at_most_ten() -> None:
    codes = [f"C{n}" for n in range(MAX_DISCOUNT_CODES + 3)]
    state, _ = fold(
        event("purchase", properties={"discount_code": "C0"}, at=T0),
        *(
            event("purchase", properties={"discount_code": c}, at=T0 + timedelta(seconds=n + 1))
            for n, c in enumerate(codes)
        ),
    )
    assert state.discount_codes == codes[:MAX_DISCOUNT_CODES]


def test_a_code_on_another_event_is_no_purchase_code() -> None:
    state, _ = fold(event("checkout_step", step=3, properties={"discount_code": "KR-ABC"}))
    assert state.discount_codes == []
    assert state.last_purchase_at is None


def test_page_types_count_views_and_time_on_page() -> None:
    state, _ = fold(
        event("page_view", url="https://shop/laarzen"),
        event("page_view", url="https://shop/account/orders", at=T0 + timedelta(seconds=40)),
        event("page_view", url="https://shop/faq", at=T0 + timedelta(seconds=100)),
    )
    assert state.page_types["product_related"].views == 1
    assert state.page_types["product_related"].seconds == 40
    assert state.page_types["administrative"].seconds == 60
    assert state.page_types["informational"].views == 1
    assert state.landing_url == "https://shop/laarzen"


def test_time_on_a_page_is_capped() -> None:
    state, _ = fold(
        event("page_view", url="https://shop/a"),
        event("page_view", url="https://shop/b", at=T0 + timedelta(hours=3)),
    )
    assert state.page_types["product_related"].seconds == PAGE_DWELL_CAP.total_seconds()


def test_a_late_event_counts_but_does_not_move_the_current_page() -> None:
    state, _ = fold(event("page_view", url="https://shop/b", at=T0 + timedelta(seconds=50)))
    state, _ = fold(event("page_view", url="https://shop/a", at=T0), state=state)
    assert state.last_page_url == "https://shop/b"
    assert state.page_types["product_related"].views == 2
    assert state.first_at == T0


def test_a_product_view_of_the_page_just_reported_is_not_a_second_page() -> None:
    url = "https://shop/laarzen/bruin"
    state, _ = fold(
        event("page_view", url=url),
        event("product_view", url=url, at=T0 + timedelta(seconds=1)),
    )
    assert state.page_types["product_related"].views == 1


def test_days_are_the_sites_local_days() -> None:
    # 22:30 UTC is 23:30 on 22 November in Amsterdam; 23:30 UTC is already 23 November there
    evening = datetime(2026, 11, 22, 22, 30, tzinfo=UTC)
    state, _ = fold(event("page_view", at=evening), event("add_to_cart", at=evening + timedelta(hours=1)))
    assert set(state.days) == {"2026-11-22", "2026-11-23"}
    assert state.days["2026-11-22"].cart is False
    assert state.days["2026-11-23"].cart is True


def test_a_session_stops_growing_at_its_limit() -> None:
    state = new_state()
    state.event_count = MAX_SESSION_EVENTS
    state, outcome = fold(event("page_view"), state=state)
    assert outcome.accepted == 0
    assert outcome.rejected
    assert "limit" in outcome.rejected[0][1]


@pytest.mark.parametrize("step", [1, 3])
def test_furthest_checkout_step_is_kept(step: int) -> None:
    state, _ = fold(
        event("add_to_cart"),
        event("checkout_step", step=3, at=T0 + timedelta(seconds=1)),
        event("checkout_step", step=step, at=T0 + timedelta(seconds=2)),
    )
    assert state.checkout_step == 3


def test_journey_keeps_every_step_in_time_order() -> None:
    state, _ = fold(
        event("page_view", url="https://shop/b", at=T0 + timedelta(seconds=5)),
        event("page_view", url="https://shop/a", at=T0),
    )
    assert [entry.url for entry in state.journey] == ["https://shop/a", "https://shop/b"]


def test_a_visitor_summary_spans_sessions() -> None:
    first, _ = fold(event("page_view"))
    second = new_state(T0 + timedelta(days=2))
    second.session_id, second.returning_visitor = "s-2", True
    second, _ = fold(event("purchase", value=50.0, at=T0 + timedelta(days=2)), state=second)
    summary = summarize_visitor([first, second])
    assert summary is not None
    assert (summary.sessions, summary.purchases, summary.revenue, summary.returning) == (2, 1, 50.0, True)
    assert (summary.first_at, summary.last_at) == (T0, T0 + timedelta(days=2))
    assert summarize_visitor([]) is None


def test_the_first_events_local_hour_is_kept() -> None:
    # given a session whose first event is at 23:30 UTC (00:30 in Amsterdam, the next local day)
    late = T0.replace(hour=23, minute=30)
    state, _ = fold(event("page_view", url="https://shop/", at=late), state=new_state(late))
    # then its first local hour is that of Amsterdam
    assert state.first_local_hour == 0
    assert list(state.days) == ["2026-11-23"]


def test_an_earlier_late_event_moves_the_first_local_hour() -> None:
    # given a session that started at 20:00 in Amsterdam
    state, _ = fold(event("page_view", url="https://shop/a"))
    assert state.first_local_hour == 20
    # when an event from an hour earlier arrives late, and then a later one
    fold(event("page_view", url="https://shop/b", at=T0 - timedelta(hours=1)), state=state)
    fold(event("page_view", url="https://shop/c", at=T0 + timedelta(hours=2)), state=state)
    # then the session's first event, and its hour, are the earlier one's
    assert state.first_at == T0 - timedelta(hours=1)
    assert state.first_local_hour == 19


def test_a_session_stored_without_its_first_local_hour_gets_it_from_its_first_event() -> None:
    # given a session stored before the hour was kept, when a later event arrives
    state = new_state()
    state.event_count = 3
    fold(event("page_view", url="https://shop/", at=T0 + timedelta(hours=3)), state=state)
    # then the hour is that of its first event, not of the new one
    assert state.first_local_hour == 20
