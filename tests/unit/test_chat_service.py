"""The chat services (klantreis.dispatch, klantreis.conversations) on in-memory fakes: who routing
may pick, the queue and its order, agents who go offline or silent, discounts within the mandate,
a category nobody serves, follow-up marking, offers, lost races, and the chat's messages and end."""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta
from typing import Any

import pytest

from klantreis.agents.ports import AgentProfile
from klantreis.conversations.discounts import DISCOUNT_CODE_CHARS
from klantreis.conversations.models import Chat
from klantreis.dispatch.placement import (
    ASSIGN_ATTEMPTS,
    ChatStart,
    NewChat,
    StartReads,
)
from klantreis.engagement.records import Decision, Offer
from klantreis.errors import (
    ConcurrentUpdate,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Throttled,
    ValidationFailed,
)
from klantreis.journey.session import CartLine, SessionState
from klantreis.sites import Site
from tests.chat_tables import chat_desk
from tests.factories import T0
from tests.fakes import (
    InMemoryAgentStore,
    InMemoryChatStore,
    InMemoryDecisionReader,
    InMemoryEngagementRecords,
    InMemorySessionStore,
)

SITE = Site(site_id="demo", name="Demo", timezone="Europe/Amsterdam")
HEARTBEAT = 120.0
QUIET = {"agents_offline": 0, "chats_requeued": 0, "slots_freed": 0, "chats_assigned": 0}
"""A sweep with nothing to do."""


def agent(agent_id: str, *categories: str, **fields: Any) -> AgentProfile:
    """An available agent whose console just reported in, with two free slots."""
    defaults: dict[str, Any] = {
        "site_id": SITE.site_id,
        "agent_id": agent_id,
        "display_name": agent_id.capitalize(),
        "categories": list(categories),
        "status": "available",
        "max_chats": 2,
        "discount_mandate_percent": 10,
        "last_seen_at": T0,
        "status_changed_at": T0,
    }
    return AgentProfile(**{**defaults, **fields})


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class World:
    """The chat services on fakes at a settable clock, with a seeded random stream, wired as
    klantreis.services wires them."""

    def __init__(self, *agents: AgentProfile, seed: int = 7) -> None:
        self.clock = Clock(T0)
        self.agents = InMemoryAgentStore(*agents)
        self.offers = InMemoryEngagementRecords()
        self.chats = InMemoryChatStore(self.agents, self.offers)
        self.sessions = InMemorySessionStore()
        self.decisions = InMemoryDecisionReader()
        numbers = itertools.count(1)
        self.pauses: list[float] = []
        """The jittered pauses taken before retrying lost races (recorded, not slept)."""
        desk = chat_desk(
            self.chats, self.agents, StartReads(self.sessions, self.offers, self.decisions), clock=self.clock,
            ids=lambda: f"chat-{next(numbers):03d}", heartbeat_seconds=HEARTBEAT, rng=random.Random(seed),
            sleep=self.pauses.append,
        )  # fmt: skip
        self.starter, self.queue, self.ender = desk.starter, desk.queue, desk.ender
        self.presence, self.messaging, self.discounts, self.lookup = (
            desk.presence, desk.messaging, desk.discounts, desk.lookup,
        )  # fmt: skip

    def start(self, visitor_id: str, session_id: str = "s-1", **fields: Any) -> ChatStart:
        ask = NewChat.model_validate(
            {"visitor_id": visitor_id, "session_id": session_id, "message": "Hallo", **fields}
        )
        return self.starter.start(SITE, ask)

    def chat(self, chat_id: str) -> Chat:
        chat = self.chats.chat(SITE.site_id, chat_id)
        assert chat is not None
        return chat

    def agent(self, agent_id: str) -> AgentProfile:
        found = self.agents.get(SITE.site_id, agent_id)
        assert found is not None
        return found

    def end(self, chat_id: str, resolved: bool | None = True) -> Chat:
        return self.ender.end(SITE, self.chat(chat_id), resolved)

    def cart(
        self, visitor_id: str, value: float, category: str = "dameslaarzen", session_id: str = "s-1"
    ) -> None:
        state = SessionState(
            site_id=SITE.site_id, visitor_id=visitor_id, session_id=session_id, first_at=T0, last_at=T0,
            cart={"b-39": CartLine(quantity=1, unit_value=value, category=category)},
        )  # fmt: skip
        self.sessions.save(state, None, None)

    def offer(self, visitor_id: str, **fields: Any) -> Offer:
        offer = Offer(
            site_id=SITE.site_id, offer_id=f"offer-{visitor_id}", visitor_id=visitor_id, session_id="s-1",
            rule_id="checkout", message="Kan ik helpen?", day="2026-11-22", created_at=T0, **fields,
        )  # fmt: skip
        self.offers.offers[(SITE.site_id, offer.offer_id)] = offer
        return offer

    def outcomes(self, chat_id: str) -> list[tuple[str, str | None]]:
        return [(r.outcome, r.agent_id) for r in self.chats.routing_records(SITE.site_id, chat_id)]


