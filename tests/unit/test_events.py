"""Validation of tracked events and batches at the edge, and the widget clock correction."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from klantreis.errors import BadRequest, PayloadTooLarge, ValidationFailed
from klantreis.journey.events import TrackedEvent, corrected_timestamp
from klantreis.journey.tracker import Limits, parse_batch
from tests.factories import batch, event

LIMITS = Limits()


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"type": "teleport"}, "type"),
        ({"timestamp": "2026-11-22T20:00:00"}, "timestamp"),
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"event_id": "x" * 101}, "event_id"),
        ({"event_id": "has space"}, "event_id"),
        ({"event_id": "a#b"}, "event_id"),
        ({"value": -1}, "value"),
        ({"value": "lots"}, "value"),
        ({"currency": "euro"}, "currency"),
        ({"step": 1000}, "step"),
        ({"url": "https://shop/" + "x" * 2100}, "url"),
    ],
)
def test_a_bad_field_is_refused(override: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TrackedEvent.model_validate({**event("page_view"), **override})
    assert reason in str(caught.value)


@pytest.mark.parametrize("kind", ["product_view", "add_to_cart", "remove_from_cart"])
def test_product_events_need_a_product(kind: str) -> None:
    raw = event(kind)
    del raw["product_id"]
    with pytest.raises(ValidationError, match="needs a product_id"):
        TrackedEvent.model_validate(raw)


def test_checkout_step_needs_a_step() -> None:
    raw = event("checkout_step")
    del raw["step"]
    with pytest.raises(ValidationError, match="needs a step"):
        TrackedEvent.model_validate(raw)


def test_unknown_fields_are_ignored() -> None:
    assert TrackedEvent.model_validate({**event("custom"), "novel": 1}).type == "custom"


@pytest.mark.parametrize(
    ("raw", "expected"), [({"quantity": 3}, 3), ({"quantity": 0}, 1), ({"quantity": True}, 1), ({}, 1)]
)
def test_quantity_defaults_to_one(raw: dict[str, Any], expected: int) -> None:
    assert TrackedEvent.model_validate(event("add_to_cart", properties=raw)).quantity == expected


def test_the_widget_clock_error_is_removed() -> None:
    received = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
    # the widget's clock runs an hour ahead: it says the event was 10 s before sending
    sent = received + timedelta(hours=1)
    happened = sent - timedelta(seconds=10)
    assert corrected_timestamp(happened, sent, received) == received - timedelta(seconds=10)


def test_a_good_batch_parses_into_indexed_events() -> None:
    parsed = parse_batch(json.dumps(batch(event("page_view"), event("custom"))), LIMITS)
    assert [index for index, _ in parsed.valid] == [0, 1]
    assert parsed.rejected == []


def test_a_bad_event_is_rejected_alone() -> None:
    parsed = parse_batch(json.dumps(batch(event("page_view"), event("nope"))), LIMITS)
    assert [index for index, _ in parsed.valid] == [0]
    assert parsed.rejected[0]["index"] == 1
    assert "type" in parsed.rejected[0]["error"]


def test_a_non_object_event_is_rejected_alone() -> None:
    parsed = parse_batch(json.dumps(batch(event("page_view"), "oops")), LIMITS)  # type: ignore[arg-type]
    assert [r["index"] for r in parsed.rejected] == [1]


def test_malformed_json_is_a_bad_request() -> None:
    with pytest.raises(BadRequest):
        parse_batch('{"visitor_id": ', LIMITS)


@pytest.mark.parametrize(
    "body",
    [
        {"visitor_id": "v", "session_id": "s", "sent_at": "2026-11-22T20:00:00Z"},
        {"visitor_id": "v" * 101, "session_id": "s", "sent_at": "2026-11-22T20:00:00Z", "events": []},
        {"visitor_id": "v", "session_id": 7, "sent_at": "2026-11-22T20:00:00Z", "events": []},
        {"visitor_id": "v", "session_id": "s", "sent_at": "now", "events": []},
        ["not", "an", "object"],
    ],
)
def test_a_bad_envelope_fails_the_batch(body: Any) -> None:
    with pytest.raises(ValidationFailed):
        parse_batch(json.dumps(body), LIMITS)


def test_more_than_the_event_limit_is_too_large() -> None:
    with pytest.raises(PayloadTooLarge, match="100 events"):
        parse_batch(json.dumps(batch(*[event("page_view") for _ in range(101)])), LIMITS)


def test_a_body_over_the_byte_limit_is_too_large() -> None:
    with pytest.raises(PayloadTooLarge, match="bytes"):
        parse_batch("x" * (LIMITS.max_batch_bytes + 1), LIMITS)


def test_an_event_over_the_event_limit_is_rejected_for_its_size() -> None:
    big = event("custom", properties={"blob": "x" * LIMITS.max_event_bytes})
    parsed = parse_batch(json.dumps(batch(event("page_view"), big)), LIMITS)
    assert parsed.oversized == {1}
    assert "too large" in parsed.rejected[0]["error"]
