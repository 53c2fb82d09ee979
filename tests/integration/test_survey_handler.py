"""The survey function in process against moto: a survey is stored once per chat, its answers
reach the agent x category performance counters routing reads, and every credential is checked
(site key, Origin, the chat's signed survey token) before anything is read or written."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from klantreis import dynamo, keys, services
from klantreis.agents.dynamo_store import DynamoAgentStore
from klantreis.agents.ports import AgentProfile
from klantreis.conversations.models import MAX_COMMENT_CHARS, Chat, RoutingRecord, SurveySummary
from klantreis.conversations.ports import chat_agent
from klantreis.routing.performance import PERFORMANCE_COUNTERS, Performance
from klantreis.settings import get_settings
from klantreis.sites import DynamoSiteStore, Site
from klantreis.tokens import SURVEY_TOKEN_SECONDS, KeyRing, TokenSigner
from klantreis_local.runtime import DEMO_SITE, DEMO_SITE_KEY
from survey.handler import lambda_handler
from tests.chat_tables import DynamoChatStore
from tests.factories import FakeContext, api_event

TOKEN_KEY = "integration-test-token-key-0123"
WIDGET = {"X-Site-Key": DEMO_SITE_KEY, "Origin": "http://127.0.0.1:3000"}
CATEGORY = "dameslaarzen"
AGENT = "lotte"


class Shop:
    """The demo site's chats as the route function leaves them, and what a survey changes."""

    def __init__(self, dynamodb: Any, table_name: str, site: Site) -> None:
        self.db = dynamodb
        self.table = table_name
        self.site = site
        self.chats = DynamoChatStore(dynamodb, table_name)
        self.agent = AgentProfile(
            site_id=DEMO_SITE, agent_id=AGENT, display_name="Lotte", categories=[CATEGORY], max_chats=20,
            status="available", last_seen_at=datetime.now(UTC),
        )  # fmt: skip
        DynamoAgentStore(dynamodb, table_name).put(self.agent)

    def served(self, chat_id: str = "c1") -> Chat:
        """A chat the agent took and ended, resolved: as a survey usually finds it."""
        now = datetime.now(UTC)
        chat = _chat(
            chat_id, "assigned", agent=chat_agent(self.agent), assigned_at=now - timedelta(minutes=9)
        )
        record = RoutingRecord(at=now, outcome="assigned", agent_id=AGENT, strategy="predictive", reason="t")
        self.chats.create_assigned(chat, self.agent, record, None)
        self.chats.end(chat, now, resolved=True, release=True)
        return chat

    def queued_then_ended(self, chat_id: str) -> Chat:
        """A chat that waited in the queue and was ended there: no agent to rate."""
        now = datetime.now(UTC)
        chat = _chat(chat_id, "queued", queue_key=f"0#{chat_id}")
        record = RoutingRecord(at=now, outcome="queued", strategy="predictive", reason="t")
        self.chats.create_queued(chat, record, None)
        self.chats.end(chat, now, resolved=None, release=False)
        return chat

    def chat(self, chat_id: str = "c1") -> Chat:
        found = self.chats.chat(DEMO_SITE, chat_id)
        assert found is not None
        return found

    def counters(self) -> dict[str, float]:
        """The agent's performance counters in the category as stored (missing ones 0)."""
        key = {"PK": keys.site_pk(DEMO_SITE), "SK": keys.perf_sk(CATEGORY, AGENT)}
        answer = self.db.get_item(TableName=self.table, Key=dynamo.to_item(key))
        return Performance.from_counts(dynamo.from_item(answer.get("Item") or {})).as_counts()

    def survey_item(self, chat_id: str = "c1") -> dict[str, Any] | None:
        key = {"PK": keys.chat_pk(DEMO_SITE, chat_id), "SK": keys.SURVEY}
        answer = self.db.get_item(TableName=self.table, Key=dynamo.to_item(key))
        return dynamo.from_item(answer["Item"]) if "Item" in answer else None

    def refused(self, body: Any, headers: dict[str, str] | None = None) -> tuple[int, str]:
        """(status, error code) of a survey of c1 that must change nothing."""
        before = self.counters()
        status, answer = submit(body, headers)
        assert self.counters() == before
        assert self.survey_item("c1") is None
        assert self.chat("c1").survey is None
        return status, answer["error"]["code"]