# ====================================================================== routing
def test_routing_picks_only_agents_who_can_take_the_chat() -> None:
    # given one agent who fits, and one of each way of not fitting
    world = World(
        agent("fit", "dameslaarzen", skills=["engels"]),
        agent("other-category", "sneakers", skills=["engels"]),
        agent("away", "dameslaarzen", skills=["engels"], status="away"),
        agent("offline", "dameslaarzen", skills=["engels"], status="offline"),
        agent(
            "silent", "dameslaarzen", skills=["engels"], last_seen_at=T0 - timedelta(seconds=HEARTBEAT + 1)
        ),
        agent("full", "dameslaarzen", skills=["engels"], max_chats=1, active_chats=1, chat_ids=["older"]),
        agent("no-skill", "dameslaarzen"),
    )

    # when chats in dameslaarzen needing English arrive (each ended, so the fit agent stays free)
    for n in range(20):
        started = world.start(f"v-{n}", category="dameslaarzen", skills=["engels"])

        # then every one goes to the only agent who can take it
        assert (started.chat.status, started.chat.agent_id) == ("assigned", "fit")
        record = world.chats.routing_records(SITE.site_id, started.chat.chat_id)[0]
        assert [c["agent_id"] for c in record.candidates] == ["fit"]
        assert record.reason == "only candidate"
        world.end(started.chat.chat_id)

    # and without the skill the agent without it is a candidate too, nobody else
    started = world.start("zonder-skill", category="dameslaarzen")
    record = world.chats.routing_records(SITE.site_id, started.chat.chat_id)[0]
    assert {c["agent_id"] for c in record.candidates} == {"fit", "no-skill"}
    assert started.chat.agent_id in {"fit", "no-skill"}
    assert world.agent("full").chat_ids == ["older"]


def test_an_assignment_takes_a_slot_and_a_full_agent_takes_no_more() -> None:
    world = World(agent("mirjam", "dameslaarzen"))
    first = world.start("a", category="dameslaarzen")
    second = world.start("b", category="dameslaarzen")
    third = world.start("c", category="dameslaarzen")
    assert [s.chat.status for s in (first, second, third)] == ["assigned", "assigned", "queued"]
    mirjam = world.agent("mirjam")
    assert (mirjam.active_chats, mirjam.free_slots) == (2, 0)
    assert mirjam.chat_ids == sorted([first.chat.chat_id, second.chat.chat_id])
    assert mirjam.last_assigned_at == T0


def test_a_category_nobody_serves_goes_to_any_agent() -> None:
    # given agents for dameslaarzen and sneakers only
    world = World(agent("mirjam", "dameslaarzen"), agent("sven", "sneakers"))

    # when a chat about bags, or about nothing in particular, arrives
    bags = world.start("tas", category="tassen")
    anything = world.start("iets")

    # then any available agent takes it rather than letting it wait forever
    for started in (bags, anything):
        assert started.chat.status == "assigned"
        record = world.chats.routing_records(SITE.site_id, started.chat.chat_id)[0]
        assert {c["agent_id"] for c in record.candidates} == {"mirjam", "sven"}
    assert bags.chat.category == "tassen"


def test_a_served_category_waits_for_its_own_agents() -> None:
    # given the only dameslaarzen agent away and a free sneakers agent
    world = World(agent("mirjam", "dameslaarzen", status="away"), agent("sven", "sneakers"))

    # when a dameslaarzen chat arrives, it waits for Mirjam rather than going to Sven
    started = world.start("laars", category="dameslaarzen")
    assert (started.chat.status, started.chat.agent) == ("queued", None)
    assert world.agent("sven").active_chats == 0


def test_the_category_comes_from_the_request_then_the_offer_then_the_cart() -> None:
    world = World(agent("mirjam", "dameslaarzen", "sneakers", max_chats=5))
    world.cart("cart", 89.0, category="sneakers")
    assert world.start("cart").chat.category == "sneakers"
    world.offer("aanbod", category="dameslaarzen")
    world.cart("aanbod", 89.0, category="sneakers")
    assert world.start("aanbod", offer_id="offer-aanbod").chat.category == "dameslaarzen"
    world.cart("gevraagd", 89.0, category="sneakers")
    assert world.start("gevraagd", category="dameslaarzen").chat.category == "dameslaarzen"
    assert world.start("niks").chat.category is None


def test_better_rated_agents_get_more_chats() -> None:
    # given both agents with eight surveyed chats in the category, Mirjam's good, Sven's poor
    world = World(agent("mirjam", "dameslaarzen"), agent("sven", "dameslaarzen"))
    for agent_id, csat in (("mirjam", 5), ("sven", 1)):
        counts: dict[str, float] = {
            "chats": 8,
            "csat_n": 8,
            "csat_good": 8 if csat >= 4 else 0,
            "csat_sum": 8.0 * csat,
        }
        world.chats.perf[(SITE.site_id, "dameslaarzen", agent_id)] = counts

    # when 50 chats arrive while both are free
    got = []
    for n in range(50):
        started = world.start(f"v-{n}", category="dameslaarzen")
        got.append(started.chat.agent_id)
        world.end(started.chat.chat_id)

    # then Mirjam gets nearly all of them
    assert got.count("mirjam") >= 45, got


