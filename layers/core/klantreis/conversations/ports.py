"""What the chat domain asks of storage: value types and one small port per concern.

The DynamoDB adapter is `klantreis.conversations.dynamo_store.DynamoChatStore`; it has every port.
Each caller names the port of its concern, so a fake or a new adapter knows what it must offer:
placement and queue (`ChatPlacement`, used by routing), messages, discounts, surveys and ending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from klantreis.agents.ports import AgentProfile
from klantreis.conversations.models import Chat, Message, RoutingRecord, SurveyAnswers
from klantreis.routing.performance import Performance
from klantreis.routing.stats import RoutingStats

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


class ChatReader(Protocol):
    def chat(self, site_id: str, chat_id: str) -> Chat | None: ...
    def chats_of_visitor(self, site_id: str, visitor_id: str) -> list[Chat]: ...


class ChatPlacement(Protocol):
    """Placing chats with agents or in the queue, and what routing reads back of it."""

    def create_assigned(
        self, chat: Chat, agent: AgentProfile, record: RoutingRecord, offer_id: str | None
    ) -> None: ...
    def create_queued(self, chat: Chat, record: RoutingRecord, offer_id: str | None) -> None: ...
    def assign_queued(
        self, chat: Chat, entry_key: str, agent: AgentProfile, record: RoutingRecord
    ) -> None: ...
    def requeue(self, chat: Chat, queue_key: str, record: RoutingRecord) -> None: ...
    def queue(self, site_id: str, limit: int = 50, after: str | None = None) -> list[QueueEntry]:
        """Up to `limit` entries in service order, those after queue key `after` when given."""
        ...

    def routing_stats(self, site_id: str) -> RoutingStats: ...
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


class ChatStore(ChatReader, ChatPlacement, ChatEnding, ChatMessages, ChatDiscounts, ChatSurveys, Protocol):
    """Every concern at once: what the chat service holds until its parts are split too."""