def _chat(chat_id: str, status: str, **fields: Any) -> Chat:
    now = datetime.now(UTC)
    return Chat(
        site_id=DEMO_SITE, chat_id=chat_id, visitor_id="anna", session_id="s-1", category=CATEGORY,
        status=status, created_at=now - timedelta(minutes=10), day=now.date().isoformat(), **fields,
    )  # fmt: skip


@pytest.fixture
def token_key(demo_site: Site, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The function's token key, from TOKEN_KEY as in the local stack."""
    monkeypatch.setenv("TOKEN_KEY", TOKEN_KEY)
    monkeypatch.delenv("TOKEN_SECRET_ARN", raising=False)
    get_settings.cache_clear()
    services.forget()
    yield TOKEN_KEY
    get_settings.cache_clear()
    services.forget()


@pytest.fixture
def shop(dynamodb: Any, table_name: str, demo_site: Site, token_key: str) -> Shop:
    return Shop(dynamodb, table_name, demo_site)


def token(
    chat_id: str = "c1", *, site_id: str = DEMO_SITE, key: str = TOKEN_KEY, at: float | None = None
) -> str:
    clock = time.time if at is None else (lambda: at)
    return TokenSigner(KeyRing.from_keys(key), clock=clock).issue("survey", site_id, chat_id)


def survey(chat_id: str = "c1", **answers: Any) -> dict[str, Any]:
    return {"chat_id": chat_id, "token": token(chat_id), **answers}


def submit(body: Any, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    event = api_event("POST", "/v1/surveys", body=body, headers=WIDGET if headers is None else headers)
    answer = lambda_handler(event, FakeContext())
    return answer["statusCode"], json.loads(answer["body"])


def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: after[name] - before[name] for name in PERFORMANCE_COUNTERS if after[name] != before[name]}


# --------------------------------------------------------------------------- stored once, counted once
def test_a_survey_is_stored_and_counted_for_the_agent_in_the_category(shop: Shop) -> None:
    # given a chat the agent served and ended
    shop.served("c1")
    before = shop.counters()

    # when the visitor answers every question
    sent = datetime.now(UTC)
    status, body = submit(
        survey(csat=5, nps=9, ces=2, preferred_channel="whatsapp", comment="Heel fijn geholpen")
    )
    answered = datetime.now(UTC)

    # then the survey is answered 201 as stored
    assert status == 201, body
    received_at = datetime.fromisoformat(body.pop("received_at"))
    assert sent <= received_at <= answered
    assert body == {
        "chat_id": "c1",
        "csat": 5,
        "nps": 9,
        "ces": 2,
        "preferred_channel": "whatsapp",
        "comment": "Heel fijn geholpen",
    }
    # and the agent's counters in the category moved by exactly this survey
    assert delta(before, shop.counters()) == {
        "csat_n": 1,
        "csat_good": 1,
        "csat_sum": 5,
        "nps_n": 1,
        "nps_promoters": 1,
        "ces_n": 1,
        "ces_sum": 2,
    }
    # and the chat keeps the scores, the chat's partition the whole survey, on the site's day
    assert shop.chat("c1").survey == SurveySummary(csat=5, nps=9, ces=2, at=received_at)
    item = shop.survey_item("c1")
    assert item is not None
    assert {k: v for k, v in item.items() if k not in ("PK", "SK", "expires_at")} == {
        "csat": 5,
        "nps": 9,
        "ces": 2,
        "preferred_channel": "whatsapp",
        "comment": "Heel fijn geholpen",
        "agent_id": AGENT,
        "category": CATEGORY,
        "at": received_at.isoformat(),
        "day": shop.site.local_day(received_at),
    }


def test_routing_reads_the_surveyed_performance(shop: Shop) -> None:
    # given two served chats, one rated well and one badly
    shop.served("c1")
    shop.served("c2")
    assert submit(survey("c1", csat=5, nps=10, ces=1))[0] == 201
    assert submit(survey("c2", csat=2, nps=3, ces=5))[0] == 201

    # when routing reads the category's performance
    found = shop.chats.performance(DEMO_SITE, CATEGORY)[AGENT]

    # then it sees both surveys: half satisfied, one promoter and one detractor, mean effort 3
    assert (found.csat, found.nps, found.ces) == (0.5, 0.0, 3.0)


@pytest.mark.parametrize(
    ("answers", "counted"),
    [
        ({"nps": 6}, {"nps_n": 1, "nps_detractors": 1}),
        ({"nps": 8}, {"nps_n": 1}),
        ({"csat": 3}, {"csat_n": 1, "csat_sum": 3}),
        ({"ces": 7}, {"ces_n": 1, "ces_sum": 7}),
        ({"comment": "Geen antwoord op mijn vraag"}, {}),
        ({"preferred_channel": "self_service"}, {}),
    ],
)
def test_any_subset_of_the_answers_is_a_survey(
    shop: Shop, answers: dict[str, Any], counted: dict[str, float]
) -> None:
    shop.served("c1")
    before = shop.counters()

    status, body = submit(survey(**answers))

    assert status == 201, body
    assert {k: v for k, v in body.items() if v is not None and k not in ("chat_id", "received_at")} == answers
    assert delta(before, shop.counters()) == counted
    summary = shop.chat("c1").survey
    assert summary is not None
    assert (summary.csat, summary.nps, summary.ces) == tuple(answers.get(k) for k in ("csat", "nps", "ces"))


def test_a_chat_that_never_had_an_agent_is_surveyed_without_rating_anyone(shop: Shop) -> None:
    shop.queued_then_ended("q1")

    status, body = submit(survey("q1", csat=1, nps=0))

    assert status == 201, body
    assert shop.chats.performance(DEMO_SITE, CATEGORY) == {}
    item = shop.survey_item("q1")
    assert item is not None
    assert "agent_id" not in item


def test_a_second_survey_is_a_conflict_and_changes_nothing(shop: Shop) -> None:
    # given a surveyed chat
    shop.served("c1")
    assert submit(survey(csat=5, comment="eerste"))[0] == 201
    counters, first = shop.counters(), shop.survey_item("c1")

    # when a survey comes again (a double click, a replay, or other answers)
    status, body = submit(survey(csat=1, nps=0, comment="tweede"))

    # then it is refused and the first one stands
    assert (status, body["error"]["code"]) == (409, "conflict")
    assert shop.counters() == counters
    assert shop.survey_item("c1") == first
    summary = shop.chat("c1").survey
    assert summary is not None
    assert summary.csat == 5


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "answers",
    [
        {},
        {"comment": "   "},
        {"csat": 0},
        {"csat": 6},
        {"nps": -1},
        {"nps": 11},
        {"ces": 0},
        {"ces": 8},
        {"csat": True},
        {"nps": "9"},
        {"csat": 4.5},
        {"preferred_channel": "fax"},
        {"preferred_channel": "WhatsApp"},
        {"csat": 5, "comment": "x" * (MAX_COMMENT_CHARS + 1)},
    ],
)
def test_an_invalid_survey_is_422_and_changes_nothing(shop: Shop, answers: dict[str, Any]) -> None:
    shop.served("c1")

    assert shop.refused(survey(**answers)) == (422, "validation_failed")


