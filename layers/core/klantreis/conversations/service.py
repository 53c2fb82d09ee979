"""Chats from start to end: routing to the best free agent or the queue, the queue's draining,
reassignment when an agent leaves, messages, discounts within the agent's mandate.

Domain logic only: storage goes through the ChatStore/AgentStore ports, HTTP through the route
function's handlers.
"""

from __future__ import annotations

import random
import secrets
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from klantreis.agents.ports import (
    DEFAULT_HEARTBEAT_SECONDS,
    AgentProfile,
    AgentStatus,
    AgentStore,
    serving_slots,
)
from klantreis.conversations.dynamo_store import chat_agent
from klantreis.conversations.models import (
    FOLLOW_UP_WINDOW,
    MAX_CHAT_MESSAGES,
    MAX_MESSAGE_CHARS,
    MAX_TRANSCRIPT_MESSAGES,
    NOT_BLANK,
    Author,
    Chat,
    Message,
    RoutingRecord,
    is_blank,
)
from klantreis.conversations.ports import MESSAGE_PAGE, ChatStore, Discount, QueueEntry, message_id
from klantreis.engagement.records import Offer
from klantreis.errors import (
    ConcurrentUpdate,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Throttled,
    ValidationFailed,
)
from klantreis.journey.events import Id
from klantreis.journey.session import SessionState
from klantreis.observability import logger
from klantreis.routing.choice import Candidate, RoutingChoice, Strategy, choose
from klantreis.routing.performance import Performance, team_total
from klantreis.routing.wait import expected_wait_seconds, queue_priority, queue_sort_key
from klantreis.sites import Site
from klantreis.strict import STRICT_INPUT, IsoTime

