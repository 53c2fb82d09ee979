"""The session store's contract (klantreis.journey.ports.SessionStore), run against the DynamoDB
adapter and the in-memory fake alike (tests/contract.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from klantreis import keys
from klantreis.errors import ConcurrentUpdate
from klantreis.journey.dynamo_store import DynamoSessionStore
from klantreis.journey.ports import JourneyChunk, SessionStore
from klantreis.journey.session import JourneyEntry, SessionState
from tests.contract import both
from tests.factories import T0
from tests.fakes.journey import InMemorySessionStore

store = both(DynamoSessionStore, InMemorySessionStore)


def state(visitor_id: str = "anna", session_id: str = "s-1", **fields: object) -> SessionState:
    values: dict[str, object] = {
        "site_id": "demo", "visitor_id": visitor_id, "session_id": session_id, "first_at": T0, "last_at": T0,
    }  # fmt: skip
    values.update(fields)
    return SessionState.model_validate(values)


def test_a_session_is_created_once_and_then_written_by_version(store: SessionStore) -> None:
    # given a new session
    store.save(state(version=1), None, None)
    # when it is created again, or written with a version that is not the stored one
    with pytest.raises(ConcurrentUpdate):
        store.save(state(version=1), None, None)
    store.save(state(version=2, event_count=3), 1, None)
    with pytest.raises(ConcurrentUpdate):
        store.save(state(version=2), 1, None)
    # then the one write that expected the stored version is kept
    stored = store.get("demo", "anna", "s-1")
    assert stored is not None
    assert (stored.version, stored.event_count) == (2, 3)
    assert store.get("demo", "anna", "s-2") is None


def test_a_stored_session_is_a_copy(store: SessionStore) -> None:
    original = state(version=1)
    store.save(original, None, None)
    original.event_count = 99
    read = store.get("demo", "anna", "s-1")
    assert read is not None
    read.event_count = 42
    again = store.get("demo", "anna", "s-1")
    assert again is not None
    assert again.event_count == 0


def test_a_visitors_sessions_are_their_own(store: SessionStore) -> None:
    store.save(state(session_id="s-2", version=1), None, None)
    store.save(state(session_id="s-1", version=1), None, None)
    store.save(state(visitor_id="bram", version=1), None, None)
    assert [s.session_id for s in store.sessions("demo", "anna")] == ["s-1", "s-2"]
    assert store.visitor_has_sessions("demo", "anna")
    assert not store.visitor_has_sessions("demo", "carla")
    assert store.sessions("other", "anna") == []


def test_the_journey_is_in_time_order_and_leaves_out_chunks_of_a_lost_write(store: SessionStore) -> None:
    # given a session whose first entry moved to a chunk, and a later entry in the session item
    entry = JourneyEntry(at=T0, type="page_view")
    later = JourneyEntry(at=T0 + timedelta(seconds=5), type="page_view")
    kept = JourneyChunk(sort_key=keys.journey_sk("s-1", 0, "aaaa"), entries=[entry], expires_at=0)
    store.save(state(version=1, journey_chunks=[kept.sort_key], journey=[later]), None, kept)
    # when another chunk is written by a session write that loses its race
    lost = JourneyChunk(sort_key=keys.journey_sk("s-1", 1, "bbbb"), entries=[later], expires_at=0)
    with pytest.raises(ConcurrentUpdate):
        store.save(state(version=1, journey_chunks=[kept.sort_key, lost.sort_key]), None, lost)
    # then the journey holds the kept chunk's entry and the session's own, once each
    stored = store.get("demo", "anna", "s-1")
    assert stored is not None
    assert store.journey(stored) == [entry, later]
