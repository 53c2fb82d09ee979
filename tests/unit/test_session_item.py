"""The stored form of a session: compact, and read back into exactly the same state."""

from __future__ import annotations

from datetime import timedelta

from klantreis import dynamo
from klantreis.journey.events import TrackedEvent
from klantreis.journey.session import SessionFold, SessionState
from klantreis.journey.session_item import session_from_item, session_to_item
from klantreis.sites import Site
from tests.factories import T0, anna_journey, event


def anna() -> SessionState:
    state = SessionState(
        site_id="demo", visitor_id="anna", session_id="s-1", first_at=T0, last_at=T0, version=3
    )
    journey = [*anna_journey(), event("page_view", url="https://shop/faq", at=T0 + timedelta(minutes=4))]
    SessionFold(state, Site(site_id="demo", name="Demo")).apply_all(
        [(i, TrackedEvent.model_validate(e)) for i, e in enumerate(journey)]
    )
    return state


def test_a_session_reads_back_as_it_was_written() -> None:
    state = anna()
    # through the wire format, as DynamoDB would hold it
    stored = dynamo.from_item(dynamo.to_item(session_to_item(state)))
    assert session_from_item(stored) == state


def test_the_stored_form_leaves_out_what_the_keys_and_defaults_say() -> None:
    stored = session_to_item(anna())
    assert stored["PK"] == "SITE#demo#V#anna"
    assert stored["SK"] == "SESSION#s-1"
    assert not {"site_id", "visitor_id", "session_id", "purchases", "journey_chunks"} & stored.keys()
    assert isinstance(stored["first_at"], int)
    product_entries = [e for e in stored["journey"] if e.get("product_id") == "b-39"]
    assert product_entries
    assert all("category" not in e and "value" not in e for e in product_entries)


def test_the_version_is_always_stored() -> None:
    state = anna()
    state.version = 0
    assert session_to_item(state)["version"] == 0


def test_purchase_time_and_codes_read_back_and_are_left_out_until_there_are_some() -> None:
    # given a session before and after a purchase with a discount code
    state = anna()
    before = session_to_item(state)
    SessionFold(state, Site(site_id="demo", name="Demo")).apply_all(
        [(0, TrackedEvent.model_validate(event("purchase", value=300.0, at=T0 + timedelta(minutes=6),
                                                 properties={"discount_code": "KR-ABC"})))]
    )  # fmt: skip
    after = session_to_item(state)
    # then an item without purchases holds neither, and one with them reads back the same
    assert not {"discount_codes", "last_purchase_at"} & before.keys()
    assert after["discount_codes"] == ["KR-ABC"]
    assert after["last_purchase_at"] == round((T0 + timedelta(minutes=6)).timestamp() * 1000)
    read = session_from_item(dynamo.from_item(dynamo.to_item(after)))
    assert read == state
    assert read.last_purchase_at == T0 + timedelta(minutes=6)


def test_the_first_local_hour_is_stored_as_a_small_number_and_reads_back() -> None:
    state = anna()
    stored = session_to_item(state)
    assert stored["first_local_hour"] == 20  # T0 is 19:00 UTC, 20:00 in Amsterdam
    assert session_from_item(dynamo.from_item(dynamo.to_item(stored))).first_local_hour == 20
    # a session stored before it was kept reads back without it
    older = {k: v for k, v in stored.items() if k != "first_local_hour"}
    assert session_from_item(dynamo.from_item(dynamo.to_item(older))).first_local_hour is None
