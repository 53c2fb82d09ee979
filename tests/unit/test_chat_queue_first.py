"""Waiting chats first: a free slot goes to the head of the queue (priority, then age) before any
new arrival; a new chat takes a slot directly only when no waiting chat could take it; drains go
on until no slot or no fitting chat is left, past the first page of the queue and past lost races.
The chat services on the in-memory fakes of tests/fakes/."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from klantreis.agents.ports import AgentProfile, AgentStatus
from klantreis.conversations.dynamo_store import DynamoChatReader, DynamoQueueReader
from klantreis.conversations.ports import QueueEntry
from klantreis.dispatch.picking import RETRY_PAUSE_SECONDS
from klantreis.dispatch.placement import WAITING_FIRST
from klantreis.dispatch.queue import DRAIN_LOST_RACES, QUEUE_PAGE
from klantreis.errors import ConcurrentUpdate, Throttled
from tests.unit.test_chat_service import HEARTBEAT, SITE, World, agent

CATEGORIES = ("dameslaarzen", "herenschoenen", "sneakers", None)


def silent(world: World, agent_id: str) -> None:
    """The agent's console stops reporting in: past the heartbeat window, not yet swept."""
    quiet_since = world.clock.now - timedelta(seconds=HEARTBEAT + 1)
    world.agents.put(world.agent(agent_id).model_copy(update={"last_seen_at": quiet_since}))


def waiting(world: World) -> list[QueueEntry]:
    return world.chats.queue(SITE.site_id, 100_000)


# ====================================================================== examples
def test_a_slot_that_freed_without_a_drain_goes_to_the_waiting_chat_not_the_new_arrival() -> None:
    # given Mirjam's console silent while a chat comes in, so it waits
    world = World(agent("mirjam", "dameslaarzen", max_chats=1))
    silent(world, "mirjam")
    early = world.start("vroeg", category="dameslaarzen").chat.chat_id
    world.clock.advance(seconds=10)
    # and her console back (a heartbeat frees her slot but triggers no drain)
    world.presence.heartbeat(SITE, "mirjam")

    # when a more valuable chat arrives
    world.cart("rijk", 900.0)
    late = world.start("rijk", category="dameslaarzen")

    # then the slot went to the chat that was waiting, and the new one waits
    assert (world.chat(early).status, world.chat(early).agent_id) == ("assigned", "mirjam")
    assert world.chat(early).wait_seconds == 10.0
    assert (late.chat.status, late.queue_position) == ("queued", 1)
    assert world.outcomes(late.chat.chat_id) == [("queued", None)]


def test_a_waiting_chat_that_cannot_take_the_free_slot_does_not_hold_up_a_new_arrival() -> None:
    # given a dameslaarzen chat and one needing English waiting for agents who are away, and
    # Sven free, who serves neither (he has no dameslaarzen, and no English)
    world = World(
        agent("mirjam", "dameslaarzen", status="away"),
        agent("anne", "sneakers", skills=["engels"], status="away"),
        agent("sven", "sneakers", "herenschoenen"),
    )
    laars = world.start("laars", category="dameslaarzen").chat.chat_id
    engels = world.start("engels", category="sneakers", skills=["engels"]).chat.chat_id

    # when sneakers and herenschoenen chats arrive
    sneaker = world.start("sneaker", category="sneakers")
    heren = world.start("heren", category="herenschoenen")

    # then Sven takes them directly, and the waiting chats go on waiting for their own agents
    assert [(s.chat.status, s.chat.agent_id) for s in (sneaker, heren)] == [("assigned", "sven")] * 2
    assert world.outcomes(sneaker.chat.chat_id) == [("assigned", "sven")]
    assert [e.chat_id for e in waiting(world)] == [laars, engels]


def test_an_agent_serving_both_takes_the_waiting_chat_first_and_the_arrival_goes_to_a_colleague() -> None:
    # given Mirjam (dameslaarzen and sneakers) silent while a dameslaarzen chat waits
    world = World(agent("mirjam", "dameslaarzen", "sneakers", max_chats=1), agent("sven", "sneakers"))
    silent(world, "mirjam")
    laars = world.start("laars", category="dameslaarzen").chat.chat_id
    world.presence.heartbeat(SITE, "mirjam")

    # when a sneakers chat arrives that either could take
    sneaker = world.start("sneaker", category="sneakers")

    # then Mirjam's slot goes to the waiting chat and Sven takes the arrival
    assert world.chat(laars).agent_id == "mirjam"
    assert (sneaker.chat.status, sneaker.chat.agent_id) == ("assigned", "sven")


