"""A chat's end: by its agent or an operator (or a start that failed half-way); the agent's slot
is freed and the queue drained, so the next waiting chat may follow at once. Domain logic over the
`ChatEnding` port; the drain is the caller's (`klantreis.dispatch.queue.QueueDrainer`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from klantreis.conversations.models import Chat
from klantreis.conversations.ports import AgentReader, ChatEnding, ChatReader
from klantreis.errors import ConcurrentUpdate, Conflict, NotFound, Throttled
from klantreis.sites import Site

END_ATTEMPTS = 4


class Drain(Protocol):
    """Gives freed slots to waiting chats; how many were assigned."""

    def drain(self, site: Site) -> int: ...


class ChatEnder:
    def __init__(
        self,
        chats: ChatReader,
        ending: ChatEnding,
        agents: AgentReader,
        queue: Drain,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._chats = chats
        self._ending = ending
        self._agents = agents
        self._queue = queue
        self._clock = clock

    def end(self, site: Site, chat: Chat, resolved: bool | None) -> Chat:
        for _ in range(END_ATTEMPTS):
            if chat.status == "ended":
                raise Conflict("this chat has ended already")
            release = False
            if chat.agent is not None:
                agent = self._agents.get(site.site_id, chat.agent.agent_id)
                release = agent is not None and chat.chat_id in agent.chat_ids
            now = self._clock()
            try:
                self._ending.end(chat, now, resolved, release)
            except ConcurrentUpdate:
                stored = self._chats.chat(site.site_id, chat.chat_id)
                if stored is None:
                    raise NotFound("no such chat") from None
                chat = stored
                if chat.status != "ended" or chat.ended_at != now:
                    continue
                # Ended at our own moment: an SDK retry of our write that went through (its
                # answer timed out) lost to that write, and the chat ended as asked.
            self._queue.drain(site)
            return chat.model_copy(update={"status": "ended", "ended_at": now, "resolved": resolved})
        raise Throttled("the chat changed while it was being ended; retry shortly")