@pytest.mark.parametrize(
    "body",
    [
        {"token": "t", "csat": 5},
        {"chat_id": "c1", "csat": 5},
        {"chat_id": "c#1", "token": "t", "csat": 5},
        {"chat_id": "c1", "token": "t" * 401, "csat": 5},
        [],
    ],
)
def test_a_malformed_request_is_422(shop: Shop, body: Any) -> None:
    shop.served("c1")

    assert shop.refused(body) == (422, "validation_failed")


def test_bad_json_is_400(shop: Shop) -> None:
    shop.served("c1")

    assert shop.refused('{"chat_id": "c1", "token": ') == (400, "bad_json")


def test_the_longest_comment_is_accepted(shop: Shop) -> None:
    shop.served("c1")

    status, body = submit(survey(comment="ë" * MAX_COMMENT_CHARS))

    assert status == 201
    assert body["comment"] == "ë" * MAX_COMMENT_CHARS


# --------------------------------------------------------------------------- credentials
def test_a_forged_token_is_401(shop: Shop) -> None:
    shop.served("c1")
    forged = token(key="a-key-that-is-not-the-sites-key")

    assert shop.refused({"chat_id": "c1", "token": forged, "csat": 1}) == (401, "invalid_token")


@pytest.mark.parametrize("bad", ["garbage", "v1.e30.e30", "v1..", "x" * 400])
def test_a_malformed_token_is_401(shop: Shop, bad: str) -> None:
    shop.served("c1")

    assert shop.refused({"chat_id": "c1", "token": bad, "csat": 1}) == (401, "invalid_token")


