"""SurveyService with an in-memory chat store: the token first, then the chat, one survey a chat."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from klantreis.conversations.models import MAX_COMMENT_CHARS, Chat, ChatAgent, SurveyAnswers
from klantreis.conversations.surveys import SurveyService, SurveySubmission
from klantreis.errors import Conflict, Forbidden, NotFound, ValidationFailed
from klantreis.sites import Site
from klantreis.tokens import SURVEY_TOKEN_SECONDS, InvalidToken, KeyRing, TokenExpired, TokenSigner

KEY = "unit-test-token-key-0123456789"
NOW = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
"""Half past midnight in Amsterdam: the survey's day is the site's local day, 2026-11-23."""
SITE = Site(site_id="demo", name="Demo")
A_WEEK = timedelta(seconds=SURVEY_TOKEN_SECONDS)


class InMemorySurveyChats:
    """The chat store's survey part in memory: a second survey of a chat is a Conflict."""

    def __init__(self, *chats: Chat) -> None:
        self.chats = {(chat.site_id, chat.chat_id): chat for chat in chats}
        self.surveys: dict[tuple[str, str], tuple[SurveyAnswers, datetime, str]] = {}
        self.reads = 0

    def chat(self, site_id: str, chat_id: str) -> Chat | None:
        self.reads += 1
        return self.chats.get((site_id, chat_id))

    def add_survey(self, chat: Chat, answers: SurveyAnswers, at: datetime, day: str) -> None:
        key = (chat.site_id, chat.chat_id)
        if key in self.surveys:
            raise Conflict("this chat has its survey already")
        self.surveys[key] = (answers, at, day)


def chat(chat_id: str = "c1", *, site_id: str = "demo", agent: bool = True) -> Chat:
    return Chat(
        site_id=site_id,
        chat_id=chat_id,
        visitor_id="anna",
        session_id="s-1",
        category="dameslaarzen",
        status="ended",
        agent=ChatAgent(agent_id="mirjam", display_name="Mirjam") if agent else None,
        created_at=NOW - timedelta(hours=1),
        day="2026-11-22",
    )


def signer(key: str = KEY, *, at: datetime = NOW) -> TokenSigner:
    return TokenSigner(KeyRing.from_keys(key), clock=at.timestamp)


def service(store: InMemorySurveyChats) -> SurveyService:
    return SurveyService(store, signer(), clock=lambda: NOW)


def submission(chat_id: str = "c1", token: str | None = None, **answers: Any) -> SurveySubmission:
    token = token if token is not None else signer().issue("survey", "demo", chat_id)
    return SurveySubmission(chat_id=chat_id, token=token, **answers)


def test_a_survey_is_stored_on_the_sites_local_day_and_returned() -> None:
    # given an ended chat and its survey token
    store = InMemorySurveyChats(chat())

    # when the visitor answers every question
    receipt = service(store).submit(
        SITE, submission(csat=5, nps=9, ces=2, preferred_channel="whatsapp", comment=" Top hulp! ")
    )

    # then the answers are stored once, on the site's local day, and returned as stored
    answers, at, day = store.surveys[("demo", "c1")]
    assert answers == SurveyAnswers(csat=5, nps=9, ces=2, preferred_channel="whatsapp", comment="Top hulp!")
    assert (at, day) == (NOW, "2026-11-23")
    assert receipt.model_dump() == {
        "chat_id": "c1",
        "received_at": NOW,
        "csat": 5,
        "nps": 9,
        "ces": 2,
        "preferred_channel": "whatsapp",
        "comment": "Top hulp!",
    }


@pytest.mark.parametrize(
    "answers",
    [{"nps": 0}, {"csat": 1}, {"ces": 7}, {"preferred_channel": "self_service"}, {"comment": "x"}],
)
def test_any_subset_of_the_answers_is_a_survey(answers: dict[str, Any]) -> None:
    store = InMemorySurveyChats(chat())

    receipt = service(store).submit(SITE, submission(**answers))

    assert store.surveys[("demo", "c1")][0] == SurveyAnswers(**answers)
    assert {k: v for k, v in receipt.model_dump().items() if v is not None} == {
        "chat_id": "c1",
        "received_at": NOW,
        **answers,
    }


