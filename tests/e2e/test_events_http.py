"""POST /v1/events over HTTP: Anna's journey, and every refusal a clear 4xx in the contract's
error shape with nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from klantreis.journey.dynamo_store import DynamoSessionStore
from tests.e2e.conftest import WIDGET, Api
from tests.factories import anna_journey, batch, event

TOO_LONG_ID = "x" * 101
BIG_PROPERTIES = {"note": "x" * 33_000}
"""Makes one event larger than the 32 KB an event may hold."""


def test_annas_journey_is_accepted_and_a_second_send_counts_duplicates(
    api: Api, sessions: DynamoSessionStore
) -> None:
    # given Anna's journey as the widget sends it
    body = batch(*anna_journey())
    # when it arrives twice
    first = api.post_events(body)
    second = api.post_events(body)
    # then it is stored once
    assert (first.status, first.json) == (200, {"accepted": 7, "duplicates": 0, "rejected": []})
    assert (second.status, second.json) == (200, {"accepted": 0, "duplicates": 7, "rejected": []})
    state = sessions.get("demo", "anna", "s-1")
    assert state is not None
    assert state.checkout_step == 2
    assert state.cart_value == 329.95


def test_a_text_plain_body_is_tracked_like_json(api: Api) -> None:
    # navigator.sendBeacon posts text/plain; API Gateway hands any body to the function.
    headers = {**WIDGET, "Content-Type": "text/plain;charset=UTF-8"}
    answer = api.post_events(batch(event()), headers=headers)
    assert (answer.status, answer.json["accepted"]) == (200, 1)


@pytest.mark.parametrize(
    ("body", "headers", "expected"),
    [
        pytest.param('{"visitor_id": "anna", "session_id": "s-1", "events": [', WIDGET,
                     (400, "bad_request"), id="malformed JSON"),
        pytest.param({**batch(event()), "events": "page_view"}, WIDGET,
                     (422, "validation_failed"), id="events not a list"),
        pytest.param({**batch(event()), "sent_at": "yesterday"}, WIDGET,
                     (422, "validation_failed"), id="sent_at not a time"),
        pytest.param({**batch(event()), "visitor_id": 42}, WIDGET,
                     (422, "validation_failed"), id="visitor_id a number"),
        pytest.param(batch(*[event() for _ in range(101)]), WIDGET,
                     (413, "payload_too_large"), id="more than 100 events"),
        pytest.param(batch(event(properties={"note": "x" * 520_000})), WIDGET,
                     (413, "payload_too_large"), id="body over 500 KB"),
        pytest.param(batch(event(properties=BIG_PROPERTIES)), WIDGET,
                     (413, "payload_too_large"), id="its only event over 32 KB"),
        pytest.param(batch(event()), {**WIDGET, "X-Site-Key": "no-such-site-key"},
                     (401, "unauthorized"), id="unknown site key"),
        pytest.param(batch(event()), {"Origin": WIDGET["Origin"]},
                     (401, "unauthorized"), id="no site key"),
        pytest.param(batch(event()), {**WIDGET, "Origin": "https://evil.example"},
                     (403, "forbidden"), id="foreign origin"),
        pytest.param({**batch(event()), "visitor_id": TOO_LONG_ID}, WIDGET,
                     (422, "validation_failed"), id="visitor_id over 100 characters"),
        pytest.param({**batch(event()), "session_id": TOO_LONG_ID}, WIDGET,
                     (422, "validation_failed"), id="session_id over 100 characters"),
        pytest.param(batch(event(event_id=TOO_LONG_ID)), WIDGET,
                     (422, "validation_failed"), id="its only event_id over 100 characters"),
    ],
)  # fmt: skip
def test_a_refused_batch_answers_a_clear_4xx_and_stores_nothing(
    api: Api, sessions: DynamoSessionStore, body: Any, headers: dict[str, str], expected: tuple[int, str]
) -> None:
    answer = api.post_events(body, headers=headers)
    assert (answer.status, answer.error_code) == expected
    assert sessions.get("demo", "anna", "s-1") is None
    assert not sessions.visitor_has_sessions("demo", TOO_LONG_ID)


def test_the_only_event_a_day_in_the_future_is_refused(api: Api, sessions: DynamoSessionStore) -> None:
    now = datetime.now(UTC)
    answer = api.post_events(batch(event(at=now + timedelta(days=2)), sent_at=now))
    assert (answer.status, answer.error_code) == (422, "validation_failed")
    assert "future" in answer.json["error"]["message"]
    assert sessions.get("demo", "anna", "s-1") is None


@pytest.mark.parametrize(
    ("bad_event", "reason"),
    [
        pytest.param(event(properties=BIG_PROPERTIES), "too large", id="over 32 KB"),
        pytest.param(event(event_id=TOO_LONG_ID), "event_id", id="event_id over 100 characters"),
        pytest.param(event(at=datetime.now(UTC) + timedelta(days=2)), "future", id="a day in the future"),
    ],
)
def test_in_a_mixed_batch_the_bad_event_is_rejected_and_the_others_kept(
    api: Api, sessions: DynamoSessionStore, bad_event: dict[str, Any], reason: str
) -> None:
    now = datetime.now(UTC)
    good = [event(at=now - timedelta(seconds=30)), event("product_view", at=now - timedelta(seconds=10))]
    answer = api.post_events(batch(good[0], bad_event, good[1], sent_at=now))
    assert answer.status == 200
    assert (answer.json["accepted"], answer.json["duplicates"]) == (2, 0)
    [rejection] = answer.json["rejected"]
    assert rejection["index"] == 1
    assert reason in rejection["error"]
    state = sessions.get("demo", "anna", "s-1")
    assert state is not None
    assert state.event_count == 2