def test_an_arrival_that_only_claimed_slots_could_take_waits_with_the_reason() -> None:
    # given Mirjam free but every attempt to give her the waiting chat losing a race
    world = World(agent("mirjam", "dameslaarzen", max_chats=1))
    silent(world, "mirjam")
    world.start("vroeg", category="dameslaarzen")
    world.presence.heartbeat(SITE, "mirjam")

    def drains_always_lose(write: str) -> None:
        if write == "assign_queued":
            raise ConcurrentUpdate("another instance was faster")

    world.chats.before_write = drains_always_lose

    # when a new chat arrives, it does not take the slot the waiting chat could take
    late = world.start("laat", category="dameslaarzen")

    assert late.chat.status == "queued"
    assert world.chats.routing_records(SITE.site_id, late.chat.chat_id)[0].reason == WAITING_FIRST
    assert world.agent("mirjam").active_chats == 0


def test_a_drain_reads_the_queue_past_its_first_page() -> None:
    # given a page and more of dameslaarzen chats waiting for a busy Mirjam, and behind them a
    # sneakers chat waiting for Sven, who is away
    world = World(agent("mirjam", "dameslaarzen", max_chats=1), agent("sven", "sneakers", status="away"))
    for n in range(QUEUE_PAGE + 11):
        world.start(f"laars-{n}", category="dameslaarzen")
        world.clock.advance(seconds=1)
    sneaker = world.start("sneaker", category="sneakers").chat.chat_id
    assert waiting(world)[-1].chat_id == sneaker

    # when Sven becomes available, the drain finds the sneakers chat past the first page
    world.presence.set_status(SITE, "sven", "available")

    assert world.chat(sneaker).agent_id == "sven"
    assert len(waiting(world)) == QUEUE_PAGE + 10


def test_a_drain_retries_lost_races_after_jittered_pauses() -> None:
    # given three chats waiting for Mirjam (three slots), and the drain's first two writes lost
    world = World(agent("mirjam", "dameslaarzen", max_chats=3, status="away"))
    chats = []
    for name in ("a", "b", "c"):
        chats.append(world.start(name, category="dameslaarzen").chat.chat_id)
        world.clock.advance(seconds=1)
    losses = iter([True, True])

    def two_lost_races(write: str) -> None:
        if write == "assign_queued" and next(losses, False):
            raise ConcurrentUpdate("another instance was faster")

    world.chats.before_write = two_lost_races

    # when she becomes available
    world.presence.set_status(SITE, "mirjam", "available")

    # then all three are hers after two pauses, each within its doubling ceiling
    assert sorted(world.agent("mirjam").chat_ids) == sorted(chats)
    assert len(world.pauses) == 2
    assert all(0 <= p <= RETRY_PAUSE_SECONDS * 2**n for n, p in enumerate(world.pauses))


def test_a_drain_that_keeps_losing_gives_up_after_a_bound_and_a_later_drain_serves_the_queue() -> None:
    # given every queued assignment losing its race
    world = World(agent("mirjam", "dameslaarzen", status="away"))
    chat = world.start("a", category="dameslaarzen").chat.chat_id
    tries = Counter[str]()

    def always_lose(write: str) -> None:
        tries[write] += 1
        if write == "assign_queued":
            raise ConcurrentUpdate("another instance was faster")

    world.chats.before_write = always_lose

    # when Mirjam becomes available, the request still succeeds after a bounded number of tries
    world.presence.set_status(SITE, "mirjam", "available")
    assert tries["assign_queued"] == DRAIN_LOST_RACES + 1
    assert len(world.pauses) == DRAIN_LOST_RACES
    assert world.chat(chat).status == "queued"

    # and the next drain (here the sweep's) serves the chat
    world.chats.before_write = None
    assert world.presence.sweep(SITE)["chats_assigned"] == 1
    assert world.chat(chat).agent_id == "mirjam"


def test_a_busy_table_during_a_drain_is_retried_and_never_fails_the_change_it_follows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a chat waiting for Mirjam, and every queued assignment meeting a busy table
    world = World(agent("mirjam", "dameslaarzen", status="away"))
    chat = world.start("a", category="dameslaarzen").chat.chat_id

    def busy(write: str) -> None:
        if write == "assign_queued":
            raise Throttled("the database did not answer in time; retry shortly")

    world.chats.before_write = busy

    # when she becomes available, her status change succeeds; the chat waits for the next drain
    assert world.presence.set_status(SITE, "mirjam", "available").status == "available"
    assert world.chat(chat).status == "queued"
    assert len(world.pauses) == DRAIN_LOST_RACES

    # and when the queue read itself meets a busy table once, the drain reads again and serves it
    world.chats.before_write = None
    reads = iter([True])
    real_queue = world.chats.queue

    def queue_busy_once(site_id: str, limit: int = 50, after: str | None = None) -> list[QueueEntry]:
        if next(reads, False):
            raise Throttled("the database is busy; retry shortly")
        return real_queue(site_id, limit, after)

    monkeypatch.setattr(world.chats, "queue", queue_busy_once)
    assert world.queue.drain(SITE) == 1
    assert world.chat(chat).agent_id == "mirjam"