# ====================================================================== queue
def test_a_chat_waits_when_nobody_can_take_it() -> None:
    # given the only agent away
    world = World(agent("mirjam", "dameslaarzen", status="away"))

    # when two chats arrive
    first = world.start("a", category="dameslaarzen")
    second = world.start("b", category="dameslaarzen")

    # then both are queued, in order, with no estimate (nobody is serving the category)
    assert (first.chat.status, first.queue_position, first.expected_wait_seconds) == ("queued", 1, None)
    assert (second.queue_position, second.expected_wait_seconds) == (2, None)
    assert [e.chat_id for e in world.chats.queue(SITE.site_id)] == [first.chat.chat_id, second.chat.chat_id]
    assert world.chats.routing_stats(SITE.site_id).queued_in("dameslaarzen") == 2
    assert world.outcomes(first.chat.chat_id) == [("queued", None)]
    assert world.agent("mirjam").active_chats == 0


def test_a_full_agent_gives_the_queue_an_expected_wait() -> None:
    # given Mirjam in her one chat, no chat ended yet (handle time assumed 300 s)
    world = World(agent("mirjam", "dameslaarzen", max_chats=1))
    world.start("bezig", category="dameslaarzen")

    # when two more arrive, they wait one and two handle times
    first = world.start("a", category="dameslaarzen")
    second = world.start("b", category="dameslaarzen")
    assert (first.queue_position, first.expected_wait_seconds) == (1, 300)
    assert (second.queue_position, second.expected_wait_seconds) == (2, 600)
    place = world.queue.queue_place(SITE, world.chat(second.chat.chat_id))
    assert place is not None
    assert (place.position, place.expected_wait_seconds) == (2, 600)


def test_the_queue_drains_by_priority_then_age() -> None:
    # given Mirjam away and four visitors asking one second apart, two with carts
    world = World(agent("mirjam", "dameslaarzen", status="away", max_chats=1))
    world.cart("hoog", 500.0)
    world.cart("midden", 100.0)
    order = {}
    for name in ("leeg-oud", "midden", "hoog", "leeg-nieuw"):
        order[name] = world.start(name, category="dameslaarzen").chat.chat_id
        world.clock.advance(seconds=1)

    # then the queue stands by expected value, then age
    expected = ["hoog", "midden", "leeg-oud", "leeg-nieuw"]
    assert [e.chat_id for e in world.chats.queue(SITE.site_id)] == [order[n] for n in expected]
    for position, name in enumerate(expected, start=1):
        place = world.queue.queue_place(SITE, world.chat(order[name]))
        assert place is not None
        assert place.position == position

    # when Mirjam becomes available and ends each chat in turn, she is served them in that order
    served = []
    world.presence.set_status(SITE, "mirjam", "available")
    for _ in expected:
        current = world.agent("mirjam").chat_ids
        assert len(current) == 1
        served.append(current[0])
        world.clock.advance(seconds=30)
        world.end(current[0])
    assert served == [order[n] for n in expected]
    assert world.chats.queue(SITE.site_id) == []
    assert world.chats.routing_stats(SITE.site_id).queued_in("dameslaarzen") == 0
    assert world.chat(order["hoog"]).wait_seconds == pytest.approx(2.0)  # created 2 s before she came
    assert world.chat(order["leeg-nieuw"]).wait_seconds == pytest.approx(91.0)  # 3 chats of 30 s later


def test_ending_a_chat_hands_the_slot_to_the_queue() -> None:
    world = World(agent("mirjam", "dameslaarzen", max_chats=1))
    busy = world.start("bezig", category="dameslaarzen")
    waiting = world.start("wacht", category="dameslaarzen")
    world.clock.advance(seconds=45)

    ended = world.end(busy.chat.chat_id, resolved=True)

    assert (ended.status, ended.resolved, ended.ended_at) == ("ended", True, world.clock.now)
    taken = world.chat(waiting.chat.chat_id)
    assert (taken.status, taken.agent_id, taken.wait_seconds, taken.queue_key) == (
        "assigned", "mirjam", 45.0, None,
    )  # fmt: skip
    assert world.agent("mirjam").chat_ids == [waiting.chat.chat_id]
    assert world.chats.routing_stats(SITE.site_id).mean_handle_seconds == 45.0


def test_ending_a_queued_chat_takes_it_out_of_the_queue() -> None:
    world = World(agent("mirjam", "dameslaarzen", status="away"))
    waiting = world.start("wacht", category="dameslaarzen")
    world.end(waiting.chat.chat_id, resolved=None)
    assert world.chat(waiting.chat.chat_id).status == "ended"
    assert world.chats.queue(SITE.site_id) == []
    assert world.chats.routing_stats(SITE.site_id).queued_in("dameslaarzen") == 0
    with pytest.raises(Conflict):
        world.end(waiting.chat.chat_id)