@pytest.mark.parametrize("answers", [{}, {"comment": ""}, {"comment": " \n\t "}])
def test_a_survey_without_answers_is_refused_before_anything_is_read(answers: dict[str, Any]) -> None:
    store = InMemorySurveyChats(chat())

    with pytest.raises(ValidationFailed):
        service(store).submit(SITE, submission(**answers))

    assert store.reads == 0
    assert store.surveys == {}


def test_a_chat_without_an_agent_can_be_surveyed() -> None:
    # given a chat that ended in the queue
    store = InMemorySurveyChats(chat(agent=False))

    service(store).submit(SITE, submission(csat=2))

    assert store.surveys[("demo", "c1")][0].csat == 2


def test_a_second_survey_of_the_chat_is_a_conflict_and_the_first_stays() -> None:
    store = InMemorySurveyChats(chat())
    service(store).submit(SITE, submission(csat=5))

    with pytest.raises(Conflict):
        service(store).submit(SITE, submission(csat=1))

    assert store.surveys[("demo", "c1")][0].csat == 5


def test_an_unknown_chat_is_not_found() -> None:
    store = InMemorySurveyChats(chat("c1"))

    with pytest.raises(NotFound):
        service(store).submit(SITE, submission("c2", csat=5))


def forged(chat_id: str) -> str:
    return signer("another-key-that-is-not-ours").issue("survey", "demo", chat_id)


@pytest.mark.parametrize(
    ("token", "error", "code"),
    [
        (lambda: forged("c1"), InvalidToken, "invalid_token"),
        (lambda: "not-a-token", InvalidToken, "invalid_token"),
        (lambda: signer().issue("chat", "demo", "c1"), InvalidToken, "invalid_token"),
        (
            lambda: signer(at=NOW - A_WEEK - timedelta(seconds=1)).issue("survey", "demo", "c1"),
            TokenExpired,
            "token_expired",
        ),
        (lambda: signer().issue("survey", "demo", "c2"), Forbidden, "forbidden"),
        (lambda: signer().issue("survey", "other", "c1"), Forbidden, "forbidden"),
    ],
    ids=["forged", "garbage", "chat-token", "expired", "other-chat", "other-site"],
)
def test_a_bad_token_is_refused_before_the_chat_is_read(
    token: Callable[[], str], error: type[Exception], code: str
) -> None:
    # given chats c1 and c2 of the demo site, and chat c1 of the site "other"
    store = InMemorySurveyChats(chat("c1"), chat("c2"), chat("c1", site_id="other"))

    # when c1 of the demo site is surveyed with a token that is not its survey token
    with pytest.raises(error) as refused:
        service(store).submit(SITE, submission("c1", token=token(), csat=5))

    # then nothing was read or written
    assert getattr(refused.value, "code", None) == code
    assert store.reads == 0
    assert store.surveys == {}


def test_a_token_is_valid_for_seven_days() -> None:
    store = InMemorySurveyChats(chat())
    almost_a_week_ago = NOW - A_WEEK + timedelta(seconds=1)
    token = signer(at=almost_a_week_ago).issue("survey", "demo", "c1")

    service(store).submit(SITE, submission(token=token, nps=10))

    assert ("demo", "c1") in store.surveys


@pytest.mark.parametrize(
    "fields",
    [
        {"csat": 0},
        {"csat": 6},
        {"nps": -1},
        {"nps": 11},
        {"ces": 0},
        {"ces": 8},
        {"csat": 4.5},
        {"csat": True},
        {"nps": "9"},
        {"preferred_channel": "fax"},
        {"preferred_channel": "WhatsApp"},
        {"comment": "x" * (MAX_COMMENT_CHARS + 1)},
        {"chat_id": "c#1"},
        {"chat_id": ""},
        {"token": ""},
        {"token": "t" * 401},
    ],
)
def test_the_submission_refuses_what_is_out_of_range(fields: dict[str, Any]) -> None:
    plain = {"chat_id": "c1", "token": "t", "csat": 5, **fields}

    with pytest.raises(ValidationError):
        SurveySubmission.model_validate(plain)


def test_the_longest_comment_is_accepted() -> None:
    store = InMemorySurveyChats(chat())

    service(store).submit(SITE, submission(comment="é" * MAX_COMMENT_CHARS))

    assert store.surveys[("demo", "c1")][0].comment == "é" * MAX_COMMENT_CHARS