def test_the_chat_store_turns_a_database_that_does_not_answer_into_throttled() -> None:
    """Every call of the adapter goes through one translation: a read that timed out and one
    that found nobody listening (after botocore's own retries) are transient, not a crash."""

    class Unanswering:
        def query(self, **_: Any) -> Any:
            raise ReadTimeoutError(endpoint_url="http://127.0.0.1:1/")

        def get_item(self, **_: Any) -> Any:
            raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1/")

    with pytest.raises(Throttled):
        DynamoQueueReader(Unanswering(), "table").queue(SITE.site_id)
    with pytest.raises(Throttled):
        DynamoChatReader(Unanswering(), "table").chat(SITE.site_id, "chat-001")


# ====================================================================== property
def _no_overtaking(
    world: World, before: list[QueueEntry], agents: dict[str, AgentProfile], arrival: str | None
) -> int:
    """No chat (queued or new) took a slot while a chat ahead of it that the same agent could
    have taken still waits; the new arrival counts as behind every waiting chat. Returns how many
    waiting chats were served."""
    still = {e.chat_id for e in waiting(world)}
    order = [e.chat_id for e in before] + ([arrival] if arrival else [])
    entries = {e.chat_id: e for e in before}
    served = 0
    for place, chat_id in enumerate(order):
        chat = world.chats.held[(SITE.site_id, chat_id)]  # read in place: copies would be slow
        if chat.status != "assigned" or (chat_id in entries and chat_id in still):
            continue
        if chat_id in entries:
            served += 1
        taker = agents[chat.agent_id or ""]
        for ahead in order[:place]:
            if ahead in still:
                entry = entries[ahead]
                assert not taker.serves(entry.category, entry.skills), (chat_id, ahead, taker.agent_id)
    return served


def _nothing_waits_for_a_free_slot(world: World) -> None:
    now = world.clock.now
    agents = world.agents.list(SITE.site_id)
    for entry in waiting(world):
        fits = [a.agent_id for a in agents if a.can_take(entry.category, now, HEARTBEAT, entry.skills)]
        assert not fits, (entry, fits)


def test_arrivals_never_overtake_a_waiting_chat_that_could_take_the_slot() -> None:
    """600 seeded random steps: arrivals (with and without carts, categories, a skill), ends,
    ends whose drain never ran (the instance failed right after), consoles going silent and
    coming back, status changes, sweeps. After every step no chat was served before a waiting
    chat ahead of it that its agent could take; after every step that drains, no waiting chat
    fits a free slot."""
    rng = random.Random(20261204)
    world = World(
        agent("mirjam", "dameslaarzen", "herenschoenen", max_chats=2),
        agent("sven", "herenschoenen", "sneakers", max_chats=1),
        agent("joost", "sneakers", skills=["engels"], max_chats=2),
        seed=11,
    )
    agent_ids = ("mirjam", "sven", "joost")
    steps = ("arrive", "end", "end_undrained", "silence", "heartbeat", "status", "sweep")
    seen: Counter[str] = Counter()
    for step in range(600):
        world.clock.advance(seconds=rng.uniform(0, 15))
        before = waiting(world)
        agents = {a.agent_id: a for a in world.agents.list(SITE.site_id)}
        kind = rng.choices(steps, weights=(10, 7, 3, 1, 3, 2, 1))[0]
        open_chats = [c for c in world.chats.held.values() if c.status != "ended"]
        assigned = [c for c in open_chats if c.status == "assigned"]
        arrival = None
        if kind == "arrive":
            visitor = f"v-{step}"
            category = rng.choice(CATEGORIES)
            if rng.random() < 0.5:
                world.cart(visitor, rng.choice((20.0, 80.0, 300.0)), category=category or "sneakers")
            fields: dict[str, Any] = {"category": category} if category else {}
            if rng.random() < 0.2:
                fields["skills"] = ["engels"]
            arrival = world.start(visitor, **fields).chat.chat_id
            placed = world.chats.held[(SITE.site_id, arrival)].status == "assigned"
            seen["direct past a waiting chat" if placed and before else "arrival"] += 1
        elif kind == "end" and open_chats:
            world.end(rng.choice(open_chats).chat_id)
        elif kind == "end_undrained" and assigned:
            chat = rng.choice(assigned)
            world.chats.end(chat, world.clock.now, True, release=True)
        elif kind == "silence":
            silent(world, rng.choice(agent_ids))
        elif kind == "heartbeat":
            world.presence.heartbeat(SITE, rng.choice(agent_ids))
        elif kind == "status":
            status: AgentStatus = rng.choice(("available", "away", "offline"))
            world.presence.set_status(SITE, rng.choice(agent_ids), status)
            kind = "away" if status == "away" else kind  # going away drains nothing: no slot freed
        elif kind == "sweep":
            world.presence.sweep(SITE)
        served = _no_overtaking(world, before, agents, arrival)
        if arrival and served:
            seen["arrival drained the queue first"] += 1
        if kind in ("arrive", "end", "status", "sweep"):
            _nothing_waits_for_a_free_slot(world)
    # and the run met the cases that matter, more than once
    assert seen["direct past a waiting chat"] >= 5, seen
    assert seen["arrival drained the queue first"] >= 5, seen
