"""Purchases attributed to chats: by the discount code the agent gave, else by the session."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from klantreis.conversations.models import Chat, ChatAgent
from klantreis.conversations.ports import Discount
from klantreis.dynamo import to_item
from klantreis.journey.events import TrackedEvent
from klantreis.journey.session import SessionFold, SessionState
from klantreis.journey.store import session_to_item
from klantreis.projections.attribution import Purchase, attribute, purchase_of, purchases
from klantreis.projections.changes import decode
from klantreis.sites import Site
from tests.factories import T0, anna_journey, event
from tests.fakes import InMemoryChats

SITE = Site(site_id="demo", name="Demo")
MIRJAM = ChatAgent(agent_id="mirjam", display_name="Mirjam")
BOUGHT_AT = T0 + timedelta(minutes=10)


def session(
    *events: dict[str, Any], state: SessionState | None = None, session_id: str = "s-1"
) -> SessionState:
    state = (
        state.model_copy(deep=True)
        if state
        else SessionState(site_id="demo", visitor_id="anna", session_id=session_id, first_at=T0, last_at=T0)
    )
    SessionFold(state, SITE).apply_all([(i, TrackedEvent.model_validate(e)) for i, e in enumerate(events)])
    state.version += 1
    return state


def chat(chat_id: str = "c-1", *, at: datetime = T0 + timedelta(minutes=4), **fields: Any) -> Chat:
    defaults: dict[str, Any] = {
        "site_id": "demo", "chat_id": chat_id, "visitor_id": "anna", "session_id": "s-1", "status": "ended",
        "agent": MIRJAM, "category": "dameslaarzen", "created_at": at, "day": "2026-11-22",
    }  # fmt: skip
    return Chat.model_validate({**defaults, **fields})


def discount(code: str, chat_id: str = "c-1", visitor_id: str = "anna") -> Discount:
    return Discount(
        site_id="demo", code=code, chat_id=chat_id, agent_id="mirjam", percent=10.0, visitor_id=visitor_id,
        created_at=T0 + timedelta(minutes=5),
    )  # fmt: skip


def bought(value: float = 296.96, code: str | None = None, at: datetime = BOUGHT_AT) -> dict[str, Any]:
    return event("purchase", value=value, at=at, properties={"discount_code": code} if code else {})


def purchase(**fields: Any) -> Purchase:
    defaults: dict[str, Any] = {
        "site_id": "demo", "visitor_id": "anna", "session_id": "s-1", "at": BOUGHT_AT, "value": 296.96,
    }  # fmt: skip
    return Purchase(**{**defaults, **fields})


def stream_record(name: str, new: SessionState, old: SessionState | None = None) -> dict[str, Any]:
    image = session_to_item(new)
    change: dict[str, Any] = {
        "Keys": to_item({"PK": image["PK"], "SK": image["SK"]}),
        "NewImage": to_item(image),
    }
    if old is not None:
        change["OldImage"] = to_item(session_to_item(old))
    return {"eventID": name, "eventName": "MODIFY" if old else "INSERT", "dynamodb": change}


# ------------------------------------------------------------------------ what was bought
def test_a_change_that_adds_a_purchase_is_one() -> None:
    # given Anna at checkout, who then buys with a code
    before = session(*anna_journey())
    after = session(bought(code="KR-ABC"), state=before)
    # then the change holds the purchase, its time, value and the new code
    assert purchase_of(before, after) == purchase(new_codes=("KR-ABC",))
    assert purchase_of(None, after) == purchase(new_codes=("KR-ABC",))
    # and a change without a new purchase holds none
    assert purchase_of(before, before) is None
    assert purchase_of(after, session(event("page_view", url="https://shop/"), state=after)) is None


def test_only_codes_new_to_the_session_count() -> None:
    first = session(bought(10.0, code="KR-ABC"))
    second = session(bought(20.0, code="KR-ABC", at=BOUGHT_AT + timedelta(minutes=1)), state=first)
    found = purchase_of(first, second)
    assert found is not None
    assert (found.value, found.new_codes, found.at) == (20.0, (), BOUGHT_AT + timedelta(minutes=1))


def test_purchases_are_found_in_a_stream_batch() -> None:
    browsing = session(*anna_journey())
    after = session(bought(code="KR-ABC"), state=browsing)
    other = session(bought(50.0), session_id="s-2")
    records = [
        stream_record("1", browsing),  # no purchase
        stream_record("2", after, old=browsing),
        stream_record("3", other),  # bought in the session's first batch
        stream_record("4", after, old=after),  # rewritten, nothing new
        {"eventID": "5", "eventName": "REMOVE", "dynamodb": stream_record("x", after)["dynamodb"]},
    ]
    assert purchases(decode(records)) == [
        purchase(new_codes=("KR-ABC",)),
        purchase(session_id="s-2", value=50.0, at=BOUGHT_AT),
    ]


# ------------------------------------------------------------------------ whom it is credited to
def test_the_code_names_the_chat_and_its_agent() -> None:
    # given two chats of Anna in the session, the later one gave the code
    chats = InMemoryChats(chat("c-1"), chat("c-2", at=T0 + timedelta(minutes=6)))
    chats.put_discount(discount("KR-ABC", chat_id="c-2"))
    # when she buys with it (typed in lower case)
    credits = attribute(purchase(new_codes=("kr-abc",)), chats)
    # then that chat alone converts, once, and the code is used
    assert [(c.chat_id, c.agent_id, c.code, c.credited) for c in credits] == [
        ("c-2", "mirjam", "KR-ABC", True)
    ]
    stored = chats.held[("demo", "c-2")]
    assert (stored.converted_at, stored.conversion_value) == (BOUGHT_AT, 296.96)
    assert chats.held[("demo", "c-1")].converted_at is None
    assert chats.discounts[("demo", "KR-ABC")].used_at == BOUGHT_AT
    assert chats.conversions == {("demo", "dameslaarzen", "mirjam"): 1}


def test_a_code_is_anyones_to_use_once() -> None:
    # given a code Anna got, used by Bram in a session without chats
    chats = InMemoryChats(chat("c-1"))
    chats.put_discount(discount("KR-ABC"))
    credits = attribute(purchase(visitor_id="bram", session_id="s-9", new_codes=("KR-ABC",)), chats)
    assert [(c.chat_id, c.credited) for c in credits] == [("c-1", True)]
    # and used again by someone else: no second conversion
    again = attribute(purchase(visitor_id="carla", session_id="s-7", new_codes=("KR-ABC",)), chats)
    assert [(c.chat_id, c.credited) for c in again] == [("c-1", False)]
    assert chats.conversions == {("demo", "dameslaarzen", "mirjam"): 1}


def test_without_a_code_of_ours_the_chats_before_the_purchase_in_the_session_convert() -> None:
    # given chats before the purchase (one in another session), and one after it
    chats = InMemoryChats(
        chat("c-1"),
        chat("c-2", at=T0 + timedelta(minutes=8), agent=ChatAgent(agent_id="sven", display_name="Sven")),
        chat("c-3", session_id="s-0"),
        chat("c-4", at=BOUGHT_AT + timedelta(minutes=1)),
        chat("c-5", visitor_id="bram"),
    )
    # when she buys with a code of the shop's own
    credits = attribute(purchase(new_codes=("WINTER10",)), chats)
    # then both chats of the session before it convert, with their agents
    assert [(c.chat_id, c.agent_id, c.code, c.credited) for c in credits] == [
        ("c-1", "mirjam", None, True),
        ("c-2", "sven", None, True),
    ]
    assert chats.conversions == {("demo", "dameslaarzen", "mirjam"): 1, ("demo", "dameslaarzen", "sven"): 1}
    assert {key[1] for key, c in chats.held.items() if c.converted_at} == {"c-1", "c-2"}


def test_a_chat_without_an_agent_converts_without_crediting_anyone() -> None:
    chats = InMemoryChats(chat("c-1", agent=None, status="queued"))
    credits = attribute(purchase(), chats)
    assert [(c.chat_id, c.agent_id, c.credited) for c in credits] == [("c-1", None, True)]
    assert chats.conversions == {}


def test_a_retried_batch_credits_nothing_twice() -> None:
    chats = InMemoryChats(chat("c-1"))
    chats.put_discount(discount("KR-ABC"))
    first = attribute(purchase(new_codes=("KR-ABC",)), chats)
    retried = attribute(purchase(new_codes=("KR-ABC",)), chats)
    later_purchase = attribute(purchase(at=BOUGHT_AT + timedelta(hours=1), value=20.0), chats)
    assert [c.credited for c in [*first, *retried, *later_purchase]] == [True, False, False]
    assert chats.held[("demo", "c-1")].conversion_value == 296.96
    assert chats.conversions == {("demo", "dameslaarzen", "mirjam"): 1}


def test_a_purchase_without_chats_credits_nobody() -> None:
    chats = InMemoryChats(chat("c-1", session_id="s-0"))
    assert attribute(purchase(new_codes=("KR-NOPE", "bad#code", "  ")), chats) == []
    assert chats.conversions == {}
