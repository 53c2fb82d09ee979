"""The track function in-process against moto: the contract's POST /v1/events and erasure."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from klantreis.journey.dynamo_store import DynamoSessionStore
from klantreis.projections.counters_dynamo_store import DynamoCounterStore
from klantreis.sites import Site
from klantreis_local.runtime import DEMO_SITE_KEY, StreamPump
from tests.factories import T0, FakeContext, anna_journey, api_event, batch, event
from track import dependencies
from track.handler import app, lambda_handler

WIDGET = {"X-Site-Key": DEMO_SITE_KEY, "Origin": "http://127.0.0.1:3000"}


def post_events(body: Any, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    answer = lambda_handler(
        api_event("POST", "/v1/events", body=body, headers=headers or WIDGET), FakeContext()
    )
    return answer["statusCode"], json.loads(answer["body"])


def test_anna_is_tracked_into_her_session_state(demo_site: Site, dynamodb: Any, table_name: str) -> None:
    # given Anna's journey
    # when the widget sends it
    status, answer = post_events(batch(*anna_journey()))
    # then all of it is accepted and her session holds the cart and the checkout step
    assert (status, answer) == (200, {"accepted": 7, "duplicates": 0, "rejected": []})
    state = DynamoSessionStore(dynamodb, table_name).get("demo", "anna", "s-1")
    assert state is not None
    assert state.cart_value == 329.95
    assert state.checkout_step == 2
    assert state.products["b-39"].views == 3
    assert state.stage == "checkout"
    assert state.counts_by_category == {"dameslaarzen": 4}


def test_a_second_delivery_is_counted_as_duplicates(demo_site: Site) -> None:
    body = batch(*anna_journey())
    post_events(body)
    status, answer = post_events(body)
    assert (status, answer) == (200, {"accepted": 0, "duplicates": 7, "rejected": []})


def test_counters_follow_the_stream(
    demo_site: Site, dynamodb: Any, table_name: str, stream: StreamPump, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the batches arrive at noon, so their day is one day whenever the test runs
    monkeypatch.setitem(app.dependency_overrides, dependencies.now, lambda: T0.replace(hour=11))
    post_events(batch(*anna_journey()))
    post_events(batch(event("purchase", at=T0 + timedelta(minutes=5), value=296.96), session_id="s-1"))
    post_events(batch(event("page_view"), visitor_id="bram", session_id="s-2"))
    stream.drain()
    # timestamps are moved onto the server clock: the day of its noon
    anna = DynamoSessionStore(dynamodb, table_name).get("demo", "anna", "s-1")
    assert anna is not None
    assert set(anna.days) == {T0.date().isoformat()}
    (day,) = anna.days
    totals = DynamoCounterStore(dynamodb, table_name).day_totals("demo", day)
    assert totals["sessions"] == 2
    assert totals["cart_sessions"] == 1
    assert totals["checkout_sessions"] == 1
    assert totals["purchases"] == 1
    assert totals["revenue"] == pytest.approx(296.96)
    assert totals["converted_cart_sessions"] == 1
