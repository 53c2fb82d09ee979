"""Post-chat surveys: the visitor's CSAT, NPS, CES, preferred channel and comment, once per chat.

The survey token the widget got with its chat is the credential: HMAC-signed, bound to the site
and the chat, and valid for a week (klantreis.tokens). It is verified before anything is read, so
a forged or misdirected token learns nothing about the chat. The store writes the survey, the
chat's summary and the agent x category performance counters in one transaction (the feedback
routing reads), and refuses a second survey for the chat (Conflict).

Domain logic only: storage goes through the `SurveyChats` port, HTTP through the survey function.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol

from pydantic import ConfigDict, Field

from klantreis.conversations.models import BLANKS, NOT_BLANK, Chat, SurveyAnswers, is_blank
from klantreis.errors import Conflict, NotFound, ValidationFailed
from klantreis.keys import ID_PATTERN
from klantreis.sites import Site
from klantreis.tokens import Purpose

MAX_SURVEY_TOKEN_CHARS = 400
"""Longer than any token klantreis.tokens issues for ids of up to 100 characters."""


class SurveyChats(Protocol):
    """What surveys need of chats (klantreis.conversations.dynamo_store.DynamoSurveyChats has it)."""

    def chat(self, site_id: str, chat_id: str) -> Chat | None: ...
    def add_survey(self, chat: Chat, answers: SurveyAnswers, at: datetime, day: str) -> None: ...


class TokenVerifier(Protocol):
    """klantreis.tokens.TokenSigner as surveys use it."""

    def verify(self, token: str, purpose: Purpose, site_id: str, chat_id: str) -> None: ...


AT_LEAST_ONE_ANSWER: list[Any] = [
    *({"required": [name], "properties": {name: {"type": "integer"}}} for name in ("csat", "nps", "ces")),
    {"required": ["preferred_channel"], "properties": {"preferred_channel": {"type": "string"}}},
    {"required": ["comment"], "properties": {"comment": {"type": "string", "pattern": NOT_BLANK}}},
]
"""The schema's way of saying what `submit` checks: some answer that is not null (a comment of
white space only is no answer)."""


class SurveySubmission(SurveyAnswers):
    """`POST /v1/surveys`: the chat, its survey token, and any subset of the answers.

    Strict: `true` or `"5"` is not a score (lax pydantic would store them as 1 and 5)."""

    model_config = ConfigDict(strict=True, json_schema_extra={"anyOf": AT_LEAST_ONE_ANSWER})

    chat_id: Annotated[str, Field(pattern=ID_PATTERN, max_length=100, description="The chat surveyed.")]
    token: Annotated[
        str,
        Field(
            min_length=1,
            max_length=MAX_SURVEY_TOKEN_CHARS,
            description="The `survey_token` the widget got when the chat started.",
        ),
    ]

    def answers(self) -> SurveyAnswers:
        """The answers alone; a comment of whitespace only counts as no comment."""
        comment = None if self.comment is None or is_blank(self.comment) else self.comment.strip(BLANKS)
        return SurveyAnswers(
            csat=self.csat,
            nps=self.nps,
            ces=self.ces,
            preferred_channel=self.preferred_channel,
            comment=comment or None,
        )


class SurveyReceipt(SurveyAnswers):
    """The survey as stored: the answers given (unanswered ones null) and when it arrived."""

    chat_id: str
    received_at: datetime


class SurveyService:
    def __init__(
        self,
        chats: SurveyChats,
        tokens: TokenVerifier,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._chats = chats
        self._tokens = tokens
        self._clock = clock

    def submit(self, site: Site, submission: SurveySubmission) -> SurveyReceipt:
        """Stores the survey of `site`'s chat.

        Raises ValidationFailed for a survey without any answer; InvalidToken/TokenExpired (401)
        or Forbidden (403, another site's or chat's token) before anything is read; NotFound for
        a chat that does not exist (or was erased); Conflict while the chat has not ended, or when it
        has its survey already.
        """
        answers = submission.answers()
        if answers.is_empty():
            raise ValidationFailed(
                "a survey needs at least one answer: csat, nps, ces, preferred_channel or comment"
            )
        self._tokens.verify(submission.token, "survey", site.site_id, submission.chat_id)
        chat = self._chats.chat(site.site_id, submission.chat_id)
        if chat is None:
            raise NotFound("no such chat")
        if chat.status != "ended":
            # Rating a chat still being served would rate half a conversation (and let a visitor
            # rate before the agent could answer): the widget offers the survey at the end.
            raise Conflict("the chat has not ended yet; its survey is accepted once it has")
        at = self._clock()
        # The chat's agent (if it had one) and category get the counters; a chat that ended in
        # the queue is surveyed all the same, it just rates no agent.
        self._chats.add_survey(chat, answers, at, site.local_day(at))
        return SurveyReceipt(chat_id=chat.chat_id, received_at=at, **answers.model_dump())