def test_a_new_chat_in_a_category_with_a_free_agent_is_not_held_up_by_another_categorys_queue() -> None:
    world = World(agent("mirjam", "dameslaarzen", status="away"), agent("sven", "sneakers"))
    waiting = world.start("laars", category="dameslaarzen")
    sneaker = world.start("sneaker", category="sneakers")
    assert (waiting.chat.status, sneaker.chat.status, sneaker.chat.agent_id) == ("queued", "assigned", "sven")


# ====================================================================== agents leaving
def test_an_agent_going_offline_hands_chats_to_a_colleague() -> None:
    # given Mirjam in a chat Sven could take too
    world = World(agent("mirjam", "herenschoenen"), agent("sven", "herenschoenen", status="away"))
    started = world.start("klant", category="herenschoenen")
    assert started.chat.agent_id == "mirjam"
    world.presence.set_status(SITE, "sven", "available")

    # when Mirjam goes offline
    mirjam = world.presence.set_status(SITE, "mirjam", "offline")

    # then the chat is Sven's, and Mirjam holds nothing
    chat = world.chat(started.chat.chat_id)
    assert (chat.status, chat.agent_id, chat.reassignments) == ("assigned", "sven", 1)
    assert (mirjam.status, mirjam.active_chats, mirjam.chat_ids) == ("offline", 0, [])
    assert world.agent("sven").chat_ids == [started.chat.chat_id]
    assert world.outcomes(started.chat.chat_id) == [
        ("assigned", "mirjam"), ("requeued", "mirjam"), ("assigned", "sven"),
    ]  # fmt: skip
    assert world.chats.queue(SITE.site_id) == []


def test_an_agent_going_offline_with_nobody_to_take_over_queues_their_chats() -> None:
    world = World(agent("mirjam", "dameslaarzen"), agent("sven", "sneakers"))
    chats = [world.start(f"v-{n}", category="dameslaarzen").chat.chat_id for n in range(2)]

    world.presence.set_status(SITE, "mirjam", "offline")

    assert [world.chat(c).status for c in chats] == ["queued", "queued"]
    assert {e.chat_id for e in world.chats.queue(SITE.site_id)} == set(chats)
    assert world.agent("sven").active_chats == 0
    # and back online, she has them again
    world.presence.set_status(SITE, "mirjam", "available")
    assert sorted(world.agent("mirjam").chat_ids) == sorted(chats)


def test_going_away_keeps_current_chats_but_takes_no_new_ones() -> None:
    world = World(agent("mirjam", "dameslaarzen"))
    current = world.start("a", category="dameslaarzen")
    world.presence.set_status(SITE, "mirjam", "away")
    assert world.chat(current.chat.chat_id).agent_id == "mirjam"
    assert world.start("b", category="dameslaarzen").chat.status == "queued"


def test_the_sweep_marks_silent_agents_offline_and_moves_their_chats() -> None:
    # given Mirjam in a chat, and both consoles reporting in...
    world = World(agent("mirjam", "herenschoenen"), agent("sven", "herenschoenen", status="away"))
    started = world.start("klant", category="herenschoenen")
    world.presence.set_status(SITE, "sven", "available")

    # ...until Mirjam's goes silent past the heartbeat window while Sven's keeps beating
    world.clock.advance(seconds=100)
    world.presence.heartbeat(SITE, "sven")
    assert world.presence.sweep(SITE) == QUIET
    world.clock.advance(seconds=30)

    # when the sweep runs
    swept = world.presence.sweep(SITE)

    # then Mirjam is offline and her chat is Sven's
    assert swept == {**QUIET, "agents_offline": 1, "chats_requeued": 1, "chats_assigned": 1}
    mirjam = world.agent("mirjam")
    assert (mirjam.status, mirjam.chat_ids, mirjam.status_changed_at) == ("offline", [], world.clock.now)
    assert world.chat(started.chat.chat_id).agent_id == "sven"
    assert world.agent("sven").status == "available"
    # and a second sweep has nothing to do
    assert world.presence.sweep(SITE) == QUIET


def test_the_sweep_drains_a_queue_whose_trigger_was_lost() -> None:
    world = World(agent("mirjam", "dameslaarzen", status="away"))
    waiting = world.start("wacht", category="dameslaarzen")
    # the agent item became available without the service draining (another path, a lost event)
    world.agents.put(world.agent("mirjam").model_copy(update={"status": "available"}))
    assert world.presence.sweep(SITE) == {**QUIET, "chats_assigned": 1}
    assert world.chat(waiting.chat.chat_id).agent_id == "mirjam"