Label = Annotated[str, StringConstraints(min_length=1, max_length=60)]
ASSIGN_ATTEMPTS = 4
QUEUE_PAGE = 50
DRAIN_LOST_RACES = 6
"""Lost races in a row (no assignment of its own between them) after which a drain leaves the rest
to the next trigger: every lost race is another instance's progress, and the sweep drains anyway."""
RETRY_PAUSE_SECONDS = 0.02
"""The ceiling of the pause before the first retry of a lost race; it doubles with every further
loss (full jitter: the pause is drawn between 0 and the ceiling), so instances fall out of step."""
WAITING_FIRST = "chats waiting in the queue take the free slots first"
"""Why a new chat that an agent could take was queued: a waiting chat could take that slot."""
DISCOUNT_CODE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""No 0/O or 1/I: codes are read aloud and typed."""


class SessionReader(Protocol):
    def get(
        self, site_id: str, visitor_id: str, session_id: str, *, consistent: bool = True
    ) -> SessionState | None: ...


class OfferReader(Protocol):
    def offer(self, site_id: str, offer_id: str) -> Offer | None: ...


class TranscriptEntry(BaseModel):
    """One line of a chatbot conversation handed over to the agent."""

    model_config = ConfigDict(**STRICT_INPUT, extra="forbid")

    author: Literal["bot", "visitor"]
    text: str = Field(min_length=1, pattern=NOT_BLANK)
    at: IsoTime | None = None


class NewChat(BaseModel):
    model_config = STRICT_INPUT

    visitor_id: Id
    session_id: Id
    offer_id: Id | None = None
    category: Label | None = None
    skills: list[Label] = Field(default_factory=list, max_length=10)
    language: Label | None = None
    message: str = Field(min_length=1, pattern=NOT_BLANK)
    transcript: list[TranscriptEntry] = Field(default_factory=list, max_length=MAX_TRANSCRIPT_MESSAGES)


@dataclass(frozen=True)
class ChatStart:
    chat: Chat
    queue_position: int | None = None
    expected_wait_seconds: int | None = None


@dataclass(frozen=True)
class QueuePlace:
    position: int
    expected_wait_seconds: int | None


@dataclass(frozen=True)
class Inbox:
    assigned: list[Chat]
    queued: list[Chat]


def _created(chat: Chat) -> datetime:
    return chat.created_at


class ChatService:
    def __init__(
        self,
        chats: ChatStore,
        agents: AgentStore,
        sessions: SessionReader,
        offers: OfferReader,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        ids: Callable[[], str] = lambda: uuid.uuid4().hex,
        rng: random.Random | None = None,
        heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS,
        strategy: Strategy = "predictive",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._chats = chats
        self._agents = agents
        self._sessions = sessions
        self._offers = offers
        self._clock = clock
        self._ids = ids
        self._rng = rng or random.Random()
        self._heartbeat = heartbeat_seconds
        self._strategy: Strategy = strategy
        self._sleep = sleep

    # ------------------------------------------------------------------ start
    def start(self, site: Site, ask: NewChat) -> ChatStart:
        _check_text(ask.message)
        for entry in ask.transcript:
            _check_text(entry.text)
        offer = self._usable_offer(site, ask) if ask.offer_id else None
        now = self._clock()
        earlier = self._chats.chats_of_visitor(site.site_id, ask.visitor_id)
        open_chat = next((c for c in earlier if c.session_id == ask.session_id and c.status != "ended"), None)
        if open_chat is not None:
            raise Conflict(f"this session has an open chat already: {open_chat.chat_id}")
        session = self._sessions.get(site.site_id, ask.visitor_id, ask.session_id, consistent=False)
        category = ask.category or (offer.category if offer else None) or _cart_category(session)
        cart_value = session.cart_value if session else 0.0
        score = offer.score if offer else None
        priority = queue_priority(cart_value, score)
        chat = Chat(
            site_id=site.site_id,
            chat_id=self._ids(),
            visitor_id=ask.visitor_id,
            session_id=ask.session_id,
            offer_id=ask.offer_id,
            category=category,
            skills=ask.skills,
            language=ask.language,
            status="queued",
            created_at=now,
            day=site.local_day(now),
            hour=now.astimezone(site.zone).hour,
            cart_value=cart_value,
            score=score,
            priority=priority,
        )
        started = self._place_new(site, chat, ask.offer_id)
        try:
            self._chats.add_transcript(started.chat, self._opening_messages(ask, now))
        except Exception:
            # The visitor never gets this chat's tokens: end it (freeing its slot), so the
            # visitor's retry starts a chat instead of meeting "an open chat already".
            self._abandon_unstarted(site, started.chat)
            raise
        for previous in earlier:
            if previous.category == category and now - previous.created_at <= FOLLOW_UP_WINDOW:
                self._chats.mark_follow_up(previous, chat.chat_id)
        if started.chat.status == "queued":
            self.drain(site)
            stored = self._chats.chat(site.site_id, chat.chat_id) or started.chat
            place = self.queue_place(site, stored)  # among the entries as they now stand
            if place is None:
                return ChatStart(stored)
            return ChatStart(stored, place.position, place.expected_wait_seconds)
        return started

    def _abandon_unstarted(self, site: Site, chat: Chat) -> None:
        try:
            self.end(site, chat, None)
        except Exception:
            # The store is failing as a whole: the visitor's retry meets the open chat (409)
            # until it answers again; the original error is what the caller must see.
            logger.warning("an unstarted chat could not be ended", extra={"chat_id": chat.chat_id})

    def _usable_offer(self, site: Site, ask: NewChat) -> Offer:
        assert ask.offer_id is not None
        offer = self._offers.offer(site.site_id, ask.offer_id)
        if offer is None or offer.visitor_id != ask.visitor_id:
            raise NotFound("no such offer")
        if offer.chat_id:
            raise Conflict(f"a chat was started from this offer already: {offer.chat_id}")
        if offer.response not in (None, "accepted"):
            raise Conflict(f"this offer was {offer.response}")
        return offer

    def _place_new(self, site: Site, chat: Chat, offer_id: str | None) -> ChatStart:
        """Gives the new chat a free slot no waiting chat could take, or queues it. Waiting chats
        go first: when one of them could take any free slot, the queue is drained before the new
        chat is looked at again."""
        drained = False
        for attempt in range(ASSIGN_ATTEMPTS + 1):
            now = self._clock()
            agents = self._agents.list(site.site_id)
            claimed = self._claimed(site, agents, now)
            if claimed and not drained:
                drained = True
                self.drain(site)
                now = self._clock()
                agents = self._agents.list(site.site_id)
                claimed = self._claimed(site, agents, now)
            # After ASSIGN_ATTEMPTS lost races the chat waits in the queue: the next free slot
            # drains it, rather than the visitor getting an error.
            candidates = (
                self._candidates(agents, chat.category, chat.skills, now) if attempt < ASSIGN_ATTEMPTS else []
            )
            free = [a for a in candidates if a.agent_id not in claimed]
            if not free:
                reason = WAITING_FIRST if candidates else _no_candidate_reason(agents)
                return self._enqueue_new(site, chat, agents, now, offer_id, reason=reason)
            choice = self._choose(site, chat.category, free)
            agent = next(a for a in free if a.agent_id == choice.agent_id)
            assigned = chat.model_copy(
                update={
                    "status": "assigned",
                    "agent": chat_agent(agent),
                    "assigned_at": now,
                    "wait_seconds": 0.0,
                }
            )
            try:
                self._chats.create_assigned(assigned, agent, _record(now, "assigned", choice), offer_id)
                return ChatStart(assigned)
            except ConcurrentUpdate:
                if (stored := self._chats.chat(site.site_id, chat.chat_id)) is not None:
                    return ChatStart(stored)  # a retried request of ours had gone through
                self._refuse_used_offer(site, offer_id)
                self._pause(attempt + 1)  # the agent filled up meanwhile: look again
        raise AssertionError("unreachable: the last attempt queues")  # pragma: no cover

    def _claimed(self, site: Site, agents: Sequence[AgentProfile], now: datetime) -> set[str]:
        """The agents with a free slot that a waiting chat could take: those slots are the
        queue's, not a new chat's. The queue is read only while some free agent is unclaimed."""
        free = [a for a in agents if a.can_take(None, now, self._heartbeat)]
        claimed: set[str] = set()
        if free:
            for entry in self._waiting(site):
                claimed.update(a.agent_id for a in free if self._takes(a, entry, agents, now))
                if len(claimed) == len(free):
                    break
        return claimed

    def _enqueue_new(
        self,
        site: Site,
        chat: Chat,
        agents: Sequence[AgentProfile],
        now: datetime,
        offer_id: str | None,
        *,
        reason: str,
    ) -> ChatStart:
        place = self._queue_place(site, chat, agents, now, ahead=None)
        key = queue_sort_key(chat.priority, int(chat.created_at.timestamp() * 1000), chat.chat_id)
        queued = chat.model_copy(update={"status": "queued", "queue_key": key})
        record = RoutingRecord(
            at=now,
            outcome="queued",
            strategy=self._strategy,
            reason=reason,
            queue_position=place.position,
            expected_wait_seconds=place.expected_wait_seconds,
        )
        try:
            self._chats.create_queued(queued, record, offer_id)
        except ConcurrentUpdate as exc:
            if (stored := self._chats.chat(site.site_id, chat.chat_id)) is not None:
                return ChatStart(stored)  # a retried request of ours had gone through
            self._refuse_used_offer(site, offer_id)
            raise Conflict("the chat changed while it was stored; retry") from exc
        return ChatStart(queued, place.position, place.expected_wait_seconds)

    def _refuse_used_offer(self, site: Site, offer_id: str | None) -> None:
        if offer_id:
            offer = self._offers.offer(site.site_id, offer_id)
            if offer is None or offer.chat_id or offer.response not in (None, "accepted"):
                raise Conflict("this offer was used or declined meanwhile")

    def _opening_messages(self, ask: NewChat, now: datetime) -> list[Message]:
        """The chatbot's transcript (in its own order) and then the visitor's opening message;
        the store numbers them."""
        messages = [
            Message(
                message_id="",
                author=entry.author,
                text=entry.text,
                at=min(entry.at, now) if entry.at is not None else now,
                from_bot=True,
            )
            for entry in ask.transcript
        ]
        messages.append(Message(message_id="", author="visitor", text=ask.message, at=now))
        return messages

    # ------------------------------------------------------------------ choice
    def _candidates(
        self, agents: Sequence[AgentProfile], category: str | None, skills: Sequence[str], now: datetime
    ) -> list[AgentProfile]:
        wanted, known_skills = _routable(agents, category, skills)
        return [a for a in agents if a.can_take(wanted, now, self._heartbeat, known_skills)]

    def _choose(self, site: Site, category: str | None, candidates: Sequence[AgentProfile]) -> RoutingChoice:
        performance = self._chats.performance(site.site_id, category)
        team = team_total(performance.values())
        return choose(
            [
                Candidate(
                    agent_id=a.agent_id,
                    idle_since=a.idle_since,
                    free_slots=a.free_slots,
                    performance=performance.get(a.agent_id, Performance()),
                )
                for a in candidates
            ],
            team,
            strategy=self._strategy,
            rng=self._rng,
        )

    # ------------------------------------------------------------------ queue
    def drain(self, site: Site) -> int:
        """Gives free slots to queued chats, best first (priority, then age), until no slot is
        free or no waiting chat fits one; how many were assigned. A lost race (another instance
        took the chat or the slot first) or a busy table is retried on fresh reads after a
        jittered pause, at most DRAIN_LOST_RACES times in a row; then the drain leaves the rest
        to the next one rather than failing the request whose change it follows."""
        assigned = lost = 0
        while True:
            now = self._clock()
            agents = self._agents.list(site.site_id)
            if not any(a.can_take(None, now, self._heartbeat) for a in agents):
                return assigned
            gained, raced = self._drain_pass(site, agents, now)
            assigned += gained
            if not raced:
                return assigned
            lost = 1 if gained else lost + 1
            if lost > DRAIN_LOST_RACES:
                return assigned
            self._pause(lost)

    def _drain_pass(self, site: Site, agents: list[AgentProfile], now: datetime) -> tuple[int, bool]:
        """One walk down the queue with the agents as read: (chats assigned, whether a race was
        lost, after which the caller reads again)."""
        assigned = 0
        try:
            for entry in self._waiting(site):
                candidates = self._candidates(agents, entry.category, entry.skills, now)
                if not candidates:
                    continue
                chat = self._chats.chat(site.site_id, entry.chat_id)
                if chat is None or chat.status != "queued" or chat.queue_key != entry.queue_key:
                    continue  # taken or ended since the queue was read
                choice = self._choose(site, chat.category, candidates)
                agent = next(a for a in candidates if a.agent_id == choice.agent_id)
                self._chats.assign_queued(chat, entry.queue_key, agent, _record(now, "assigned", choice))
                assigned += 1
                agents[:] = [
                    a.model_copy(update={"active_chats": a.active_chats + 1, "last_assigned_at": now})
                    if a.agent_id == agent.agent_id
                    else a
                    for a in agents
                ]
                if not any(a.can_take(None, now, self._heartbeat) for a in agents):
                    break
        except (ConcurrentUpdate, Throttled):
            # Another instance moved first, or the table was busy or slow to answer (a write
            # that timed out may still land: the fresh reads of the retry will show it).
            return assigned, True
        return assigned, False

    def _waiting(self, site: Site) -> Iterator[QueueEntry]:
        """The site's queue in service order, read a page at a time as far as the caller goes."""
        after: str | None = None
        while True:
            page = self._chats.queue(site.site_id, QUEUE_PAGE, after=after)
            yield from page
            if len(page) < QUEUE_PAGE:
                return
            after = page[-1].queue_key

    def _takes(
        self, agent: AgentProfile, entry: QueueEntry, agents: Sequence[AgentProfile], now: datetime
    ) -> bool:
        """Whether routing could give the waiting chat of `entry` to `agent` now."""
        wanted, skills = _routable(agents, entry.category, entry.skills)
        return agent.can_take(wanted, now, self._heartbeat, skills)

    def _pause(self, losses: int) -> None:
        ceiling = RETRY_PAUSE_SECONDS * 2 ** min(losses - 1, 5)
        self._sleep(self._rng.uniform(0, ceiling))

    def queue_place(self, site: Site, chat: Chat) -> QueuePlace | None:
        """Where a queued chat stands, and how long it may still wait."""
        if chat.status != "queued" or chat.queue_key is None:
            return None
        now = self._clock()
        entries = self._chats.queue(site.site_id, 500)
        return self._queue_place(site, chat, self._agents.list(site.site_id), now, ahead=entries)

    def _queue_place(
        self,
        site: Site,
        chat: Chat,
        agents: Sequence[AgentProfile],
        now: datetime,
        ahead: Sequence[QueueEntry] | None,
    ) -> QueuePlace:
        stats = self._chats.routing_stats(site.site_id)
        if ahead is None:
            position = stats.queued_in(chat.category) + 1
        else:
            key = chat.queue_key or "\uffff"
            position = 1 + sum(1 for e in ahead if e.queue_key < key and e.category == chat.category)
        wanted, skills = _routable(agents, chat.category, chat.skills)
        serving = serving_slots(agents, wanted, now, self._heartbeat, skills)
        return QueuePlace(position, expected_wait_seconds(position, serving, stats.mean_handle_seconds))

    # ------------------------------------------------------------------ agents
    def set_status(self, site: Site, agent_id: str, status: AgentStatus) -> AgentProfile:
        agent = self._agents.set_status(site.site_id, agent_id, status, self._clock())
        if status == "offline":
            self._requeue_chats_of(site, agent, "the agent went offline")
        if status in ("available", "offline"):
            self.drain(site)
        return self._agents.get(site.site_id, agent_id) or agent

    def heartbeat(self, site: Site, agent_id: str) -> AgentProfile:
        return self._agents.heartbeat(site.site_id, agent_id, self._clock())

    def sweep(self, site: Site) -> dict[str, int]:
        """The scheduled check: agents silent past the heartbeat window go offline and their chats
        back to the queue; slots held for chats that are gone (an erased visitor's) are freed;
        then the queue is drained."""
        now = self._clock()
        silent_before = datetime.fromtimestamp(now.timestamp() - self._heartbeat, UTC)
        offline = requeued = freed = 0
        for agent in self._agents.list(site.site_id):
            freed += self._free_stale_slots(site, agent)
            if agent.is_present(now, self._heartbeat):
                continue
            went_offline = agent.status != "offline" and self._agents.mark_offline_if_silent(
                site.site_id, agent.agent_id, silent_before, now
            )
            offline += int(went_offline)
            # A heartbeat that arrived since the listing keeps the agent's chats with her.
            if agent.chat_ids and (went_offline or agent.status == "offline"):
                requeued += self._requeue_chats_of(site, agent, "the agent's console went silent")
        assigned = self.drain(site)
        return {
            "agents_offline": offline,
            "chats_requeued": requeued,
            "slots_freed": freed,
            "chats_assigned": assigned,
        }

    def _free_stale_slots(self, site: Site, agent: AgentProfile) -> int:
        freed = 0
        for chat_id in agent.chat_ids:
            chat = self._chats.chat(site.site_id, chat_id)
            if chat is None or chat.status != "assigned" or chat.agent_id != agent.agent_id:
                freed += int(self._chats.release(site.site_id, agent.agent_id, chat_id))
        return freed

    def _requeue_chats_of(self, site: Site, agent: AgentProfile, reason: str) -> int:
        moved = 0
        for chat_id in agent.chat_ids:
            chat = self._chats.chat(site.site_id, chat_id)
            if chat is None or chat.status != "assigned" or chat.agent_id != agent.agent_id:
                continue
            key = queue_sort_key(chat.priority, int(chat.created_at.timestamp() * 1000), chat.chat_id)
            record = RoutingRecord(at=self._clock(), outcome="requeued", agent_id=agent.agent_id,
                                   strategy=self._strategy, reason=reason)  # fmt: skip
            try:
                self._chats.requeue(chat, key, record)
                moved += 1
            except ConcurrentUpdate:
                continue  # ended or moved meanwhile
        return moved

    # ------------------------------------------------------------------ chat life
    def chat(self, site: Site, chat_id: str) -> Chat:
        chat = self._chats.chat(site.site_id, chat_id)
        if chat is None:
            raise NotFound("no such chat")
        return chat

    def inbox(self, site: Site, agent_id: str) -> Inbox:
        """The agent's open chats (oldest first) and the queued chats the agent could serve, in
        queue order. Raises NotFound for an agent the site does not have."""
        agent = self._agents.get(site.site_id, agent_id)
        if agent is None:
            raise NotFound("no such agent")
        assigned = [self._chats.chat(site.site_id, chat_id) for chat_id in agent.chat_ids]
        servable = [e for e in self._chats.queue(site.site_id) if agent.serves(e.category, e.skills)]
        queued = [self._chats.chat(site.site_id, e.chat_id) for e in servable]
        return Inbox(
            assigned=sorted((c for c in assigned if c is not None and c.status == "assigned"), key=_created),
            # A chat taken or ended since the queue was read is left out, not shown twice.
            queued=[c for c in queued if c is not None and c.status == "queued"],
        )

    def post(self, chat: Chat, author: Author, text: str, agent_id: str | None = None) -> Message:
        _check_text(text)
        if chat.status == "ended":
            raise Conflict("this chat has ended")
        now = self._clock()
        message = Message(message_id="", author=author, agent_id=agent_id, text=text, at=now)
        return self._chats.add_message(chat, message)

    def messages(self, chat: Chat, since: int | datetime | None) -> list[Message]:
        """Messages after message number `since`, or written after the time `since`; at most a
        page (200) at a time, oldest first."""
        if isinstance(since, datetime):
            every = self._chats.messages(chat.site_id, chat.chat_id, None, limit=MAX_CHAT_MESSAGES)
            return [m for m in every if m.at > since][:MESSAGE_PAGE]
        return self._chats.messages(
            chat.site_id, chat.chat_id, message_id(since) if since is not None else None
        )

    def end(self, site: Site, chat: Chat, resolved: bool | None) -> Chat:
        for _ in range(ASSIGN_ATTEMPTS):
            if chat.status == "ended":
                raise Conflict("this chat has ended already")
            release = False
            if chat.agent is not None:
                agent = self._agents.get(site.site_id, chat.agent.agent_id)
                release = agent is not None and chat.chat_id in agent.chat_ids
            now = self._clock()
            try:
                self._chats.end(chat, now, resolved, release)
            except ConcurrentUpdate:
                chat = self.chat(site, chat.chat_id)
                if chat.status != "ended" or chat.ended_at != now:
                    continue
                # Ended at our own moment: an SDK retry of our write that went through (its
                # answer timed out) lost to that write, and the chat ended as asked.
            self.drain(site)
            return chat.model_copy(update={"status": "ended", "ended_at": now, "resolved": resolved})
        raise Throttled("the chat changed while it was being ended; retry shortly")

    def discount(self, site: Site, chat: Chat, agent_id: str, percent: float) -> Discount:
        if chat.agent_id != agent_id:
            raise Forbidden("only the chat's agent can give a discount")
        if chat.status != "assigned":
            raise Conflict("discounts are given during the chat")
        agent = self._agents.get(site.site_id, agent_id)
        if agent is None:
            raise Forbidden("no such agent")
        if percent > agent.discount_mandate_percent:
            raise Forbidden(f"{percent:g}% is above your mandate of {agent.discount_mandate_percent:g}%")
        code = "KR-" + "".join(secrets.choice(DISCOUNT_CODE_CHARS) for _ in range(10))
        discount = Discount(
            site_id=site.site_id,
            code=code,
            chat_id=chat.chat_id,
            agent_id=agent_id,
            percent=percent,
            visitor_id=chat.visitor_id,
            created_at=self._clock(),
        )
        self._chats.add_discount(chat, discount)
        return discount


