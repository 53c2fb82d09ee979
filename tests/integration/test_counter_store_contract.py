"""The day counters' contract (klantreis.projections.day_counters.CounterStore), run against the
DynamoDB adapter and the in-memory fake alike (tests/contract.py)."""

from __future__ import annotations

from klantreis.projections.counters_dynamo_store import DynamoCounterStore
from klantreis.projections.day_counters import COUNTERS, CounterStore
from tests.contract import both
from tests.fakes.projections import InMemoryCounterStore

store = both(DynamoCounterStore, InMemoryCounterStore)

DAY = ("demo", "2026-11-22")


def test_a_batch_marker_counts_once(store: CounterStore) -> None:
    # given one batch's deltas
    deltas = {DAY: {"sessions": 1, "revenue": 296.96}}
    # when it is applied twice (a retried stream batch) and another batch once
    assert store.add_once("batch-1", deltas, now=0) is True
    assert store.add_once("batch-1", deltas, now=1) is False
    assert store.add_once("batch-2", {DAY: {"sessions": 1, "revenue": 0.01}}, now=2) is True
    # then each batch counted once, money to the cent
    totals = store.day_totals(*DAY)
    assert (totals["sessions"], totals["revenue"], totals["purchases"]) == (2, 296.97, 0)


def test_a_day_has_every_counter_and_only_those(store: CounterStore) -> None:
    # given a batch that also counts a report counter (not one of the day totals)
    store.add_once("batch-1", {DAY: {"sessions": 1, "chats_assigned": 2}}, now=0)
    # then the day totals hold the session and funnel counters, a day without counts zeros
    assert set(store.day_totals(*DAY)) == set(COUNTERS)
    assert store.day_totals("demo", "2026-11-23") == dict.fromkeys(COUNTERS, 0.0)
    assert store.day_totals("other", DAY[1])["sessions"] == 0


def test_a_batch_without_changes_writes_nothing(store: CounterStore) -> None:
    assert store.add_once("batch-1", {}, now=0) is False
    assert store.add_once("batch-2", {DAY: {"sessions": 0}}, now=0) is False
    assert store.add_once("batch-2", {DAY: {"sessions": 1}}, now=1) is True
    assert store.day_totals(*DAY)["sessions"] == 1