def test_the_sweep_frees_slots_held_for_chats_that_are_gone() -> None:
    # given Mirjam counting a chat that no longer exists (an erased visitor's) and an ended one
    world = World(agent("mirjam", "dameslaarzen"))
    ended = world.start("weg", category="dameslaarzen").chat
    world.chats.end(ended, T0, True, release=False)  # ended without giving the slot back
    held = world.agent("mirjam")
    world.agents.put(
        held.model_copy(update={"active_chats": 2, "chat_ids": sorted([*held.chat_ids, "erased"])})
    )
    assert world.start("vol", category="dameslaarzen").chat.status == "queued"

    # when the sweep runs, both slots come back and the queue is served
    assert world.presence.sweep(SITE) == {**QUIET, "slots_freed": 2, "chats_assigned": 1}
    mirjam = world.agent("mirjam")
    assert (mirjam.active_chats, len(mirjam.chat_ids)) == (1, 1)


def test_a_silent_agent_gets_no_new_chats_before_the_sweep() -> None:
    world = World(agent("mirjam", "herenschoenen"), agent("sven", "herenschoenen"))
    world.clock.advance(seconds=HEARTBEAT + 1)
    world.presence.heartbeat(SITE, "sven")
    for n in range(5):
        started = world.start(f"v-{n}", category="herenschoenen")
        assert started.chat.agent_id == "sven"
        world.end(started.chat.chat_id)


def test_the_sweep_leaves_an_agent_whose_heartbeat_arrives_meanwhile() -> None:
    # given Mirjam in a chat, silent past the window as the sweep lists the agents...
    world = World(agent("mirjam", "herenschoenen"), agent("sven", "herenschoenen", status="away"))
    started = world.start("klant", category="herenschoenen")
    world.presence.set_status(SITE, "sven", "available")
    world.clock.advance(seconds=HEARTBEAT + 10)
    world.presence.heartbeat(SITE, "sven")
    # ...and her console reporting in between the sweep's listing and its conditional update
    real_list = world.agents.list

    def listed_before_the_heartbeat(site_id: str) -> list[AgentProfile]:
        listed = real_list(site_id)
        world.presence.heartbeat(SITE, "mirjam")
        world.agents.list = real_list  # type: ignore[method-assign]
        return listed

    world.agents.list = listed_before_the_heartbeat  # type: ignore[method-assign]

    swept = world.presence.sweep(SITE)

    # then she stays available, and her chat stays hers, untouched
    assert swept == QUIET
    assert world.agent("mirjam").status == "available"
    chat = world.chat(started.chat.chat_id)
    assert (chat.agent_id, chat.reassignments) == ("mirjam", 0)
    assert world.outcomes(chat.chat_id) == [("assigned", "mirjam")]


# ====================================================================== discounts
def test_discounts_stay_within_the_agents_mandate() -> None:
    world = World(agent("mirjam", "dameslaarzen", discount_mandate_percent=15), agent("sven", "sneakers"))
    chat = world.start("anna", category="dameslaarzen").chat

    with pytest.raises(Forbidden):
        world.discounts.discount(SITE, chat, "mirjam", 15.5)
    with pytest.raises(Forbidden):
        world.discounts.discount(SITE, chat, "sven", 5)
    given = world.discounts.discount(SITE, chat, "mirjam", 15)

    assert (given.percent, given.agent_id, given.chat_id, given.visitor_id) == (
        15,
        "mirjam",
        chat.chat_id,
        "anna",
    )
    assert given.code.startswith("KR-")
    assert len(given.code) == 13
    assert set(given.code[3:]) <= set(DISCOUNT_CODE_CHARS)
    assert world.chats.discount(SITE.site_id, given.code) == given
    stored = world.chat(chat.chat_id)
    assert (stored.discount_code, stored.discount_percent) == (given.code, 15)
    with pytest.raises(Conflict):
        world.discounts.discount(SITE, stored, "mirjam", 5)


def test_no_mandate_no_discount() -> None:
    world = World(agent("mirjam", "dameslaarzen", discount_mandate_percent=0))
    chat = world.start("anna", category="dameslaarzen").chat
    with pytest.raises(Forbidden):
        world.discounts.discount(SITE, chat, "mirjam", 1)


def test_discounts_only_during_the_chat() -> None:
    world = World(agent("mirjam", "dameslaarzen", max_chats=1))
    chat = world.start("anna", category="dameslaarzen").chat
    queued = world.start("bram", category="dameslaarzen").chat
    with pytest.raises(Forbidden):  # a queued chat has no agent whose mandate counts
        world.discounts.discount(SITE, queued, "mirjam", 5)
    ended = world.end(chat.chat_id)
    with pytest.raises(Conflict):
        world.discounts.discount(SITE, ended, "mirjam", 5)
    assert world.chats.discounts == {}


