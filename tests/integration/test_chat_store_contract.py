"""The chat ports' contract (klantreis.conversations.ports), run against the DynamoDB adapters (one
per port, on moto's table built from template.yaml) and the in-memory fake (tests/fakes/chats.py)
alike, so the fake the service tests use cannot drift from what the adapters do. Every port is
held to it: ChatReader, QueueReader, ChatPlacement, ChatEnding, ChatMessages, ChatDiscounts and
ChatSurveys."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from klantreis import dynamo
from klantreis.agents.dynamo_store import DynamoAgentStore
from klantreis.agents.ports import AgentProfile
from klantreis.conversations.dynamo_store import (
    DynamoChatDiscounts,
    DynamoChatEnding,
    DynamoChatMessages,
    DynamoChatPlacement,
    DynamoChatReader,
    DynamoChatSurveys,
)
from klantreis.conversations.models import (
    Chat,
    Message,
    RoutingRecord,
    StartScores,
    SurveyAnswers,
    SurveySummary,
)
from klantreis.conversations.ports import (
    AgentReader,
    ChatDiscounts,
    ChatEnding,
    ChatMessages,
    ChatPlacement,
    ChatReader,
    ChatSurveys,
    Discount,
    chat_agent,
)
from klantreis.engagement.records import Offer, offer_item
from klantreis.engagement.records_dynamo_store import DynamoEngagementRecords
from klantreis.errors import ConcurrentUpdate, Conflict
from klantreis.routing.wait import queue_sort_key
from tests.fakes import InMemoryAgentStore, InMemoryChatStore, InMemoryEngagementRecords

SITE = "demo"
AT = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


@dataclass
class Chats:
    """The chat ports under test, and how the test seeds and reads what they write through."""

    reader: ChatReader
    placement: ChatPlacement
    ending: ChatEnding
    messages: ChatMessages
    discounts: ChatDiscounts
    surveys: ChatSurveys
    agents: AgentReader
    put_agent: Callable[[AgentProfile], None]
    put_offer: Callable[[Offer], None]
    offer: Callable[[str], Offer | None]


def dynamo_chats(request: pytest.FixtureRequest) -> Chats:
    db: Any = request.getfixturevalue("dynamodb")
    table: str = request.getfixturevalue("table_name")
    agents = DynamoAgentStore(db, table)
    records = DynamoEngagementRecords(db, table)
    return Chats(
        reader=DynamoChatReader(db, table),
        placement=DynamoChatPlacement(db, table),
        ending=DynamoChatEnding(db, table),
        messages=DynamoChatMessages(db, table),
        discounts=DynamoChatDiscounts(db, table),
        surveys=DynamoChatSurveys(db, table),
        agents=agents,
        put_agent=agents.put,
        put_offer=lambda offer: db.put_item(TableName=table, Item=dynamo.to_item(offer_item(offer))),
        offer=lambda offer_id: records.offer(SITE, offer_id),
    )


def fake_chats(_request: pytest.FixtureRequest) -> Chats:
    agents = InMemoryAgentStore()
    offers = InMemoryEngagementRecords()
    store = InMemoryChatStore(agents, offers)

    def put_offer(offer: Offer) -> None:
        offers.offers[(offer.site_id, offer.offer_id)] = offer

    return Chats(
        reader=store,
        placement=store,
        ending=store,
        messages=store,
        discounts=store,
        surveys=store,
        agents=agents,
        put_agent=agents.put,
        put_offer=put_offer,
        offer=lambda offer_id: offers.offer(SITE, offer_id),
    )


@pytest.fixture(params=[dynamo_chats, fake_chats], ids=["dynamodb", "fake"])
def chats(request: pytest.FixtureRequest) -> Chats:
    build: Callable[[pytest.FixtureRequest], Chats] = request.param
    return build(request)


# ------------------------------------------------------------------------------ helpers
def agent(agent_id: str = "mirjam", max_chats: int = 2) -> AgentProfile:
    return AgentProfile(
        site_id=SITE, agent_id=agent_id, display_name=agent_id.title(), categories=["laarzen"],
        status="available", max_chats=max_chats, last_seen_at=AT,
    )  # fmt: skip


def chat(chat_id: str, *, minutes: int = 0, visitor_id: str = "anna", **fields: Any) -> Chat:
    at = AT + timedelta(minutes=minutes)
    defaults: dict[str, Any] = {
        "site_id": SITE, "chat_id": chat_id, "visitor_id": visitor_id, "session_id": "s-1",
        "category": "laarzen", "status": "queued", "created_at": at, "day": at.date().isoformat(),
        "start_scores": StartScores(abandonment_risk=0.5),
    }  # fmt: skip
    return Chat(**{**defaults, **fields})


def record(outcome: str, agent_id: str | None = None, minutes: float = 0) -> RoutingRecord:
    at = AT + timedelta(minutes=minutes)
    return RoutingRecord.model_validate(
        {"at": at, "outcome": outcome, "agent_id": agent_id, "strategy": "predictive", "reason": "contract"}
    )


def assigned(
    chats: Chats, chat_id: str, who: AgentProfile, offer_id: str | None = None, **fields: Any
) -> Chat:
    new = chat(chat_id, **fields).model_copy(
        update={"status": "assigned", "agent": chat_agent(who), "assigned_at": AT, "wait_seconds": 0.0}
    )
    chats.placement.create_assigned(new, who, record("assigned", who.agent_id), offer_id)
    return new


def queued(chats: Chats, chat_id: str, minutes: int = 0, **fields: Any) -> Chat:
    new = chat(chat_id, minutes=minutes, **fields)
    key = queue_sort_key(new.priority, int(new.created_at.timestamp() * 1000), chat_id)
    new = new.model_copy(update={"queue_key": key})
    chats.placement.create_queued(new, record("queued", minutes=minutes), None)
    return new


def stored(chats: Chats, chat_id: str) -> Chat:
    found = chats.reader.chat(SITE, chat_id)
    assert found is not None
    return found


def holding(chats: Chats, agent_id: str = "mirjam") -> tuple[int, list[str]]:
    found = chats.agents.get(SITE, agent_id)
    assert found is not None
    return found.active_chats, found.chat_ids


# ------------------------------------------------------------------------------ ChatReader
def test_a_chat_reads_back_as_stored_alone_in_a_batch_and_among_the_visitors(chats: Chats) -> None:
    # given two chats of anna's, one of another visitor
    first = queued(chats, "c-1", skills=["engels"])
    second = queued(chats, "c-2", minutes=5)
    queued(chats, "c-3", minutes=1, visitor_id="bert")
    # then each reads back as stored, and an unknown one is None
    assert stored(chats, "c-1") == first
    assert chats.reader.chat(SITE, "nope") is None
    assert chats.reader.chat("other-shop", "c-1") is None
    # and a batch holds those that exist, by id
    assert chats.reader.chats(SITE, ["c-2", "nope", "c-1", "c-1"]) == {"c-1": first, "c-2": second}
    assert chats.reader.chats("other-shop", ["c-1"]) == {}
    # and the visitor's chats come oldest first
    assert [c.chat_id for c in chats.reader.chats_of_visitor(SITE, "anna")] == ["c-1", "c-2"]


# ------------------------------------------------------------------------------ QueueReader, ChatPlacement
def test_the_queue_is_in_key_order_paged_and_counted(chats: Chats) -> None:
    for n in range(5):
        queued(chats, f"c-{n}", minutes=n)
    queued(chats, "c-boots", minutes=9, category="sneakers")
    entries = chats.placement.queue(SITE, 10)
    assert [e.chat_id for e in entries] == ["c-0", "c-1", "c-2", "c-3", "c-4", "c-boots"]
    assert entries == sorted(entries, key=lambda e: e.queue_key)
    assert (entries[0].category, entries[0].skills) == ("laarzen", ())
    page = chats.placement.queue(SITE, 2, after=entries[1].queue_key)
    assert [e.chat_id for e in page] == ["c-2", "c-3"]
    stats = chats.placement.routing_stats(SITE)
    assert (stats.queued_in("laarzen"), stats.queued_in("sneakers"), stats.queued_in(None)) == (5, 1, 0)
    assert [(r.outcome, r.reason) for r in chats.placement.routing_records(SITE, "c-0")] == [
        ("queued", "contract")
    ]


def test_a_chat_created_with_an_agent_takes_a_slot_once_and_never_beyond_the_agents_max(chats: Chats) -> None:
    mirjam = agent(max_chats=1)
    chats.put_agent(mirjam)
    first = assigned(chats, "c-1", mirjam)
    assert stored(chats, "c-1") == first
    assert holding(chats) == (1, ["c-1"])
    assert chats.placement.performance(SITE, "laarzen")["mirjam"].chats == 1
    # the same chat again, and a chat beyond her max, are lost races that write nothing
    with pytest.raises(ConcurrentUpdate):
        assigned(chats, "c-1", mirjam)
    with pytest.raises(ConcurrentUpdate):
        assigned(chats, "c-2", mirjam)
    assert chats.reader.chat(SITE, "c-2") is None
    assert holding(chats) == (1, ["c-1"])
    assert chats.placement.performance(SITE, "laarzen")["mirjam"].chats == 1


def test_an_offer_is_accepted_by_one_chat_only(chats: Chats) -> None:
    chats.put_agent(agent())
    offer = Offer(
        site_id=SITE, offer_id="o-1", visitor_id="anna", session_id="s-1", rule_id="checkout",
        message="Kan ik helpen?", day="2026-12-04", created_at=AT,
    )  # fmt: skip
    chats.put_offer(offer)
    assigned(chats, "c-1", agent(), offer_id="o-1")
    accepted = chats.offer("o-1")
    assert accepted is not None
    assert (accepted.chat_id, accepted.response) == ("c-1", "accepted")
    with pytest.raises(ConcurrentUpdate):
        assigned(chats, "c-2", agent(), offer_id="o-1")
    assert chats.reader.chat(SITE, "c-2") is None


def test_a_queued_chat_is_taken_once_and_can_be_given_back(chats: Chats) -> None:
    mirjam = agent()
    chats.put_agent(mirjam)
    waiting = queued(chats, "c-1")
    entry = chats.placement.queue(SITE)[0]
    # taken from the queue 90 seconds after it was created
    chats.placement.assign_queued(waiting, entry.queue_key, mirjam, record("assigned", "mirjam", minutes=1.5))
    taken = stored(chats, "c-1")
    assert (taken.status, taken.agent_id, taken.queue_key, taken.wait_seconds) == (
        "assigned",
        "mirjam",
        None,
        90.0,
    )
    assert chats.placement.queue(SITE) == []
    assert chats.placement.routing_stats(SITE).queued_in("laarzen") == 0
    assert holding(chats) == (1, ["c-1"])
    with pytest.raises(ConcurrentUpdate):
        chats.placement.assign_queued(waiting, entry.queue_key, mirjam, record("assigned", "mirjam"))
    # given back to the queue (mirjam went offline)
    chats.placement.requeue(taken, "key-again", record("requeued", "mirjam"))
    back = stored(chats, "c-1")
    assert (back.status, back.agent, back.queue_key, back.reassignments) == ("queued", None, "key-again", 1)
    assert [e.queue_key for e in chats.placement.queue(SITE)] == ["key-again"]
    assert holding(chats) == (0, [])
    outcomes = [r.outcome for r in chats.placement.routing_records(SITE, "c-1")]
    assert sorted(outcomes) == ["assigned", "queued", "requeued"]
    with pytest.raises(ConcurrentUpdate):
        chats.placement.requeue(taken, "key-third", record("requeued", "mirjam"))


# ------------------------------------------------------------------------------ ChatEnding
def test_ending_a_served_chat_frees_the_slot_and_counts_once(chats: Chats) -> None:
    chats.put_agent(agent())
    served = assigned(chats, "c-1", agent())
    chats.ending.end(served, AT + timedelta(minutes=4), True, True)
    ended = stored(chats, "c-1")
    assert (ended.status, ended.resolved, ended.ended_at) == ("ended", True, AT + timedelta(minutes=4))
    assert holding(chats) == (0, [])
    performance = chats.placement.performance(SITE, "laarzen")["mirjam"]
    assert (performance.ended, performance.resolved, performance.handle_seconds) == (1, 1, 240.0)
    stats = chats.placement.routing_stats(SITE)
    assert (stats.ended, stats.handle_seconds) == (1, 240.0)
    with pytest.raises(ConcurrentUpdate):
        chats.ending.end(served, AT + timedelta(minutes=5), True, True)  # as read before it ended


def test_ending_a_queued_chat_takes_it_out_of_the_queue(chats: Chats) -> None:
    waiting = queued(chats, "c-1")
    chats.ending.end(waiting, AT, None, False)
    assert (stored(chats, "c-1").status, stored(chats, "c-1").resolved) == ("ended", None)
    assert chats.placement.queue(SITE) == []
    assert chats.placement.routing_stats(SITE).queued_in("laarzen") == 0


def test_a_slot_is_released_only_while_the_agent_holds_the_chat(chats: Chats) -> None:
    chats.put_agent(agent())
    assigned(chats, "c-1", agent())
    assert chats.ending.release(SITE, "mirjam", "c-1") is True
    assert holding(chats) == (0, [])
    assert chats.ending.release(SITE, "mirjam", "c-1") is False


# ------------------------------------------------------------------------------ ChatMessages
def test_messages_are_numbered_in_order_and_read_by_cursor(chats: Chats) -> None:
    chats.put_agent(agent())
    served = assigned(chats, "c-1", agent())
    opening = [
        Message(message_id="", author="bot", text="Waarmee kan ik helpen?", at=AT, from_bot=True),
        Message(message_id="", author="visitor", text="Mijn maat", at=AT),
    ]
    assert [m.message_id for m in chats.messages.add_transcript(served, opening)] == ["000001", "000002"]
    reply = chats.messages.add_message(
        served, Message(message_id="", author="agent", agent_id="mirjam", text="Maat 39?", at=AT)
    )
    assert reply.message_id == "000003"
    every = chats.messages.messages(SITE, "c-1", None)
    assert [(m.message_id, m.author, m.from_bot) for m in every] == [
        ("000001", "bot", True), ("000002", "visitor", False), ("000003", "agent", False),
    ]  # fmt: skip
    assert [m.message_id for m in chats.messages.messages(SITE, "c-1", "000001")] == ["000002", "000003"]
    assert [m.message_id for m in chats.messages.messages(SITE, "c-1", None, limit=2)] == ["000001", "000002"]
    assert [m.text for m in chats.messages.latest_messages(SITE, "c-1", 2)] == ["Mijn maat", "Maat 39?"]
    assert chats.messages.messages(SITE, "nope", None) == []


def test_an_ended_chat_takes_no_message(chats: Chats) -> None:
    waiting = queued(chats, "c-1")
    chats.ending.end(waiting, AT, None, False)
    with pytest.raises(Conflict):
        chats.messages.add_message(waiting, Message(message_id="", author="visitor", text="Hallo?", at=AT))


# ------------------------------------------------------------------------------ ChatDiscounts
def test_one_discount_per_chat_by_its_agent_and_a_purchase_credits_once(chats: Chats) -> None:
    chats.put_agent(agent())
    served = assigned(chats, "c-1", agent())
    code = Discount(
        site_id=SITE, code="KR-ABCDEFGHJK", chat_id="c-1", agent_id="mirjam", percent=10.0, visitor_id="anna",
        created_at=AT,
    )  # fmt: skip
    chats.discounts.add_discount(served, code)
    assert chats.discounts.discount(SITE, "KR-ABCDEFGHJK") == code
    assert chats.discounts.discount(SITE, "KR-NONE") is None
    assert (stored(chats, "c-1").discount_code, stored(chats, "c-1").discount_percent) == (
        "KR-ABCDEFGHJK",
        10.0,
    )
    with pytest.raises(Conflict):
        chats.discounts.add_discount(served, Discount(**{**code.__dict__, "code": "KR-SECOND2345"}))
    # a purchase with the code is credited once, and uses the code
    assert chats.discounts.mark_converted(served, AT + timedelta(hours=1), 129.95, "KR-ABCDEFGHJK") is True
    assert chats.discounts.mark_converted(served, AT + timedelta(hours=2), 10.0, "KR-ABCDEFGHJK") is False
    converted = stored(chats, "c-1")
    assert (converted.converted_at, converted.conversion_value) == (AT + timedelta(hours=1), 129.95)
    used = chats.discounts.discount(SITE, "KR-ABCDEFGHJK")
    assert used is not None
    assert used.used_at == AT + timedelta(hours=1)
    assert chats.placement.performance(SITE, "laarzen")["mirjam"].conversions == 1


def test_a_discount_of_another_agent_is_refused(chats: Chats) -> None:
    chats.put_agent(agent())
    served = assigned(chats, "c-1", agent())
    code = Discount(
        site_id=SITE, code="KR-ABCDEFGHJK", chat_id="c-1", agent_id="sven", percent=5.0, visitor_id="anna",
        created_at=AT,
    )  # fmt: skip
    with pytest.raises(Conflict):
        chats.discounts.add_discount(served, code)
    assert chats.discounts.discount(SITE, "KR-ABCDEFGHJK") is None


# ------------------------------------------------------------------------------ ChatSurveys
def test_one_survey_per_chat_counted_for_its_agent(chats: Chats) -> None:
    chats.put_agent(agent())
    served = assigned(chats, "c-1", agent())
    answers = SurveyAnswers(csat=5, nps=9, ces=2, comment="Top")
    chats.surveys.add_survey(served, answers, AT, "2026-12-04")
    assert stored(chats, "c-1").survey == SurveySummary(csat=5, nps=9, ces=2, at=AT)
    with pytest.raises(Conflict):
        chats.surveys.add_survey(served, SurveyAnswers(csat=1), AT, "2026-12-04")
    performance = chats.placement.performance(SITE, "laarzen")["mirjam"]
    assert (performance.csat_n, performance.csat_good, performance.nps_promoters, performance.ces_n) == (
        1,
        1,
        1,
        1,
    )


def test_a_chat_keeps_its_first_follow_up(chats: Chats) -> None:
    earlier = queued(chats, "c-1")
    chats.surveys.mark_follow_up(earlier, "c-2")
    chats.surveys.mark_follow_up(earlier, "c-3")
    assert stored(chats, "c-1").follow_up_chat_id == "c-2"
    chats.surveys.mark_follow_up(chat("nope"), "c-4")  # a chat that is gone: no error, nothing stored
    assert chats.reader.chat(SITE, "nope") is None
