"""Agents' presence: the status an agent sets, the console's heartbeat, and the scheduled sweep.
An agent who goes offline, or whose console falls silent past the heartbeat window, hands their
open chats back to the queue; slots held for chats that are gone are freed; then the queue drains."""

from __future__ import annotations

from datetime import UTC, datetime

from klantreis.agents.ports import AgentProfile, AgentStatus, AgentStore
from klantreis.conversations.models import RoutingRecord
from klantreis.conversations.ports import ChatEnding, ChatPlacement, ChatReader
from klantreis.dispatch.picking import AgentPicker
from klantreis.dispatch.queue import QueueDrainer
from klantreis.errors import ConcurrentUpdate
from klantreis.routing.wait import queue_sort_key
from klantreis.sites import Site


class AgentPresence:
    def __init__(
        self,
        agents: AgentStore,
        chats: ChatReader,
        placement: ChatPlacement,
        ending: ChatEnding,
        *,
        queue: QueueDrainer,
        picker: AgentPicker,
    ) -> None:
        self._agents = agents
        self._chats = chats
        self._placement = placement
        self._ending = ending
        self._queue = queue
        self._picker = picker

    def set_status(self, site: Site, agent_id: str, status: AgentStatus) -> AgentProfile:
        agent = self._agents.set_status(site.site_id, agent_id, status, self._picker.clock())
        if status == "offline":
            self._requeue_chats_of(site, agent, "the agent went offline")
        if status in ("available", "offline"):
            self._queue.drain(site)
        return self._agents.get(site.site_id, agent_id) or agent

    def heartbeat(self, site: Site, agent_id: str) -> AgentProfile:
        return self._agents.heartbeat(site.site_id, agent_id, self._picker.clock())

    def sweep(self, site: Site) -> dict[str, int]:
        """The scheduled check: agents silent past the heartbeat window go offline and their chats
        back to the queue; slots held for chats that are gone (an erased visitor's) are freed;
        then the queue is drained."""
        now = self._picker.clock()
        heartbeat = self._picker.heartbeat_seconds
        silent_before = datetime.fromtimestamp(now.timestamp() - heartbeat, UTC)
        offline = requeued = freed = 0
        for agent in self._agents.list(site.site_id):
            freed += self._free_stale_slots(site, agent)
            if agent.is_present(now, heartbeat):
                continue
            went_offline = agent.status != "offline" and self._agents.mark_offline_if_silent(
                site.site_id, agent.agent_id, silent_before, now
            )
            offline += int(went_offline)
            # A heartbeat that arrived since the listing keeps the agent's chats with her.
            if agent.chat_ids and (went_offline or agent.status == "offline"):
                requeued += self._requeue_chats_of(site, agent, "the agent's console went silent")
        assigned = self._queue.drain(site)
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
                freed += int(self._ending.release(site.site_id, agent.agent_id, chat_id))
        return freed

    def _requeue_chats_of(self, site: Site, agent: AgentProfile, reason: str) -> int:
        moved = 0
        for chat_id in agent.chat_ids:
            chat = self._chats.chat(site.site_id, chat_id)
            if chat is None or chat.status != "assigned" or chat.agent_id != agent.agent_id:
                continue
            key = queue_sort_key(chat.priority, int(chat.created_at.timestamp() * 1000), chat.chat_id)
            record = RoutingRecord(at=self._picker.clock(), outcome="requeued", agent_id=agent.agent_id,
                                   strategy=self._picker.strategy, reason=reason)  # fmt: skip
            try:
                self._placement.requeue(chat, key, record)
                moved += 1
            except ConcurrentUpdate:
                continue  # ended or moved meanwhile
        return moved
