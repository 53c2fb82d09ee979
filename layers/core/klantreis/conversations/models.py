"""Chats, their messages, routing decisions, discounts and surveys: the records of a conversation.

A chat is `queued` until an agent takes it, `assigned` while an agent serves it, and `ended` after.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ChatStatus = Literal["queued", "assigned", "ended"]
Author = Literal["visitor", "agent", "bot", "system"]
Channel = Literal["chat", "phone", "email", "whatsapp", "social", "self_service"]
Label = Annotated[str, StringConstraints(min_length=1, max_length=60)]

MAX_MESSAGE_CHARS = 4_000
"""A chat message's text; longer ones are refused with 413."""
BLANKS = " \t\n\r\f\v"
NOT_BLANK = r"[^ \t\n\r\f\v]"
"""A message's pattern: some text besides white space (unanchored, as JSON Schema's `pattern`).
The six ASCII spaces are spelled out: `\\s` means other characters in Python, Rust (pydantic) and
ECMA-262 (JSON Schema) regular expressions."""


def is_blank(text: str) -> bool:
    """No text besides white space, by the same rule as NOT_BLANK."""
    return re.search(NOT_BLANK, text) is None


MAX_TRANSCRIPT_MESSAGES = 100
"""A chatbot's transcript handed over when the chat is created."""
MAX_CHAT_MESSAGES = 2_000
"""Beyond this a chat is a script, not a conversation; more messages answer 409."""
MAX_COMMENT_CHARS = 2_000
FOLLOW_UP_WINDOW = timedelta(days=7)
"""First-contact resolution: no new chat from the same visitor about the same category this soon."""
CHAT_TTL_SECONDS = 400 * 86_400
"""Chats, messages and surveys are kept a little over a year (year-on-year reports), then expire."""


class ChatAgent(BaseModel):
    model_config = ConfigDict(frozen=True)

    agent_id: str
    display_name: str


class SurveySummary(BaseModel):
    """The survey's scores as the chat keeps them (for the agent's view of earlier chats)."""

    model_config = ConfigDict(frozen=True)

    csat: int | None = None
    nps: int | None = None
    ces: int | None = None
    at: datetime


class StartScores(BaseModel):
    """The session's latest engagement decision as the chat started: what the agent's inbox shows
    of it, kept on the chat so the inbox (polled every 2 s) reads no decision per chat."""

    model_config = ConfigDict(frozen=True)

    abandonment_risk: float | None = None
    """None when the session had no decision."""


class Chat(BaseModel):
    model_config = ConfigDict(frozen=True)

    site_id: str
    chat_id: str
    visitor_id: str
    session_id: str
    offer_id: str | None = None
    category: str | None = None
    skills: list[Label] = Field(default_factory=list)
    language: str | None = None
    status: ChatStatus
    agent: ChatAgent | None = None
    created_at: datetime
    day: str
    """The site's local day of creation (the counters' day)."""
    hour: int | None = Field(None, ge=0, le=23)
    """The site's local hour of creation (the hourly report counters' hour); None in chats stored
    before it was kept (counted at their UTC hour)."""
    assigned_at: datetime | None = None
    wait_seconds: float | None = None
    """From creation to the first assignment."""
    ended_at: datetime | None = None
    resolved: bool | None = None
    cart_value: float = 0.0
    score: float | None = None
    """Purchase intent when the chat was offered (from the offer's decision), if known."""
    start_scores: StartScores | None = None
    """None in chats stored before it was kept (2026-12-04): the inbox looks the decision up."""
    priority: int = 0
    queue_key: str | None = None
    """The queue entry's sort key while queued."""
    reassignments: int = 0
    discount_code: str | None = None
    discount_percent: float | None = None
    converted_at: datetime | None = None
    conversion_value: float | None = None
    survey: SurveySummary | None = None
    follow_up_chat_id: str | None = None
    """A later chat of the same visitor about the same category within FOLLOW_UP_WINDOW."""

    @property
    def agent_id(self) -> str | None:
        return self.agent.agent_id if self.agent else None

    @property
    def first_contact_resolution(self) -> bool | None:
        """Resolved and not followed up within the window; None while that cannot be known."""
        if self.status != "ended" or self.resolved is None:
            return None
        return bool(self.resolved) and not self.follow_up_chat_id


class Message(BaseModel):
    model_config = ConfigDict(frozen=True)

    message_id: str
    """Sortable: `{epoch ms:013d}-{random}`; the `since` cursor of GET /v1/chats/{id}."""
    author: Author
    agent_id: str | None = None
    text: str
    at: datetime
    from_bot: bool = False
    """Part of a chatbot's transcript handed over when the chat was created."""


class RoutingRecord(BaseModel):
    """Why a chat went where it went (or was queued): kept in the chat's partition."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    outcome: Literal["assigned", "queued", "requeued"]
    agent_id: str | None = None
    strategy: str
    reason: str
    candidates: list[dict[str, float | int | str]] = Field(default_factory=list)
    """Each candidate's score and expected satisfaction/conversion, best first."""
    queue_position: int | None = None
    expected_wait_seconds: int | None = None


class SurveyAnswers(BaseModel):
    model_config = ConfigDict(frozen=True)

    csat: int | None = Field(None, ge=1, le=5)
    nps: int | None = Field(None, ge=0, le=10)
    ces: int | None = Field(None, ge=1, le=7)
    preferred_channel: Channel | None = None
    comment: str | None = Field(None, max_length=MAX_COMMENT_CHARS)

    def is_empty(self) -> bool:
        return all(v is None for v in self.model_dump().values())
