"""A new chat's placement: the best free agent for it (a slot no waiting chat could take), or the
queue. From an offer, the offer counts as accepted; a chatbot's transcript and the visitor's first
message are the chat's first messages; the session's latest decision's scores go on the chat."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from klantreis.agents.ports import AgentProfile
from klantreis.conversations.messages import check_text
from klantreis.conversations.models import (
    FOLLOW_UP_WINDOW,
    MAX_TRANSCRIPT_MESSAGES,
    NOT_BLANK,
    Chat,
    Message,
    RoutingRecord,
    StartScores,
)
from klantreis.conversations.ports import (
    AgentReader,
    ChatMessages,
    ChatPlacement,
    ChatReader,
    ChatSurveys,
    DecisionReader,
    chat_agent,
)
from klantreis.dispatch.picking import AgentPicker, routing_record
from klantreis.dispatch.queue import QueueDrainer
from klantreis.engagement.records import Offer
from klantreis.errors import ConcurrentUpdate, Conflict, NotFound
from klantreis.journey.events import Id
from klantreis.journey.session import SessionState
from klantreis.observability import logger
from klantreis.routing.wait import queue_priority, queue_sort_key
from klantreis.sites import Site
from klantreis.strict import STRICT_INPUT, IsoTime

Label = Annotated[str, StringConstraints(min_length=1, max_length=60)]
ASSIGN_ATTEMPTS = 4
WAITING_FIRST = "chats waiting in the queue take the free slots first"
"""Why a new chat that an agent could take was queued: a waiting chat could take that slot."""


class SessionReader(Protocol):
    def get(
        self, site_id: str, visitor_id: str, session_id: str, *, consistent: bool = True
    ) -> SessionState | None: ...


class OfferReader(Protocol):
    def offer(self, site_id: str, offer_id: str) -> Offer | None: ...


class Ender(Protocol):
    """klantreis.conversations.ending.ChatEnder."""

    def end(self, site: Site, chat: Chat, resolved: bool | None) -> Chat: ...


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
class StartReads:
    """What a start reads besides the agents: sessions, offers and the session's decisions."""

    sessions: SessionReader
    offers: OfferReader
    decisions: DecisionReader


@dataclass(frozen=True)
class StartWrites:
    """The chat ports a start writes through."""

    placement: ChatPlacement
    messages: ChatMessages
    follow_ups: ChatSurveys