def test_a_tampered_token_is_401(shop: Shop) -> None:
    # given c2's payload under c1's signature
    shop.served("c1")
    shop.served("c2")
    version, _, signature = token("c1").split(".")
    tampered = f"{version}.{token('c2').split('.')[1]}.{signature}"

    status, body = submit({"chat_id": "c2", "token": tampered, "csat": 1})

    assert (status, body["error"]["code"]) == (401, "invalid_token")
    assert shop.survey_item("c2") is None


def test_a_chat_token_is_not_a_survey_token(shop: Shop) -> None:
    shop.served("c1")
    chat_token = TokenSigner(KeyRing.from_keys(TOKEN_KEY)).issue("chat", DEMO_SITE, "c1")

    assert shop.refused({"chat_id": "c1", "token": chat_token, "csat": 1}) == (401, "invalid_token")


def test_an_expired_token_is_401_token_expired(shop: Shop) -> None:
    # given a survey token issued a week and a minute ago
    shop.served("c1")
    old = token(at=time.time() - SURVEY_TOKEN_SECONDS - 60)

    assert shop.refused({"chat_id": "c1", "token": old, "csat": 5}) == (401, "token_expired")


def test_another_chats_token_is_403(shop: Shop) -> None:
    shop.served("c1")
    shop.served("c2")

    assert shop.refused({"chat_id": "c1", "token": token("c2"), "csat": 1}) == (403, "forbidden")


def test_a_token_signed_for_another_site_is_403(shop: Shop) -> None:
    shop.served("c1")

    assert shop.refused({"chat_id": "c1", "token": token(site_id="other"), "csat": 1}) == (403, "forbidden")


def test_another_sites_widget_key_cannot_survey_this_sites_chat(shop: Shop) -> None:
    # given another shop, and the demo site's chat with its valid survey token
    sites = DynamoSiteStore(shop.db, shop.table)
    sites.put(Site(site_id="other", name="Andere winkel", allowed_origins=["https://other.example"]))
    sites.add_key("other", "other-site-key")
    shop.served("c1")

    # when the other shop's widget key sends it
    headers = {"X-Site-Key": "other-site-key", "Origin": "https://other.example"}

    # then the token is for another site's chat
    assert shop.refused(survey(csat=1), headers) == (403, "forbidden")


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, (401, "unauthorized")),
        ({"X-Site-Key": "no-such-site-key"}, (401, "unauthorized")),
        ({"X-Site-Key": DEMO_SITE_KEY, "Origin": "https://evil.example"}, (403, "forbidden")),
    ],
)
def test_the_widget_must_present_its_site_key_from_an_allowed_origin(
    shop: Shop, headers: dict[str, str], expected: tuple[int, str]
) -> None:
    shop.served("c1")

    assert shop.refused(survey(csat=5), headers) == expected


def test_an_unknown_chat_is_404(shop: Shop) -> None:
    status, body = submit(survey("never-was", csat=5))

    assert (status, body["error"]["code"]) == (404, "not_found")


def test_a_rotated_key_reaches_a_warm_instance(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    # given a warm instance that verified a token with the old key
    shop.served("c1")
    shop.served("c2")
    assert submit(survey("c1", csat=5))[0] == 201

    # when the key changes (settings re-read; the instance's stores are kept)
    monkeypatch.setenv("TOKEN_KEY", "the-rotated-token-key-456789")
    get_settings.cache_clear()

    # then tokens of the old key no longer verify, those of the new one do
    assert submit(survey("c2", csat=5))[0] == 401
    fresh = {"chat_id": "c2", "token": token("c2", key="the-rotated-token-key-456789"), "csat": 5}
    assert submit(fresh)[0] == 201
