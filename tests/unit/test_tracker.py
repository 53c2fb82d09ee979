"""The tracking service on in-memory fakes: clock correction, stale reads, the journey's move
into chunks, retention, and giving up under lasting contention."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from klantreis.errors import ConcurrentUpdate, Throttled
from klantreis.journey.events import BatchEnvelope, TrackedEvent
from klantreis.journey.ports import JourneyChunk
from klantreis.journey.session import SessionState
from klantreis.journey.tracker import Limits, Tracker, TrackResult
from klantreis.sites import Site
from tests.factories import T0, anna_journey, batch, event
from tests.fakes import InMemorySessionStore

SITE = Site(site_id="demo", name="Demo")
RECEIVED = T0 + timedelta(seconds=2)


def track(
    tracker: Tracker, body: dict[str, Any], site: Site = SITE, received: datetime = RECEIVED
) -> TrackResult:
    envelope = BatchEnvelope.model_validate(body)
    events = [(i, TrackedEvent.model_validate(e)) for i, e in enumerate(body["events"])]
    return tracker.track(site, envelope, events, received)


def stored(store: InMemorySessionStore, session_id: str = "s-1") -> SessionState:
    state = store.get("demo", "anna", session_id)
    assert state is not None
    return state


def test_a_retry_after_a_stale_read_is_still_a_duplicate() -> None:
    # given a store whose cheap reads lag one write behind
    store = InMemorySessionStore(stale_reads=True)
    tracker = Tracker(store, Limits(), sleep=lambda _: None)
    body = batch(*anna_journey())
    assert track(tracker, body).accepted == 7
    # when the same batch arrives again and the first read does not see it yet
    again = track(tracker, body)
    # then the conditional write fails, the consistent re-read finds the events
    assert (again.accepted, again.duplicates) == (0, 7)
    assert store.conflicts == 1
    assert stored(store).event_count == 7


def test_widget_clock_error_is_removed() -> None:
    store = InMemorySessionStore()
    # the widget's clock is an hour fast: event and sending both an hour ahead
    body = batch(event("page_view", at=T0 + timedelta(hours=1)), sent_at=T0 + timedelta(hours=1, seconds=1))
    track(Tracker(store, Limits()), body, received=T0 + timedelta(seconds=1))
    assert stored(store).first_at == T0


def test_events_more_than_a_day_ahead_are_rejected_alone() -> None:
    store = InMemorySessionStore()
    body = batch(event("page_view"), event("page_view", at=T0 + timedelta(days=2)), sent_at=T0)
    result = track(Tracker(store, Limits()), body, received=T0)
    assert result.accepted == 1
    assert result.rejected == [{"index": 1, "error": "timestamp is more than a day in the future"}]


def test_a_visitor_with_an_earlier_session_is_returning() -> None:
    store = InMemorySessionStore()
    tracker = Tracker(store, Limits())
    track(tracker, batch(event("page_view"), session_id="s-1"))
    track(tracker, batch(event("page_view"), session_id="s-2"))
    assert not stored(store, "s-1").returning_visitor
    assert stored(store, "s-2").returning_visitor


def test_a_long_journey_moves_into_chunks_and_reads_back_in_order() -> None:
    store = InMemorySessionStore()
    tracker = Tracker(store, Limits())
    pages = [event("page_view", url=f"https://shop/p/{n}", at=T0 + timedelta(seconds=n)) for n in range(60)]
    for start in range(0, 60, 6):
        track(tracker, batch(*pages[start : start + 6]), received=T0 + timedelta(seconds=start + 6))
    state = stored(store)
    assert state.journey_chunks
    journey = store.journey(state)
    assert [entry.url for entry in journey] == [f"https://shop/p/{n}" for n in range(60)]


def test_retention_follows_the_site_or_the_default() -> None:
    store = InMemorySessionStore()
    track(Tracker(store, Limits(retention_days=30)), batch(event("page_view")))
    assert stored(store).expires_at == int((RECEIVED + timedelta(days=30)).timestamp())
    long_kept = Site(site_id="demo", name="Demo", journey_retention_days=90)
    track(Tracker(store, Limits(retention_days=30)), batch(event("page_view")), site=long_kept)
    assert stored(store).expires_at == int((RECEIVED + timedelta(days=90)).timestamp())


class AlwaysLosing(InMemorySessionStore):
    def save(self, state: SessionState, expected_version: int | None, chunk: JourneyChunk | None) -> None:
        raise ConcurrentUpdate("someone else, again")


def test_lasting_contention_asks_the_client_to_retry() -> None:
    tracker = Tracker(AlwaysLosing(), Limits(), sleep=lambda _: None)
    with pytest.raises(Throttled):
        track(tracker, batch(event("page_view")))


def test_nothing_new_writes_nothing() -> None:
    store = InMemorySessionStore()
    tracker = Tracker(store, Limits())
    body = batch(event("page_view"))
    track(tracker, body)
    track(tracker, body)
    assert store.saves == 1
