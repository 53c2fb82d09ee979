"""Reading chats for the routes: one chat by id, and an agent's inbox (their open chats and the
queued chats they could serve), polled by the console every 2 seconds.

The inbox costs the same few reads however many chats it lists: the agent, one page of the queue
and one batch of chat items; each chat carries the abandonment risk of its session's latest
decision as it started (`Chat.start_scores`). Only a chat stored before that was kept costs a look
at the visitor's decisions."""

from __future__ import annotations

from dataclasses import dataclass

from klantreis.conversations.models import Chat
from klantreis.conversations.ports import AgentReader, ChatReader, DecisionReader, QueueReader
from klantreis.errors import NotFound
from klantreis.sites import Site

INBOX_QUEUE_LOOKS_AT = 50
"""The first chats of the queue an inbox looks at."""


@dataclass(frozen=True)
class InboxChat:
    chat: Chat
    abandonment_risk: float | None


@dataclass(frozen=True)
class Inbox:
    assigned: list[InboxChat]
    """The agent's open chats, oldest first."""
    queued: list[InboxChat]
    """Waiting chats the agent could serve, in queue order."""


class ChatLookup:
    def __init__(
        self, chats: ChatReader, queue: QueueReader, agents: AgentReader, decisions: DecisionReader
    ) -> None:
        self._chats = chats
        self._queue = queue
        self._agents = agents
        self._decisions = decisions

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
        servable = [
            e
            for e in self._queue.queue(site.site_id, INBOX_QUEUE_LOOKS_AT)
            if agent.serves(e.category, e.skills)
        ]
        found = self._chats.chats(site.site_id, [*agent.chat_ids, *(e.chat_id for e in servable)])
        assigned = sorted(
            (c for c in (found.get(i) for i in agent.chat_ids) if c is not None and c.status == "assigned"),
            key=lambda c: c.created_at,
        )
        # A chat taken or ended since the queue was read is left out, not shown twice.
        queued = [
            c for c in (found.get(e.chat_id) for e in servable) if c is not None and c.status == "queued"
        ]
        return Inbox(
            assigned=[self._with_risk(c) for c in assigned], queued=[self._with_risk(c) for c in queued]
        )

    def _with_risk(self, chat: Chat) -> InboxChat:
        if chat.start_scores is not None:
            return InboxChat(chat, chat.start_scores.abandonment_risk)
        decision = self._decisions.latest_decision(chat.site_id, chat.visitor_id, chat.session_id)
        return InboxChat(chat, decision.abandonment_risk if decision else None)
