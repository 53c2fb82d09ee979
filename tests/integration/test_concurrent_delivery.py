"""At-least-once delivery: copies of one batch arriving at the same moment in different Lambda
instances (separate clients, separate processes' worth of state) are stored once.

Runs against the local stack's serial moto server (klantreis_local.dbserver), a real
DynamoDB-compatible HTTP endpoint: the instances' requests really interleave, while each request
is atomic as in DynamoDB (moto's threaded server can interleave two conditional writes between
their check and their write, which DynamoDB never does)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from klantreis.journey.dynamo_store import DynamoSessionStore
from klantreis.journey.events import BatchEnvelope, TrackedEvent
from klantreis.journey.session import SessionState
from klantreis.journey.tracker import Limits, Tracker, TrackResult
from klantreis.sites import Site
from klantreis_local import dbserver, template
from tests.factories import anna_journey, batch

INSTANCES = 8
SITE = Site(site_id="demo", name="Demo")


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with dbserver.serving() as url:
        yield url


def instance_client(endpoint: str) -> Any:
    """What one Lambda instance has: its own client and connection pool."""
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="eu-west-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


def new_table(endpoint: str) -> str:
    table = f"klantreis-race-{uuid.uuid4().hex[:12]}"
    template.create_table(instance_client(endpoint), table)
    return table


def deliver_at_once(
    endpoint: str, table: str, deliveries: list[list[tuple[int, TrackedEvent]]], envelope: BatchEnvelope
) -> list[TrackResult]:
    """Each delivery goes to its own instance (tracker, client); all start at the same moment."""
    trackers = [Tracker(DynamoSessionStore(instance_client(endpoint), table), Limits()) for _ in deliveries]
    start = threading.Barrier(len(deliveries))
    received = datetime.now(UTC)
    results: list[TrackResult] = []
    failures: list[BaseException] = []

    def deliver(tracker: Tracker, events: list[tuple[int, TrackedEvent]]) -> None:
        start.wait()
        try:
            results.append(tracker.track(SITE, envelope, events, received))
        except BaseException as exc:  # collected and reported in the test thread
            failures.append(exc)

    threads = [threading.Thread(target=deliver, args=pair) for pair in zip(trackers, deliveries, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    return results


def anna_batch() -> tuple[BatchEnvelope, list[tuple[int, TrackedEvent]]]:
    body = batch(*anna_journey())
    return BatchEnvelope.model_validate(body), [
        (i, TrackedEvent.model_validate(e)) for i, e in enumerate(body["events"])
    ]


def stored_anna(endpoint: str, table: str) -> SessionState:
    stored = DynamoSessionStore(instance_client(endpoint), table).get("demo", "anna", "s-1")
    assert stored is not None
    return stored


def test_simultaneous_copies_are_stored_once(endpoint: str) -> None:
    # given one batch that every instance receives
    table = new_table(endpoint)
    envelope, events = anna_batch()
    # when all instances process it at the same moment
    results = deliver_at_once(endpoint, table, [events] * INSTANCES, envelope)
    # then exactly one stored the events, every other copy was a duplicate
    assert sorted(r.accepted for r in results) == [0] * (INSTANCES - 1) + [len(events)]
    assert sum(r.duplicates for r in results) == (INSTANCES - 1) * len(events)
    stored = stored_anna(endpoint, table)
    assert stored.event_count == len(events)
    assert stored.products["b-39"].views == 3
    assert stored.version == 1


def test_overlapping_batches_at_once_store_the_union(endpoint: str) -> None:
    # given instances that each received a different, overlapping slice of one journey
    table = new_table(endpoint)
    envelope, events = anna_batch()
    slices = [events[i % 4 : i % 4 + 4] for i in range(INSTANCES)]
    # when they all process their slice at the same moment
    results = deliver_at_once(endpoint, table, slices, envelope)
    # then each event was accepted exactly once across all instances
    assert sum(r.accepted for r in results) == len(events)
    assert sum(r.accepted + r.duplicates for r in results) == sum(len(part) for part in slices)
    stored = stored_anna(endpoint, table)
    assert stored.event_count == len(events)
    assert stored.cart_value == 329.95
