"""The chat ports of klantreis.conversations.ports in memory: one fake that has every port
(ChatReader, QueueReader, ChatPlacement, ChatEnding, ChatMessages, ChatDiscounts, ChatSurveys),
because their writes share state as the table's items do (a placement takes an agent's slot that
an ending gives back). Held to the ports' contract with the DynamoDB adapters:
tests/integration/test_chat_store_contract.py."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from klantreis import keys
from klantreis.agents.ports import AgentProfile
from klantreis.conversations.models import (
    MAX_CHAT_MESSAGES,
    Chat,
    ChatAgent,
    Message,
    RoutingRecord,
    SurveyAnswers,
    SurveySummary,
)
from klantreis.conversations.ports import MESSAGE_PAGE, Discount, QueueEntry, message_id
from klantreis.errors import ConcurrentUpdate, Conflict
from klantreis.routing.performance import Performance, survey_counts
from klantreis.routing.stats import RoutingStats

if TYPE_CHECKING:
    from tests.fakes import InMemoryAgentStore, InMemoryEngagementRecords


class InMemoryChatStore:
    """Every chat port of klantreis.conversations.ports in memory, over an InMemoryAgentStore (the agent
    items the adapter's transactions update) and optionally InMemoryEngagementRecords (the offers
    a chat accepts). Each write checks every condition of the adapter's transaction before it
    changes anything, so a lost race (ConcurrentUpdate) or a refusal (Conflict) is all-or-nothing.
    The queue is ordered by queue key, as the table's sort key orders it.

    `before_write`, when set, is called with the write's name before its conditions are checked:
    a test makes another Lambda instance move first there."""

    def __init__(self, agents: InMemoryAgentStore, offers: InMemoryEngagementRecords | None = None) -> None:
        self.agents = agents
        self.offers = offers
        self.held: dict[tuple[str, str], Chat] = {}
        """(site_id, chat_id) → the chat as stored."""
        self.messages_of: dict[tuple[str, str], dict[str, Message]] = defaultdict(dict)
        self.records: dict[tuple[str, str], list[RoutingRecord]] = defaultdict(list)
        self.queues: dict[str, dict[str, QueueEntry]] = defaultdict(dict)
        self.queued: dict[str, Counter[str]] = defaultdict(Counter)
        """site → queue category ('*' for none) → chats waiting (the ROUTING#STATS counters)."""
        self.handled: dict[str, tuple[int, float]] = defaultdict(lambda: (0, 0.0))
        self.perf: dict[tuple[str, str, str], dict[str, float]] = defaultdict(dict)
        """(site, category or '*', agent) → the PERF counters."""
        self.discounts: dict[tuple[str, str], Discount] = {}
        self.surveys: dict[tuple[str, str], SurveyAnswers] = {}
        self.before_write: Callable[[str], None] | None = None
        self.batch_reads = 0
        """How often `chats` read several chats at once."""

    # ------------------------------------------------------------------ reads
    def chat(self, site_id: str, chat_id: str) -> Chat | None:
        chat = self.held.get((site_id, chat_id))
        return chat.model_copy(deep=True) if chat else None

    def chats(self, site_id: str, chat_ids: Sequence[str]) -> dict[str, Chat]:
        self.batch_reads += 1
        return {c: chat for c in chat_ids if (chat := self.chat(site_id, c)) is not None}

    def chats_of_visitor(self, site_id: str, visitor_id: str) -> list[Chat]:
        return sorted(
            (c for c in self.held.values() if (c.site_id, c.visitor_id) == (site_id, visitor_id)),
            key=lambda c: (c.created_at, c.chat_id),
        )

    def queue(self, site_id: str, limit: int = 50, after: str | None = None) -> list[QueueEntry]:
        entries = [
            entry for key, entry in sorted(self.queues[site_id].items()) if after is None or key > after
        ]
        return entries[:limit]

    def routing_stats(self, site_id: str) -> RoutingStats:
        ended, seconds = self.handled[site_id]
        return RoutingStats(queued=dict(self.queued[site_id]), ended=ended, handle_seconds=seconds)

    def performance(self, site_id: str, category: str | None) -> dict[str, Performance]:
        wanted = category or keys.UNCATEGORIZED
        return {
            agent_id: Performance.from_counts(counts)
            for (site, cat, agent_id), counts in self.perf.items()
            if (site, cat) == (site_id, wanted)
        }

    def messages(
        self, site_id: str, chat_id: str, since: str | None, limit: int = MESSAGE_PAGE
    ) -> list[Message]:
        stored = self.messages_of.get((site_id, chat_id), {})
        return [stored[m] for m in sorted(stored) if since is None or m > since][:limit]

    def latest_messages(self, site_id: str, chat_id: str, limit: int) -> list[Message]:
        stored = self.messages_of.get((site_id, chat_id), {})
        return [stored[m] for m in sorted(stored)][-limit:]

    def routing_records(self, site_id: str, chat_id: str) -> list[RoutingRecord]:
        return list(self.records[(site_id, chat_id)])

    def discount(self, site_id: str, code: str) -> Discount | None:
        return self.discounts.get((site_id, code))

    # ------------------------------------------------------------------ writes
    def _begin(self, name: str) -> None:
        if self.before_write is not None:
            self.before_write(name)

    def _check_offer(self, site_id: str, offer_id: str | None) -> None:
        if not offer_id or self.offers is None:
            return
        offer = self.offers.offers.get((site_id, offer_id))
        if offer is None or offer.chat_id or offer.response not in (None, "accepted"):
            raise ConcurrentUpdate(f"offer {offer_id} was used or declined")

    def _accept_offer(self, chat: Chat, offer_id: str | None) -> None:
        if not offer_id or self.offers is None:
            return
        key = (chat.site_id, offer_id)
        offer = self.offers.offers[key]
        self.offers.offers[key] = offer.model_copy(
            update={
                "chat_id": chat.chat_id,
                "response": offer.response or "accepted",
                "responded_at": offer.responded_at or chat.created_at,
            }
        )

    def _count(self, chat: Chat, agent_id: str, **counts: float) -> None:
        perf = self.perf[(chat.site_id, chat.category or keys.UNCATEGORIZED, agent_id)]
        for name, value in counts.items():
            perf[name] = perf.get(name, 0.0) + value

    def _enqueue(self, chat: Chat, queue_key: str) -> None:
        self.queues[chat.site_id][queue_key] = QueueEntry(
            queue_key=queue_key,
            chat_id=chat.chat_id,
            category=chat.category,
            skills=tuple(sorted(chat.skills)),
        )
        self.queued[chat.site_id][chat.category or keys.UNCATEGORIZED] += 1

    def _dequeue(self, chat: Chat, queue_key: str) -> None:
        del self.queues[chat.site_id][queue_key]
        self.queued[chat.site_id][chat.category or keys.UNCATEGORIZED] -= 1

    def create_assigned(
        self, chat: Chat, agent: AgentProfile, record: RoutingRecord, offer_id: str | None
    ) -> None:
        self._begin("create_assigned")
        assert chat.agent is not None
        assert chat.assigned_at is not None
        if (chat.site_id, chat.chat_id) in self.held:
            raise ConcurrentUpdate(f"chat {chat.chat_id} exists")
        self.agents.check_take(chat.site_id, agent.agent_id, chat.chat_id)
        self._check_offer(chat.site_id, offer_id)
        self.held[(chat.site_id, chat.chat_id)] = chat.model_copy(deep=True)
        self.agents.take(chat.site_id, agent.agent_id, chat.chat_id, chat.assigned_at)
        self.records[(chat.site_id, chat.chat_id)].append(record)
        self._count(chat, agent.agent_id, chats=1)
        self._accept_offer(chat, offer_id)

    def create_queued(self, chat: Chat, record: RoutingRecord, offer_id: str | None) -> None:
        self._begin("create_queued")
        assert chat.queue_key is not None
        if (chat.site_id, chat.chat_id) in self.held or chat.queue_key in self.queues[chat.site_id]:
            raise ConcurrentUpdate(f"chat {chat.chat_id} exists")
        self._check_offer(chat.site_id, offer_id)
        self.held[(chat.site_id, chat.chat_id)] = chat.model_copy(deep=True)
        self._enqueue(chat, chat.queue_key)
        self.records[(chat.site_id, chat.chat_id)].append(record)
        self._accept_offer(chat, offer_id)

    def assign_queued(self, chat: Chat, entry_key: str, agent: AgentProfile, record: RoutingRecord) -> None:
        self._begin("assign_queued")
        stored = self.held.get((chat.site_id, chat.chat_id))
        if stored is None or stored.status != "queued" or entry_key not in self.queues[chat.site_id]:
            raise ConcurrentUpdate(f"chat {chat.chat_id} is no longer queued")
        self.agents.check_take(chat.site_id, agent.agent_id, chat.chat_id)
        waited = (record.at - chat.created_at).total_seconds()
        wait = chat.wait_seconds if chat.wait_seconds is not None else waited
        self.held[(chat.site_id, chat.chat_id)] = stored.model_copy(
            update={
                "status": "assigned",
                "agent": ChatAgent(agent_id=agent.agent_id, display_name=agent.display_name),
                "assigned_at": record.at,
                "wait_seconds": round(max(wait, 0.0), 3),
                "queue_key": None,
            }
        )
        self._dequeue(stored, entry_key)
        self.agents.take(chat.site_id, agent.agent_id, chat.chat_id, record.at)
        self.records[(chat.site_id, chat.chat_id)].append(record)
        self._count(stored, agent.agent_id, chats=1)

    def requeue(self, chat: Chat, queue_key: str, record: RoutingRecord) -> None:
        self._begin("requeue")
        assert chat.agent is not None
        stored = self.held.get((chat.site_id, chat.chat_id))
        if stored is None or stored.status != "assigned" or stored.agent_id != chat.agent.agent_id:
            raise ConcurrentUpdate(f"chat {chat.chat_id} is no longer {chat.agent.agent_id}'s")
        self.agents.check_release(chat.site_id, chat.agent.agent_id, chat.chat_id)
        if queue_key in self.queues[chat.site_id]:
            raise ConcurrentUpdate(f"queue entry {queue_key} exists")
        self.held[(chat.site_id, chat.chat_id)] = stored.model_copy(
            update={
                "status": "queued",
                "queue_key": queue_key,
                "agent": None,
                "reassignments": stored.reassignments + 1,
            }
        )
        self.agents.release(chat.site_id, chat.agent.agent_id, chat.chat_id)
        self._enqueue(stored, queue_key)
        self.records[(chat.site_id, chat.chat_id)].append(record)

    def end(self, chat: Chat, at: datetime, resolved: bool | None, release: bool) -> None:
        self._begin("end")
        stored = self.held.get((chat.site_id, chat.chat_id))
        if stored is None or stored.status != chat.status:
            raise ConcurrentUpdate(f"chat {chat.chat_id} changed")
        dequeue = chat.status == "queued" and chat.queue_key is not None
        if dequeue and chat.queue_key not in self.queues[chat.site_id]:
            raise ConcurrentUpdate(f"chat {chat.chat_id} left the queue")
        served_by = chat.agent_id if chat.status == "assigned" else None
        if served_by and release:
            self.agents.check_release(chat.site_id, served_by, chat.chat_id)
        update: dict[str, Any] = {"status": "ended", "ended_at": at, "queue_key": None}
        if resolved is not None:
            update["resolved"] = resolved
        self.held[(chat.site_id, chat.chat_id)] = stored.model_copy(update=update)
        if dequeue:
            assert chat.queue_key is not None
            self._dequeue(stored, chat.queue_key)
        if served_by:
            handled = max(0.0, (at - (chat.assigned_at or at)).total_seconds())
            self._count(stored, served_by, ended=1, handle_seconds=handled, resolved=int(bool(resolved)))
            ended, seconds = self.handled[chat.site_id]
            self.handled[chat.site_id] = (ended + 1, seconds + handled)
            if release:
                self.agents.release(chat.site_id, served_by, chat.chat_id)

    def add_message(self, chat: Chat, message: Message) -> Message:
        """Numbered with the chat's next sequence number, as the adapter's counter does."""
        self._begin("add_message")
        stored = self.held.get((chat.site_id, chat.chat_id))
        held = self.messages_of[(chat.site_id, chat.chat_id)]
        if stored is None or stored.status == "ended" or len(held) >= MAX_CHAT_MESSAGES:
            raise Conflict("this chat has ended or holds its maximum of messages")
        numbered = message.model_copy(update={"message_id": message_id(len(held) + 1)})
        held[numbered.message_id] = numbered
        return numbered

    def add_transcript(self, chat: Chat, messages: list[Message]) -> list[Message]:
        """The chat's first messages, numbered 1..n."""
        self._begin("add_transcript")
        numbered = [m.model_copy(update={"message_id": message_id(n)}) for n, m in enumerate(messages, 1)]
        held = self.messages_of[(chat.site_id, chat.chat_id)]
        held.clear()
        held.update((m.message_id, m) for m in numbered)
        return numbered

    def release(self, site_id: str, agent_id: str, chat_id: str) -> bool:
        """Frees a slot held for a chat that is gone; True if the agent still counted it."""
        try:
            self.agents.check_release(site_id, agent_id, chat_id)
        except ConcurrentUpdate:
            return False
        self.agents.release(site_id, agent_id, chat_id)
        return True

    def add_discount(self, chat: Chat, discount: Discount) -> None:
        self._begin("add_discount")
        stored = self.held.get((chat.site_id, chat.chat_id))
        if (
            stored is None
            or stored.status != "assigned"
            or stored.discount_code is not None
            or stored.agent_id != discount.agent_id
            or (chat.site_id, discount.code) in self.discounts
        ):
            raise Conflict("this chat has a discount code already, or is no longer yours")
        self.held[(chat.site_id, chat.chat_id)] = stored.model_copy(
            update={"discount_code": discount.code, "discount_percent": discount.percent}
        )
        self.discounts[(chat.site_id, discount.code)] = discount

    def add_survey(self, chat: Chat, answers: SurveyAnswers, at: datetime, day: str) -> None:
        self._begin("add_survey")
        stored = self.held.get((chat.site_id, chat.chat_id))
        if stored is None or (chat.site_id, chat.chat_id) in self.surveys:
            raise Conflict("this chat has its survey already")
        self.surveys[(chat.site_id, chat.chat_id)] = answers
        summary = SurveySummary(csat=answers.csat, nps=answers.nps, ces=answers.ces, at=at)
        self.held[(chat.site_id, chat.chat_id)] = stored.model_copy(update={"survey": summary})
        if chat.agent is not None:
            self._count(chat, chat.agent.agent_id, **survey_counts(answers.csat, answers.nps, answers.ces))

    def mark_follow_up(self, earlier: Chat, chat_id: str) -> None:
        stored = self.held.get((earlier.site_id, earlier.chat_id))
        if stored is not None and stored.follow_up_chat_id is None:
            self.held[(earlier.site_id, earlier.chat_id)] = stored.model_copy(
                update={"follow_up_chat_id": chat_id}
            )

    def mark_converted(self, chat: Chat, at: datetime, value: float, code: str | None = None) -> bool:
        stored = self.held.get((chat.site_id, chat.chat_id))
        discount = self.discounts.get((chat.site_id, code)) if code else None
        if stored is None or stored.converted_at is not None:
            return False
        if code and (discount is None or discount.used_at is not None):
            return False
        self.held[(chat.site_id, chat.chat_id)] = stored.model_copy(
            update={"converted_at": at, "conversion_value": value}
        )
        if discount is not None:
            self.discounts[(chat.site_id, discount.code)] = replace(discount, used_at=at)
        if chat.agent is not None:
            self._count(chat, chat.agent.agent_id, conversions=1)
        return True


class InMemoryChats(InMemoryChatStore):
    """InMemoryChatStore holding given chats: what the context (ChatHistory) and attribution
    (AttributionStore) read and write; `conversions` is the agents' PERF conversions counter."""

    def __init__(self, *chats: Chat) -> None:
        from tests.fakes import InMemoryAgentStore

        super().__init__(InMemoryAgentStore())
        for chat in chats:
            self.put(chat)

    def put(self, chat: Chat) -> None:
        self.held[(chat.site_id, chat.chat_id)] = chat

    def put_discount(self, discount: Discount) -> None:
        self.discounts[(discount.site_id, discount.code)] = discount

    @property
    def conversions(self) -> dict[tuple[str, str, str], int]:
        """(site_id, category, agent_id) → conversions."""
        return {key: int(perf["conversions"]) for key, perf in self.perf.items() if perf.get("conversions")}