def _routable(
    agents: Sequence[AgentProfile], category: str | None, skills: Sequence[str]
) -> tuple[str | None, list[str]]:
    """The category and skills a chat is routed by: one no agent lists at all is dropped rather
    than leaving the chat waiting forever."""
    wanted = category if any(category in a.categories for a in agents) else None
    return wanted, [skill for skill in skills if any(skill in a.skills for a in agents)]


def _check_text(text: str) -> None:
    if len(text) > MAX_MESSAGE_CHARS:
        raise PayloadTooLarge(f"a message holds at most {MAX_MESSAGE_CHARS} characters")
    if is_blank(text):
        raise ValidationFailed("a message needs some text")


def _cart_category(session: SessionState | None) -> str | None:
    if session is None:
        return None
    valued = sorted(
        (line for line in session.cart.values() if line.category),
        key=lambda line: line.quantity * line.unit_value,
        reverse=True,
    )
    return valued[0].category if valued else None


def _record(
    now: datetime, outcome: Literal["assigned", "queued", "requeued"], choice: RoutingChoice
) -> RoutingRecord:
    return RoutingRecord(
        at=now,
        outcome=outcome,
        agent_id=choice.agent_id,
        strategy=choice.strategy,
        reason=choice.reason,
        candidates=[
            {
                "agent_id": s.agent_id,
                "score": round(s.score, 4),
                "expected_satisfaction": round(s.expected_satisfaction, 4),
                "expected_conversion": round(s.expected_conversion, 4),
                "evidence": s.evidence,
            }
            for s in choice.scores
        ],
    )


def _no_candidate_reason(agents: Sequence[AgentProfile]) -> str:
    if not agents:
        return "the site has no agents"
    return "no available agent with a free slot for this category"
