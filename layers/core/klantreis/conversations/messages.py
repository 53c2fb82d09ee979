"""A chat's messages: written by its visitor or agent, read with a cursor (a message number or a
time). Domain logic over the `ChatMessages` port."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from klantreis.conversations.models import (
    MAX_CHAT_MESSAGES,
    MAX_MESSAGE_CHARS,
    Author,
    Chat,
    Message,
    is_blank,
)
from klantreis.conversations.ports import MESSAGE_PAGE, ChatMessages, message_id
from klantreis.errors import Conflict, PayloadTooLarge, ValidationFailed


def check_text(text: str) -> None:
    """A message's text: not over MAX_MESSAGE_CHARS (413), not blank (422)."""
    if len(text) > MAX_MESSAGE_CHARS:
        raise PayloadTooLarge(f"a message holds at most {MAX_MESSAGE_CHARS} characters")
    if is_blank(text):
        raise ValidationFailed("a message needs some text")


class MessageService:
    def __init__(
        self, messages: ChatMessages, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._messages = messages
        self._clock = clock

    def post(self, chat: Chat, author: Author, text: str, agent_id: str | None = None) -> Message:
        check_text(text)
        if chat.status == "ended":
            raise Conflict("this chat has ended")
        message = Message(message_id="", author=author, agent_id=agent_id, text=text, at=self._clock())
        return self._messages.add_message(chat, message)

    def messages(self, chat: Chat, since: int | datetime | None) -> list[Message]:
        """Messages after message number `since`, or written after the time `since`; at most a
        page (200) at a time, oldest first."""
        if isinstance(since, datetime):
            every = self._messages.messages(chat.site_id, chat.chat_id, None, limit=MAX_CHAT_MESSAGES)
            return [m for m in every if m.at > since][:MESSAGE_PAGE]
        return self._messages.messages(
            chat.site_id, chat.chat_id, message_id(since) if since is not None else None
        )