# ====================================================================== follow-ups
def test_a_new_chat_within_seven_days_marks_the_earlier_one_a_follow_up() -> None:
    world = World(agent("mirjam", "dameslaarzen", "sneakers", max_chats=5))

    def later(days: float) -> None:
        world.clock.advance(days=days)
        world.presence.heartbeat(SITE, "mirjam")

    first = world.start("anna", "s-1", category="dameslaarzen").chat
    world.end(first.chat_id, resolved=True)
    assert world.chat(first.chat_id).first_contact_resolution is True

    later(3)
    other_topic = world.start("anna", "s-2", category="sneakers").chat
    assert world.chat(first.chat_id).follow_up_chat_id is None  # another category is no follow-up
    again = world.start("anna", "s-3", category="dameslaarzen").chat
    marked = world.chat(first.chat_id)
    assert (marked.follow_up_chat_id, marked.first_contact_resolution) == (again.chat_id, False)

    later(7.5)
    world.end(again.chat_id)
    world.end(other_topic.chat_id)
    late = world.start("anna", "s-4", category="dameslaarzen").chat
    assert world.chat(again.chat_id).follow_up_chat_id is None  # 7.5 days later is past the window
    assert world.chat(first.chat_id).follow_up_chat_id == again.chat_id  # the first mark stays
    assert world.chat(late.chat_id).follow_up_chat_id is None
    assert world.start("bram", category="dameslaarzen").chat.follow_up_chat_id is None
    assert world.chat(late.chat_id).follow_up_chat_id is None  # another visitor's chat is not hers


def test_follow_up_marks_exactly_seven_days_and_not_a_moment_later() -> None:
    world = World(agent("mirjam", "dameslaarzen", max_chats=5))
    first = world.start("anna", "s-1", category="dameslaarzen").chat
    world.end(first.chat_id)
    world.clock.advance(days=7)
    world.presence.heartbeat(SITE, "mirjam")
    on_the_day = world.start("anna", "s-2", category="dameslaarzen").chat
    assert world.chat(first.chat_id).follow_up_chat_id == on_the_day.chat_id
    world.end(on_the_day.chat_id)
    world.clock.advance(days=7, microseconds=1)
    world.presence.heartbeat(SITE, "mirjam")
    world.start("anna", "s-3", category="dameslaarzen")
    assert world.chat(on_the_day.chat_id).follow_up_chat_id is None


# ====================================================================== offers
def test_a_chat_from_an_offer_accepts_it_once() -> None:
    world = World(agent("mirjam", "dameslaarzen"))
    world.offer("anna", category="dameslaarzen", score=0.8)
    world.cart("anna", 329.95)

    started = world.start("anna", offer_id="offer-anna")

    offer = world.offers.offer(SITE.site_id, "offer-anna")
    assert offer is not None
    assert (offer.response, offer.chat_id, offer.responded_at) == ("accepted", started.chat.chat_id, T0)
    assert (started.chat.score, started.chat.cart_value, started.chat.priority) == (0.8, 329.95, 264)
    with pytest.raises(Conflict):
        world.start("anna", "s-2", offer_id="offer-anna")


def test_a_queued_chat_accepts_its_offer_too() -> None:
    world = World(agent("mirjam", "dameslaarzen", status="away"))
    world.offer("anna", category="dameslaarzen")
    started = world.start("anna", offer_id="offer-anna")
    offer = world.offers.offer(SITE.site_id, "offer-anna")
    assert offer is not None
    assert (started.chat.status, offer.chat_id) == ("queued", started.chat.chat_id)


@pytest.mark.parametrize("response", ["rejected", "ignored"])
def test_a_declined_offer_starts_no_chat(response: str) -> None:
    world = World(agent("mirjam", "dameslaarzen"))
    world.offer("anna", response=response)
    with pytest.raises(Conflict):
        world.start("anna", offer_id="offer-anna")
    assert world.chats.held == {}


def test_another_visitors_or_an_unknown_offer_is_not_found() -> None:
    world = World(agent("mirjam", "dameslaarzen"))
    world.offer("anna")
    with pytest.raises(NotFound):
        world.start("bram", offer_id="offer-anna")
    with pytest.raises(NotFound):
        world.start("anna", offer_id="offer-nobody")


# ====================================================================== races
def test_an_agent_filling_up_meanwhile_sends_the_chat_to_the_queue() -> None:
    world = World(agent("mirjam", "dameslaarzen"))

    def another_instance_fills_mirjam(write: str) -> None:
        if write == "create_assigned":
            world.agents.put(world.agent("mirjam").model_copy(update={"active_chats": 2}))
            world.chats.before_write = None

    world.chats.before_write = another_instance_fills_mirjam
    started = world.start("anna", category="dameslaarzen")
    assert (started.chat.status, started.queue_position) == ("queued", 1)


def test_a_chat_that_loses_every_race_for_an_agent_waits_in_the_queue_instead() -> None:
    # given every attempt to give the chat to Mirjam directly losing a race
    world = World(agent("mirjam", "dameslaarzen"))
    attempts = []

    def always_lose(write: str) -> None:
        attempts.append(write)
        if write == "create_assigned":
            raise ConcurrentUpdate("another instance was faster")

    world.chats.before_write = always_lose

    # when the chat starts, the visitor gets no error: it is queued, and the queue's drain serves it
    started = world.start("anna", category="dameslaarzen")

    assert attempts.count("create_assigned") == ASSIGN_ATTEMPTS
    assert (started.chat.status, started.chat.agent_id) == ("assigned", "mirjam")
    assert world.outcomes(started.chat.chat_id) == [("queued", None), ("assigned", "mirjam")]
    assert world.agent("mirjam").chat_ids == [started.chat.chat_id]


