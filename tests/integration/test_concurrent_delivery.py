"""At-least-once delivery: copies of one batch arriving at the same moment in different Lambda
instances (separate clients, separate processes' worth of state) are stored once.

Runs against moto in server mode, a real DynamoDB-compatible HTTP endpoint, so the instances'
requests really interleave."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from klantreis.journey.events import BatchEnvelope, TrackedEvent
from klantreis.journey.store import DynamoSessionStore
from klantreis.journey.tracker import Limits, Tracker, TrackResult
from klantreis.sites import Site
from klantreis_local import template
from tests.factories import anna_journey, batch

INSTANCES = 8
SITE = Site(site_id="demo", name="Demo")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def instance_client(endpoint: str) -> Any:
    """What one Lambda instance has: its own client and connection pool."""
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="eu-west-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


def test_simultaneous_copies_are_stored_once(endpoint: str) -> None:
    # given a table on the server and one batch that every instance receives at once
    table = f"klantreis-race-{free_port()}"
    template.create_table(instance_client(endpoint), table)
    body = batch(*anna_journey())
    envelope = BatchEnvelope.model_validate(body)
    events = [(i, TrackedEvent.model_validate(e)) for i, e in enumerate(body["events"])]
    received = datetime.now(UTC)
    trackers = [
        Tracker(DynamoSessionStore(instance_client(endpoint), table), Limits()) for _ in range(INSTANCES)
    ]
    start = threading.Barrier(INSTANCES)
    results: list[TrackResult] = []
    failures: list[BaseException] = []

    def deliver(tracker: Tracker) -> None:
        start.wait()
        try:
            results.append(tracker.track(SITE, envelope, events, received))
        except BaseException as exc:  # collected and re-raised in the test thread
            failures.append(exc)

    # when all instances process it at the same moment
    threads = [threading.Thread(target=deliver, args=(tracker,)) for tracker in trackers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then exactly one stored the events, every other copy was a duplicate
    assert failures == []
    assert sorted(r.accepted for r in results) == [0] * (INSTANCES - 1) + [len(events)]
    assert sum(r.duplicates for r in results) == (INSTANCES - 1) * len(events)
    stored = DynamoSessionStore(instance_client(endpoint), table).get("demo", "anna", "s-1")
    assert stored is not None
    assert stored.event_count == len(events)
    assert stored.products["b-39"].views == 3
    assert stored.version == 1


def test_overlapping_batches_at_once_store_the_union(endpoint: str) -> None:
    # given instances that each received a different, overlapping slice of one journey
    table = f"klantreis-race-{free_port()}"
    template.create_table(instance_client(endpoint), table)
    body = batch(*anna_journey())
    envelope = BatchEnvelope.model_validate(body)
    events = [(i, TrackedEvent.model_validate(e)) for i, e in enumerate(body["events"])]
    slices = [events[i % 4 : i % 4 + 4] for i in range(INSTANCES)]
    received = datetime.now(UTC)
    start = threading.Barrier(INSTANCES)
    results: list[TrackResult] = []

    def deliver(part: list[tuple[int, TrackedEvent]]) -> None:
        tracker = Tracker(DynamoSessionStore(instance_client(endpoint), table), Limits())
        start.wait()
        results.append(tracker.track(SITE, envelope, part, received))

    threads = [threading.Thread(target=deliver, args=(part,)) for part in slices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then each event was accepted exactly once across all instances
    assert sum(r.accepted for r in results) == len(events)
    assert sum(r.accepted + r.duplicates for r in results) == sum(len(part) for part in slices)
    stored = DynamoSessionStore(instance_client(endpoint), table).get("demo", "anna", "s-1")
    assert stored is not None
    assert stored.event_count == len(events)
    assert stored.cart_value == 329.95
