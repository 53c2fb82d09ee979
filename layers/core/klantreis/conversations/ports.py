"""What the chat domain asks of storage: value types and one small port per concern.

The DynamoDB adapters are in `klantreis.conversations.dynamo_store`, one per port (they share the
item codec `klantreis.conversations.chat_items`). Each service names the ports of its concern, so a
fake or a new adapter knows what it must offer: reading chats, the queue, placement (used by
`klantreis.dispatch`), ending, messages, discounts and surveys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from klantreis.agents.ports import AgentProfile
from klantreis.conversations.models import Chat, ChatAgent, Message, RoutingRecord, SurveyAnswers
from klantreis.routing.performance import Performance
from klantreis.routing.stats import RoutingStats

if TYPE_CHECKING:  # only the DecisionReader's signature: the records stay out of every chat import
    from klantreis.engagement.records import Decision

MESSAGE_PAGE = 200

MESSAGE_ID_DIGITS = 6
"""Message ids are the chat's sequence numbers, zero-padded so they sort as numbers."""


def message_id(number: int) -> str:
    return f"{number:0{MESSAGE_ID_DIGITS}d}"


@dataclass(frozen=True)
class QueueEntry:
    queue_key: str
    chat_id: str
    category: str | None
    skills: tuple[str, ...] = ()


@dataclass(frozen=True)
class Discount:
    site_id: str
    code: str
    chat_id: str
    agent_id: str | None
    percent: float
    visitor_id: str
    created_at: datetime
    used_at: datetime | None = None


def chat_agent(agent: AgentProfile) -> ChatAgent:
    """The agent as a chat names them."""
    return ChatAgent(agent_id=agent.agent_id, display_name=agent.display_name)


class ChatReader(Protocol):
    def chat(self, site_id: str, chat_id: str) -> Chat | None: ...
    def chats(self, site_id: str, chat_ids: Sequence[str]) -> dict[str, Chat]:
        """The chats of `chat_ids` that exist, by id, read together (not one read per chat)."""
        ...

    def chats_of_visitor(self, site_id: str, visitor_id: str) -> list[Chat]: ...


class QueueReader(Protocol):
    """The site's queue and its routing statistics (what a queue position and wait are made of)."""

    def queue(self, site_id: str, limit: int = 50, after: str | None = None) -> list[QueueEntry]:
        """Up to `limit` entries in service order, those after queue key `after` when given."""
        ...

    def routing_stats(self, site_id: str) -> RoutingStats: ...


class ChatPlacement(QueueReader, Protocol):
    """Placing chats with agents or in the queue, and what routing reads back of it."""

    def create_assigned(
        self, chat: Chat, agent: AgentProfile, record: RoutingRecord, offer_id: str | None
    ) -> None: ...
    def create_queued(self, chat: Chat, record: RoutingRecord, offer_id: str | None) -> None: ...
    def assign_queued(
        self, chat: Chat, entry_key: str, agent: AgentProfile, record: RoutingRecord
    ) -> None: ...
    def requeue(self, chat: Chat, queue_key: str, record: RoutingRecord) -> None: ...
    def performance(self, site_id: str, category: str | None) -> dict[str, Performance]: ...
    def routing_records(self, site_id: str, chat_id: str) -> list[RoutingRecord]: ...


class ChatEnding(Protocol):
    def end(self, chat: Chat, at: datetime, resolved: bool | None, release: bool) -> None: ...
    def release(self, site_id: str, agent_id: str, chat_id: str) -> bool: ...


class ChatMessages(Protocol):
    def messages(
        self, site_id: str, chat_id: str, since: str | None, limit: int = MESSAGE_PAGE
    ) -> list[Message]: ...
    def add_message(self, chat: Chat, message: Message) -> Message: ...
    def add_transcript(self, chat: Chat, messages: list[Message]) -> list[Message]: ...
    def latest_messages(self, site_id: str, chat_id: str, limit: int) -> list[Message]: ...


class ChatDiscounts(Protocol):
    def add_discount(self, chat: Chat, discount: Discount) -> None: ...
    def discount(self, site_id: str, code: str) -> Discount | None: ...
    def mark_converted(self, chat: Chat, at: datetime, value: float, code: str | None = None) -> bool: ...


class ChatSurveys(Protocol):
    def add_survey(self, chat: Chat, answers: SurveyAnswers, at: datetime, day: str) -> None: ...
    def mark_follow_up(self, earlier: Chat, chat_id: str) -> None: ...


class AgentReader(Protocol):
    """What the chat services read of agents (klantreis.agents.ports.AgentStore has it)."""

    def get(self, site_id: str, agent_id: str) -> AgentProfile | None: ...
    def list(self, site_id: str) -> list[AgentProfile]: ...


DECISIONS_READ = 20
"""Decisions of the visitor read (newest first) to find the latest one of this session."""


class DecisionReader(Protocol):
    """The engagement decision behind a chat (its scores for the agent, the offer it came from);
    here rather than in `context.py` so starting or looking up a chat does not load the context."""

    def latest_decision(self, site_id: str, visitor_id: str, session_id: str) -> Decision | None:
        """The newest engagement decision of the session, if one is among the visitor's latest."""
        ...