class ChatStarter:
    def __init__(
        self,
        chats: ChatReader,
        writes: StartWrites,
        reads: StartReads,
        agents: AgentReader,
        *,
        queue: QueueDrainer,
        ender: Ender,
        picker: AgentPicker,
        ids: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self._chats = chats
        self._writes = writes
        self._reads = reads
        self._agents = agents
        self._queue = queue
        self._ender = ender
        self._picker = picker
        self._ids = ids

    def start(self, site: Site, ask: NewChat) -> ChatStart:
        check_text(ask.message)
        for entry in ask.transcript:
            check_text(entry.text)
        offer = self._usable_offer(site, ask) if ask.offer_id else None
        now = self._picker.clock()
        earlier = self._chats.chats_of_visitor(site.site_id, ask.visitor_id)
        open_chat = next((c for c in earlier if c.session_id == ask.session_id and c.status != "ended"), None)
        if open_chat is not None:
            raise Conflict(f"this session has an open chat already: {open_chat.chat_id}")
        session = self._reads.sessions.get(site.site_id, ask.visitor_id, ask.session_id, consistent=False)
        decision = self._reads.decisions.latest_decision(site.site_id, ask.visitor_id, ask.session_id)
        category = ask.category or (offer.category if offer else None) or _cart_category(session)
        cart_value = session.cart_value if session else 0.0
        score = offer.score if offer else None
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
            start_scores=StartScores(abandonment_risk=decision.abandonment_risk if decision else None),
            priority=queue_priority(cart_value, score),
        )
        started = self._place_new(site, chat, ask.offer_id)
        try:
            self._writes.messages.add_transcript(started.chat, _opening_messages(ask, now))
        except Exception:
            # The visitor never gets this chat's tokens: end it (freeing its slot), so the
            # visitor's retry starts a chat instead of meeting "an open chat already".
            self._abandon_unstarted(site, started.chat)
            raise
        for previous in earlier:
            if previous.category == category and now - previous.created_at <= FOLLOW_UP_WINDOW:
                self._writes.follow_ups.mark_follow_up(previous, chat.chat_id)
        if started.chat.status == "queued":
            self._queue.drain(site)
            stored = self._chats.chat(site.site_id, chat.chat_id) or started.chat
            place = self._queue.queue_place(site, stored)  # among the entries as they now stand
            if place is None:
                return ChatStart(stored)
            return ChatStart(stored, place.position, place.expected_wait_seconds)
        return started

    def _abandon_unstarted(self, site: Site, chat: Chat) -> None:
        try:
            self._ender.end(site, chat, None)
        except Exception:
            # The store is failing as a whole: the visitor's retry meets the open chat (409)
            # until it answers again; the original error is what the caller must see.
            logger.warning("an unstarted chat could not be ended", extra={"chat_id": chat.chat_id})

    def _usable_offer(self, site: Site, ask: NewChat) -> Offer:
        assert ask.offer_id is not None
        offer = self._reads.offers.offer(site.site_id, ask.offer_id)
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
            now = self._picker.clock()
            agents = self._agents.list(site.site_id)
            claimed = self._queue.claimed(site, agents, now)
            if claimed and not drained:
                drained = True
                self._queue.drain(site)
                now = self._picker.clock()
                agents = self._agents.list(site.site_id)
                claimed = self._queue.claimed(site, agents, now)
            # After ASSIGN_ATTEMPTS lost races the chat waits in the queue: the next free slot
            # drains it, rather than the visitor getting an error.
            candidates = (
                self._picker.candidates(agents, chat.category, chat.skills, now)
                if attempt < ASSIGN_ATTEMPTS
                else []
            )
            free = [a for a in candidates if a.agent_id not in claimed]
            if not free:
                reason = WAITING_FIRST if candidates else _no_candidate_reason(agents)
                return self._enqueue_new(site, chat, agents, now, offer_id, reason=reason)
            choice = self._picker.choose(site, chat.category, free)
            agent = next(a for a in free if a.agent_id == choice.agent_id)
            assigned = chat.model_copy(
                update={
                    "status": "assigned",
                    "agent": chat_agent(agent),
                    "assigned_at": now,
                    "wait_seconds": 0.0,
                }
            )
            record = routing_record(now, "assigned", choice)
            try:
                self._writes.placement.create_assigned(assigned, agent, record, offer_id)
                return ChatStart(assigned)
            except ConcurrentUpdate:
                if (stored := self._chats.chat(site.site_id, chat.chat_id)) is not None:
                    return ChatStart(stored)  # a retried request of ours had gone through
                self._refuse_used_offer(site, offer_id)
                self._picker.pause(attempt + 1)  # the agent filled up meanwhile: look again
        raise AssertionError("unreachable: the last attempt queues")  # pragma: no cover

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
        place = self._queue.place(site, chat, agents, now, ahead=None)
        key = queue_sort_key(chat.priority, int(chat.created_at.timestamp() * 1000), chat.chat_id)
        queued = chat.model_copy(update={"status": "queued", "queue_key": key})
        record = RoutingRecord(
            at=now,
            outcome="queued",
            strategy=self._picker.strategy,
            reason=reason,
            queue_position=place.position,
            expected_wait_seconds=place.expected_wait_seconds,
        )
        try:
            self._writes.placement.create_queued(queued, record, offer_id)
        except ConcurrentUpdate as exc:
            if (stored := self._chats.chat(site.site_id, chat.chat_id)) is not None:
                return ChatStart(stored)  # a retried request of ours had gone through
            self._refuse_used_offer(site, offer_id)
            raise Conflict("the chat changed while it was stored; retry") from exc
        return ChatStart(queued, place.position, place.expected_wait_seconds)

    def _refuse_used_offer(self, site: Site, offer_id: str | None) -> None:
        if offer_id:
            offer = self._reads.offers.offer(site.site_id, offer_id)
            if offer is None or offer.chat_id or offer.response not in (None, "accepted"):
                raise Conflict("this offer was used or declined meanwhile")


def _opening_messages(ask: NewChat, now: datetime) -> list[Message]:
    """The chatbot's transcript (in its own order) and then the visitor's opening message; the
    store numbers them."""
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


def _cart_category(session: SessionState | None) -> str | None:
    if session is None:
        return None
    valued = sorted(
        (line for line in session.cart.values() if line.category),
        key=lambda line: line.quantity * line.unit_value,
        reverse=True,
    )
    return valued[0].category if valued else None


def _no_candidate_reason(agents: Sequence[AgentProfile]) -> str:
    if not agents:
        return "the site has no agents"
    return "no available agent with a free slot for this category"
