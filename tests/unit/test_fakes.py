"""The in-memory fakes keep the ports' contracts, so tests and the bench built on them mean
something: optimistic versions, chunks of lost writes ignored, batch markers counted once."""

from __future__ import annotations

import inspect
import json
from datetime import timedelta

import pytest

from klantreis.errors import ConcurrentUpdate
from klantreis.journey.ports import JourneyChunk, SessionStore
from klantreis.journey.session import JourneyEntry, SessionState
from klantreis.journey.tracker import Limits, Tracker, parse_batch
from klantreis.knowledge.ports import KnowledgeStore
from klantreis.projections.day_counters import CounterStore
from klantreis.sites import Site, SiteStore
from tests.factories import T0, anna_journey, batch, event
from tests.fakes import InMemoryCounterStore, InMemorySessionStore, InMemorySiteStore
from tests.fakes.knowledge import InMemoryKnowledgeStore

SITE = Site(site_id="demo", name="Demo")


def state(**fields: object) -> SessionState:
    values: dict[str, object] = {
        "site_id": "demo", "visitor_id": "anna", "session_id": "s-1", "first_at": T0, "last_at": T0,
    }  # fmt: skip
    values.update(fields)
    return SessionState.model_validate(values)


def track(tracker: Tracker, body: dict[str, object]) -> tuple[int, int]:
    parsed = parse_batch(json.dumps(body), Limits())
    result = tracker.track(SITE, parsed.envelope, parsed.valid, T0 + timedelta(minutes=10))
    return result.accepted, result.duplicates


@pytest.mark.parametrize(
    ("fake", "port"),
    [
        (InMemorySessionStore, SessionStore),
        (InMemorySiteStore, SiteStore),
        (InMemoryCounterStore, CounterStore),
        (InMemoryKnowledgeStore, KnowledgeStore),
    ],
)
def test_each_fake_has_the_methods_of_its_port(fake: type, port: type) -> None:
    methods = [name for name, member in vars(port).items() if callable(member) and not name.startswith("_")]
    assert methods
    for name in methods:
        wanted = list(inspect.signature(getattr(port, name)).parameters)
        assert list(inspect.signature(getattr(fake, name)).parameters) == wanted, name


def test_a_session_is_created_once_and_then_written_by_version() -> None:
    store = InMemorySessionStore()
    store.save(state(version=1), None, None)
    with pytest.raises(ConcurrentUpdate):
        store.save(state(version=1), None, None)
    store.save(state(version=2, event_count=3), 1, None)
    with pytest.raises(ConcurrentUpdate):
        store.save(state(version=2), 1, None)
    stored = store.get("demo", "anna", "s-1")
    assert stored is not None
    assert (stored.version, stored.event_count) == (2, 3)
    assert store.visitor_has_sessions("demo", "anna")
    assert not store.visitor_has_sessions("demo", "bram")


def test_a_stored_state_is_a_copy() -> None:
    store = InMemorySessionStore()
    original = state(version=1)
    store.save(original, None, None)
    original.event_count = 99
    read = store.get("demo", "anna", "s-1")
    assert read is not None
    read.event_count = 42
    assert store.states[("demo", "anna", "s-1")].event_count == 0


def test_the_journey_leaves_out_chunks_of_a_lost_write() -> None:
    store = InMemorySessionStore()
    entry = JourneyEntry(at=T0, type="page_view")
    later = JourneyEntry(at=T0 + timedelta(seconds=5), type="page_view")
    kept = JourneyChunk(sort_key="JOURNEY#s-1#00000#aaaa", entries=[entry], expires_at=0)
    store.save(state(version=1, journey_chunks=[kept.sort_key], journey=[later]), None, kept)
    lost = JourneyChunk(sort_key="JOURNEY#s-1#00001#bbbb", entries=[later], expires_at=0)
    with pytest.raises(ConcurrentUpdate):
        store.save(state(version=1, journey_chunks=[kept.sort_key, lost.sort_key]), None, lost)
    stored = store.get("demo", "anna", "s-1")
    assert stored is not None
    assert store.journey(stored) == [entry, later]


def test_the_tracker_on_the_fakes_stores_anna_once() -> None:
    store = InMemorySessionStore()
    tracker = Tracker(store, Limits())
    body = batch(*anna_journey())
    assert track(tracker, body) == (7, 0)
    assert track(tracker, body) == (0, 7)
    assert store.saves == 1
    [anna] = store.sessions("demo", "anna")
    assert anna.checkout_step == 2


class RacingStore(InMemorySessionStore):
    """Another instance writes the session just before this one's first save."""

    def __init__(self, competitor: SessionState) -> None:
        super().__init__()
        self._competitor: SessionState | None = competitor

    def save(self, state: SessionState, expected_version: int | None, chunk: JourneyChunk | None) -> None:
        if self._competitor is not None:
            competitor, self._competitor = self._competitor, None
            super().save(competitor, None, None)
        super().save(state, expected_version, chunk)


def test_the_tracker_redoes_its_fold_after_losing_a_race() -> None:
    # given another instance that stores the same session first, with another event
    elsewhere = InMemorySessionStore()
    track(Tracker(elsewhere, Limits()), batch(event("page_view", event_id="from-the-other")))
    competitor = elsewhere.get("demo", "anna", "s-1")
    assert competitor is not None
    store = RacingStore(competitor)
    tracker = Tracker(store, Limits(), sleep=lambda _: None)
    # when this instance tracks its own event
    accepted = track(tracker, batch(event("page_view", event_id="from-this-one")))
    # then it lost the first write, read the session again, and both events are stored once
    assert accepted == (1, 0)
    assert store.conflicts == 1
    stored = store.get("demo", "anna", "s-1")
    assert stored is not None
    assert (stored.version, stored.event_count) == (2, 2)


def test_sites_and_keys() -> None:
    sites = InMemorySiteStore(SITE)
    sites.add_key("demo", "demo-site-key")
    assert sites.site_id_for_key("demo-site-key") == "demo"
    assert sites.get("demo") == SITE
    with pytest.raises(ValueError, match="at least 8"):
        sites.add_key("demo", "short")
    assert sites.revoke_key("demo-site-key")
    assert not sites.revoke_key("demo-site-key")
    assert sites.site_id_for_key("demo-site-key") is None


def test_a_batch_marker_counts_once() -> None:
    counters = InMemoryCounterStore()
    deltas = {("demo", "2026-11-22"): {"sessions": 1, "revenue": 296.96}}
    assert counters.add_once("batch-1", deltas, now=0)
    assert not counters.add_once("batch-1", deltas, now=1)
    assert counters.add_once("batch-2", {("demo", "2026-11-22"): {"sessions": 1}}, now=2)
    totals = counters.day_totals("demo", "2026-11-22")
    assert (totals["sessions"], totals["revenue"], totals["purchases"]) == (2, 296.96, 0)
    assert counters.day_totals("demo", "2026-11-23")["sessions"] == 0
    assert not counters.add_once("batch-3", {}, now=3)