def test_a_race_on_a_used_offer_is_a_conflict() -> None:
    world = World(agent("mirjam", "dameslaarzen"))
    world.offer("anna")

    def another_tab_uses_the_offer(write: str) -> None:
        key = (SITE.site_id, "offer-anna")
        world.offers.offers[key] = world.offers.offers[key].model_copy(update={"chat_id": "other-chat"})

    world.chats.before_write = another_tab_uses_the_offer
    with pytest.raises(Conflict):
        world.start("anna", offer_id="offer-anna", category="dameslaarzen")
    assert world.agent("mirjam").active_chats == 0


# ====================================================================== messages and the chat's life
def test_a_transcript_comes_before_the_visitors_message_in_order() -> None:
    world = World(agent("mirjam", "dameslaarzen"))
    transcript = [
        {"author": "bot", "text": "Hoi!", "at": (T0 - timedelta(minutes=2)).isoformat()},
        {"author": "visitor", "text": "Mijn pakket"},
        {"author": "bot", "text": "Uit de toekomst", "at": (T0 + timedelta(hours=1)).isoformat()},
    ]
    started = world.start("anna", transcript=transcript, message="Hallo?")
    messages = world.messaging.messages(started.chat, None)
    assert [(m.author, m.text, m.from_bot) for m in messages] == [
        ("bot", "Hoi!", True), ("visitor", "Mijn pakket", True), ("bot", "Uit de toekomst", True),
        ("visitor", "Hallo?", False),
    ]  # fmt: skip
    assert [m.message_id for m in messages] == ["000001", "000002", "000003", "000004"]
    assert messages[0].at == T0 - timedelta(minutes=2)
    assert messages[2].at == T0  # a bot clock ahead of ours is clamped to now


def test_messages_since_a_cursor_are_only_newer_ones() -> None:
    world = World(agent("mirjam", "dameslaarzen"))
    chat = world.start("anna", category="dameslaarzen").chat
    opening = world.messaging.messages(chat, None)
    world.clock.advance(seconds=1)
    reply = world.messaging.post(chat, "agent", "Goedenavond", "mirjam")
    world.clock.advance(seconds=1)
    answer = world.messaging.post(chat, "visitor", "Dank je")
    assert [m.message_id for m in (*opening, reply, answer)] == ["000001", "000002", "000003"]
    assert world.messaging.messages(chat, int(opening[-1].message_id)) == [reply, answer]
    assert world.messaging.messages(chat, int(reply.message_id)) == [answer]
    assert world.messaging.messages(chat, int(answer.message_id)) == []
    assert world.messaging.messages(chat, T0 + timedelta(milliseconds=500)) == [reply, answer]
    assert world.messaging.messages(chat, T0 + timedelta(seconds=1)) == [answer]  # after, not at
    assert (reply.author, reply.agent_id, answer.agent_id) == ("agent", "mirjam", None)


def test_message_text_limits() -> None:
    world = World(agent("mirjam", "dameslaarzen"))
    chat = world.start("anna", category="dameslaarzen").chat
    assert world.messaging.post(chat, "visitor", "x" * 4000).text == "x" * 4000
    with pytest.raises(PayloadTooLarge):
        world.messaging.post(chat, "visitor", "x" * 4001)
    with pytest.raises(ValidationFailed):
        world.messaging.post(chat, "visitor", " \n ")
    with pytest.raises(PayloadTooLarge):
        world.start("bram", message="x" * 4001)
    with pytest.raises(PayloadTooLarge):
        world.start("bram", transcript=[{"author": "bot", "text": "x" * 4001}])


def test_an_ended_chat_takes_no_messages_and_ends_once() -> None:
    world = World(agent("mirjam", "dameslaarzen"))
    chat = world.start("anna", category="dameslaarzen").chat
    ended = world.end(chat.chat_id)
    with pytest.raises(Conflict):
        world.messaging.post(ended, "visitor", "nog iets")
    with pytest.raises(Conflict):
        world.messaging.post(chat, "visitor", "met de oude stand")  # the store's condition decides
    with pytest.raises(Conflict):
        world.end(chat.chat_id)
    assert world.agent("mirjam").active_chats == 0


def test_ending_with_a_stale_chat_rereads_and_ends_it() -> None:
    # given a chat read while queued, then assigned by a drain elsewhere
    world = World(agent("mirjam", "dameslaarzen", status="away"))
    stale = world.start("anna", category="dameslaarzen").chat
    world.presence.set_status(SITE, "mirjam", "available")
    assert world.chat(stale.chat_id).status == "assigned"

    # when it is ended with the stale copy
    ended = world.ender.end(SITE, stale, resolved=False)

    # then the stored chat ends and Mirjam's slot comes back
    assert (ended.status, world.chat(stale.chat_id).status) == ("ended", "ended")
    assert world.agent("mirjam").chat_ids == []


