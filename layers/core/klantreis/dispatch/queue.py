"""The queue: free slots go to waiting chats, best first (priority, then age), and a queued visitor
is told where they stand and how long they may still wait."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from klantreis.agents.ports import AgentProfile, serving_slots
from klantreis.conversations.models import Chat
from klantreis.conversations.ports import AgentReader, ChatPlacement, ChatReader, QueueEntry
from klantreis.dispatch.picking import AgentPicker, routable, routing_record
from klantreis.errors import ConcurrentUpdate, Throttled
from klantreis.routing.wait import expected_wait_seconds
from klantreis.sites import Site

QUEUE_PAGE = 50
PLACE_LOOKS_AT = 500
"""How far down the queue a queued chat's position is counted."""
DRAIN_LOST_RACES = 6
"""Lost races in a row (no assignment of its own between them) after which a drain leaves the rest
to the next trigger: every lost race is another instance's progress, and the sweep drains anyway."""


@dataclass(frozen=True)
class QueuePlace:
    position: int
    expected_wait_seconds: int | None


class QueueDrainer:
    def __init__(
        self, chats: ChatReader, placement: ChatPlacement, agents: AgentReader, picker: AgentPicker
    ) -> None:
        self._chats = chats
        self._placement = placement
        self._agents = agents
        self._picker = picker

    def drain(self, site: Site) -> int:
        """Gives free slots to queued chats, best first (priority, then age), until no slot is
        free or no waiting chat fits one; how many were assigned. A lost race (another instance
        took the chat or the slot first) or a busy table is retried on fresh reads after a
        jittered pause, at most DRAIN_LOST_RACES times in a row; then the drain leaves the rest
        to the next one rather than failing the request whose change it follows."""
        assigned = lost = 0
        while True:
            now = self._picker.clock()
            agents = self._agents.list(site.site_id)
            if not self._picker.any_free(agents, now):
                return assigned
            gained, raced = self._drain_pass(site, agents, now)
            assigned += gained
            if not raced:
                return assigned
            lost = 1 if gained else lost + 1
            if lost > DRAIN_LOST_RACES:
                return assigned
            self._picker.pause(lost)

    def _drain_pass(self, site: Site, agents: list[AgentProfile], now: datetime) -> tuple[int, bool]:
        """One walk down the queue with the agents as read: (chats assigned, whether a race was
        lost, after which the caller reads again)."""
        assigned = 0
        try:
            for entry in self.waiting(site):
                candidates = self._picker.candidates(agents, entry.category, entry.skills, now)
                if not candidates:
                    continue
                chat = self._chats.chat(site.site_id, entry.chat_id)
                if chat is None or chat.status != "queued" or chat.queue_key != entry.queue_key:
                    continue  # taken or ended since the queue was read
                choice = self._picker.choose(site, chat.category, candidates)
                agent = next(a for a in candidates if a.agent_id == choice.agent_id)
                self._placement.assign_queued(
                    chat, entry.queue_key, agent, routing_record(now, "assigned", choice)
                )
                assigned += 1
                agents[:] = [
                    a.model_copy(update={"active_chats": a.active_chats + 1, "last_assigned_at": now})
                    if a.agent_id == agent.agent_id
                    else a
                    for a in agents
                ]
                if not self._picker.any_free(agents, now):
                    break
        except (ConcurrentUpdate, Throttled):
            # Another instance moved first, or the table was busy or slow to answer (a write
            # that timed out may still land: the fresh reads of the retry will show it).
            return assigned, True
        return assigned, False

    def waiting(self, site: Site) -> Iterator[QueueEntry]:
        """The site's queue in service order, read a page at a time as far as the caller goes."""
        after: str | None = None
        while True:
            page = self._placement.queue(site.site_id, QUEUE_PAGE, after=after)
            yield from page
            if len(page) < QUEUE_PAGE:
                return
            after = page[-1].queue_key

    def claimed(self, site: Site, agents: Sequence[AgentProfile], now: datetime) -> set[str]:
        """The agents with a free slot that a waiting chat could take: those slots are the
        queue's, not a new chat's. The queue is read only while some free agent is unclaimed."""
        free = [a for a in agents if a.can_take(None, now, self._picker.heartbeat_seconds)]
        claimed: set[str] = set()
        if free:
            for entry in self.waiting(site):
                claimed.update(a.agent_id for a in free if self._picker.takes(a, entry, agents, now))
                if len(claimed) == len(free):
                    break
        return claimed

    def queue_place(self, site: Site, chat: Chat) -> QueuePlace | None:
        """Where a queued chat stands, and how long it may still wait."""
        if chat.status != "queued" or chat.queue_key is None:
            return None
        now = self._picker.clock()
        entries = self._placement.queue(site.site_id, PLACE_LOOKS_AT)
        return self.place(site, chat, self._agents.list(site.site_id), now, ahead=entries)

    def place(
        self,
        site: Site,
        chat: Chat,
        agents: Sequence[AgentProfile],
        now: datetime,
        ahead: Sequence[QueueEntry] | None,
    ) -> QueuePlace:
        """The chat's place among the entries `ahead` (or, for a chat about to join, behind every
        waiting chat of its category) and the wait the serving agents make of it."""
        stats = self._placement.routing_stats(site.site_id)
        if ahead is None:
            position = stats.queued_in(chat.category) + 1
        else:
            key = chat.queue_key or "\uffff"
            position = 1 + sum(1 for e in ahead if e.queue_key < key and e.category == chat.category)
        wanted, skills = routable(agents, chat.category, chat.skills)
        serving = serving_slots(agents, wanted, now, self._picker.heartbeat_seconds, skills)
        return QueuePlace(position, expected_wait_seconds(position, serving, stats.mean_handle_seconds))