def test_ending_gives_up_with_throttled_when_the_chat_keeps_changing() -> None:
    world = World(agent("mirjam", "dameslaarzen"))
    chat = world.start("anna", category="dameslaarzen").chat

    def always_moved(write: str) -> None:
        if write == "end":
            raise ConcurrentUpdate("the chat changed")

    world.chats.before_write = always_moved
    with pytest.raises(Throttled):
        world.end(chat.chat_id)
    assert world.chat(chat.chat_id).status == "assigned"


def test_an_end_whose_retried_write_lost_to_its_own_first_write_succeeds() -> None:
    # given the SDK retrying an end whose first write went through (its answer timed out)
    world = World(agent("mirjam", "dameslaarzen", max_chats=1))
    chat = world.start("anna", category="dameslaarzen").chat
    waiting = world.start("bert", category="dameslaarzen").chat

    def first_write_went_through(write: str) -> None:
        if write == "end":
            world.chats.before_write = None
            world.chats.end(world.chat(chat.chat_id), world.clock.now, True, release=True)

    world.chats.before_write = first_write_went_through

    # when the retry loses to it, the visitor's chat ended as asked: no 409, and the queue drains
    ended = world.end(chat.chat_id)
    assert (ended.status, world.chat(chat.chat_id).ended_at) == ("ended", world.clock.now)
    assert world.chat(waiting.chat_id).agent_id == "mirjam"


def test_messages_in_the_same_millisecond_are_never_skipped_by_the_cursor() -> None:
    # given a visitor and an agent writing within the same millisecond (the clock stands still)
    world = World(agent("mirjam", "dameslaarzen"))
    chat = world.start("anna", category="dameslaarzen").chat
    cursor = int(world.messaging.messages(chat, None)[-1].message_id)
    missed = []
    for n in range(20):
        author: Any = "agent" if n % 2 else "visitor"
        posted = world.messaging.post(chat, author, f"bericht {n}", "mirjam" if n % 2 else None)

        # when the other side polls with the cursor of what it has seen
        newer = world.messaging.messages(chat, cursor)

        # then the new message is among the newer ones
        if posted not in newer:
            missed.append(posted.text)
        cursor = int(posted.message_id)
    assert missed == []
    texts = [m.text for m in world.messaging.messages(chat, None)]
    assert texts == ["Hallo", *(f"bericht {n}" for n in range(20))]  # in the order accepted


def test_one_open_chat_per_session() -> None:
    world = World(agent("mirjam", "dameslaarzen", max_chats=5))
    first = world.start("anna", category="dameslaarzen").chat
    with pytest.raises(Conflict):
        world.start("anna", category="sneakers")
    assert world.start("anna", "s-2").chat.status == "assigned"
    world.end(first.chat_id)
    assert world.start("anna").chat.status == "assigned"


def test_an_unknown_chat_is_not_found() -> None:
    world = World(agent("mirjam", "dameslaarzen"))
    with pytest.raises(NotFound):
        world.lookup.chat(SITE, "nope")
    with pytest.raises(NotFound):
        world.presence.set_status(SITE, "nobody", "away")
    with pytest.raises(NotFound):
        world.presence.heartbeat(SITE, "nobody")


# ====================================================================== inbox
def test_the_inbox_shows_each_chats_risk_as_it_started_and_reads_its_chats_at_once() -> None:
    # given a decision on anna's session, her chat (assigned) and bert's (queued, no decision)
    world = World(agent("mirjam", "dameslaarzen", max_chats=1))
    world.decisions.decisions.append(
        Decision(
            site_id=SITE.site_id, visitor_id="anna", session_id="s-1", decision_id="d-1", at=T0,
            day="2026-11-22", reason="not_qualified", abandonment_risk=0.7,
        )
    )  # fmt: skip
    anna = world.start("anna", category="dameslaarzen").chat
    bert = world.start("bert", category="dameslaarzen").chat
    assert (anna.status, bert.status) == ("assigned", "queued")
    # and a queued chat stored before the risk was kept on the chat, its session decided on
    old = world.start("carla", category="dameslaarzen").chat.model_copy(update={"start_scores": None})
    world.chats.held[(SITE.site_id, old.chat_id)] = old
    world.decisions.decisions.append(
        Decision(
            site_id=SITE.site_id, visitor_id="carla", session_id="s-1", decision_id="d-2", at=T0,
            day="2026-11-22", reason="not_qualified", abandonment_risk=0.2,
        )
    )  # fmt: skip
    reads_before = world.decisions.reads
    # when mirjam's inbox is read
    inbox = world.lookup.inbox(SITE, "mirjam")
    # then each chat shows the risk it started with; only the old chat looked its decision up
    assert [(c.chat.chat_id, c.abandonment_risk) for c in inbox.assigned] == [(anna.chat_id, 0.7)]
    assert [(c.chat.chat_id, c.abandonment_risk) for c in inbox.queued] == [
        (bert.chat_id, None),
        (old.chat_id, 0.2),
    ]
    assert world.decisions.reads - reads_before == 1
    assert world.chats.batch_reads == 1
