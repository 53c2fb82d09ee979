"""Consent, enforced by the server: a visitor without consent (by the site's mode) is not stored,
not weighed for an offer and never on the live board; the widget's query form (`?site_key=`, a
`text/plain` body) reaches the same routes as the header form."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from aggregate import live as live_stream

from chat.handler import lambda_handler as chat_api
from engage.handler import lambda_handler as engage
from klantreis.engagement.decide import in_holdout
from klantreis.journey.dynamo_store import DynamoSessionStore
from klantreis.sites import Site
from klantreis.sites.dynamo_store import DynamoSiteStore
from klantreis_local import runtime
from klantreis_local.runtime import DEMO_SITE, DEMO_SITE_KEY, StreamPump
from report.handler import lambda_handler as report
from survey.handler import lambda_handler as survey_handler
from tests.factories import FakeContext, anna_journey, api_event, batch
from track.handler import lambda_handler as track

ORIGIN = {"Origin": "http://127.0.0.1:3000"}
HEADER_FORM = {"X-Site-Key": DEMO_SITE_KEY, **ORIGIN}
SIMPLE = {"Content-Type": "text/plain;charset=UTF-8", **ORIGIN}
MIRJAM = {"sub": "mirjam", "site_id": DEMO_SITE, "role": "agent"}


@pytest.fixture(autouse=True)
def _fresh_services() -> Iterator[None]:
    # the report's and the live λ's services, built anew for this test's table
    runtime.reset_caches()
    yield
    runtime.reset_caches()


def anna() -> str:
    return next(f"anna-{n}" for n in range(100) if not in_holdout(DEMO_SITE, f"anna-{n}", 0.10))


def simple_event(path: str, body: dict[str, Any], key: str = DEMO_SITE_KEY, **headers: str) -> dict[str, Any]:
    """A CORS-simple request as sendBeacon sends it: the key in the query, a text/plain body."""
    request = api_event("POST", path, body=body, headers={**SIMPLE, **headers})
    request["headers"].pop("Content-Type")
    request["headers"]["Content-Type"] = SIMPLE["Content-Type"]
    request["queryStringParameters"] = {"site_key": key}
    return request


def call(handler: Any, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    answer = handler(request, FakeContext())
    return answer["statusCode"], json.loads(answer["body"])


def with_consent(body: dict[str, Any], consent: str | bool | None) -> dict[str, Any]:
    return body if consent is None else {**body, "consent": consent}


def decide_body(visitor_id: str, consent: str | bool | None) -> dict[str, Any]:
    return with_consent({"visitor_id": visitor_id, "session_id": "s-1", "idle_seconds": 30}, consent)


def test_the_query_form_tracks_and_decides_like_the_header_form(
    demo_site: Site, dynamodb: Any, table_name: str
) -> None:
    # given Anna's journey sent as the widget's beacon would, consent granted
    visitor = anna()
    body = with_consent(batch(*anna_journey(), visitor_id=visitor), "granted")
    # when it arrives in the query form, then again in the header form
    first = call(track, simple_event("/v1/events", body))
    second = call(track, api_event("POST", "/v1/events", body=body, headers=HEADER_FORM))
    # then it is stored once, and decide in the query form offers her a chat
    assert first == (200, {"accepted": 7, "duplicates": 0, "rejected": []})
    assert second == (200, {"accepted": 0, "duplicates": 7, "rejected": []})
    assert DynamoSessionStore(dynamodb, table_name).get(DEMO_SITE, visitor, "s-1") is not None
    status, decided = call(engage, simple_event("/v1/engagement/decide", decide_body(visitor, "granted")))
    assert (status, decided["reason"]) == (200, "qualified")
    status, answered = call(
        engage,
        simple_event(f"/v1/engagement/offers/{decided['offer_id']}/response", {"response": "accepted"}),
    )
    assert (status, answered["response"]) == (200, "accepted")


def test_a_chat_runs_in_the_query_form(demo_site: Site) -> None:
    # given a chat started with the key in the query and a text/plain body
    body = {"visitor_id": "v-1", "session_id": "s-1", "category": "dameslaarzen", "message": "Welke maat?"}
    status, chat = call(chat_api, simple_event("/v1/chats", body))
    assert status == 201, chat
    token = {"X-Chat-Token": chat["chat_token"]}
    path = f"/v1/chats/{chat['chat_id']}"
    # when the visitor writes and reads it the same way
    written = call(chat_api, simple_event(f"{path}/messages", {"text": "Maat 39?"}, **token))
    read = api_event("GET", path, headers={**ORIGIN, **token}, path_parameters={"chat_id": chat["chat_id"]})
    read["resource"] = read["requestContext"]["resourcePath"] = "/v1/chats/{chat_id}"
    read["queryStringParameters"] = {"site_key": DEMO_SITE_KEY}
    status, view = call(chat_api, read)
    # then both are the chat's, and a survey in that form reaches its own checks (the token's)
    assert written[0] == 201, written
    assert (status, [m["text"] for m in view["messages"] if m["author"] == "visitor"]) == (
        200,
        ["Welke maat?", "Maat 39?"],
    )
    survey = {"chat_id": chat["chat_id"], "token": "not-the-token", "csat": 5}
    status, refused = call(survey_handler, simple_event("/v1/surveys", survey))
    assert (status, refused["error"]["code"]) != (401, "unauthorized"), refused


@pytest.mark.parametrize(
    ("key", "headers", "status", "code"),
    [
        ("no-such-key", {}, 401, "unauthorized"),
        (DEMO_SITE_KEY, {"Origin": "https://evil.example"}, 403, "forbidden"),
    ],
)
def test_the_query_form_is_checked_like_the_header(
    demo_site: Site, key: str, headers: dict[str, str], status: int, code: str
) -> None:
    body = with_consent(batch(*anna_journey()), "granted")
    answer = call(track, simple_event("/v1/events", body, key, **headers))
    assert (answer[0], answer[1]["error"]["code"]) == (status, code)


@pytest.mark.parametrize("consent", ["implied", "denied", False])
def test_without_consent_nothing_is_stored_decided_or_shown_in_required_mode(
    demo_site: Site, dynamodb: Any, table_name: str, consent: str
) -> None:
    # given the demo site in its required mode
    assert demo_site.consent_mode == "required"
    visitor = anna()
    # when a visitor without explicit consent is tracked and asks decide
    status, answer = call(
        track, simple_event("/v1/events", with_consent(batch(*anna_journey(), visitor_id=visitor), consent))
    )
    _, decided = call(engage, simple_event("/v1/engagement/decide", decide_body(visitor, consent)))
    StreamPump(dynamodb, table_name, consumers=[live_stream.lambda_handler]).drain()
    # then the answer says why nothing was stored, no offer is made, and the live board is empty
    assert (status, answer) == (200, {"accepted": 0, "duplicates": 0, "rejected": [], "consent_required": 7})
    assert DynamoSessionStore(dynamodb, table_name).get(DEMO_SITE, visitor, "s-1") is None
    assert (decided["offer"], decided["reason"]) == (False, "no_consent")
    _, board = call(report, api_event("GET", "/v1/visitors/live", claims=MIRJAM))
    assert board["visitors"] == []


@pytest.mark.parametrize(
    ("consent", "stored"), [("implied", True), (None, True), (True, True), ("denied", False), (False, False)]
)
def test_implied_mode_stores_all_but_a_refusal(
    demo_site: Site, dynamodb: Any, table_name: str, consent: str | None, stored: bool
) -> None:
    sites = DynamoSiteStore(dynamodb, table_name)
    sites.put(demo_site.model_copy(update={"consent_mode": "implied"}))
    visitor = anna()
    status, answer = call(
        track, simple_event("/v1/events", with_consent(batch(*anna_journey(), visitor_id=visitor), consent))
    )
    assert status == 200
    assert answer["accepted"] == (7 if stored else 0)
    _, decided = call(engage, simple_event("/v1/engagement/decide", decide_body(visitor, consent)))
    assert (decided["reason"] == "no_consent") is not stored


@pytest.mark.parametrize(
    ("consent", "reason"), [(True, "qualified"), (False, "no_consent"), (None, "qualified")]
)
def test_decide_keeps_its_boolean_consent_and_an_absent_one_is_vouched_for(
    demo_site: Site, consent: bool | None, reason: str
) -> None:
    # The contract's header form without a consent field (Anna's reference case) works unchanged.
    visitor = anna()
    call(
        track,
        api_event("POST", "/v1/events", body=batch(*anna_journey(), visitor_id=visitor), headers=HEADER_FORM),
    )
    request = api_event(
        "POST", "/v1/engagement/decide", body=decide_body(visitor, consent), headers=HEADER_FORM
    )
    assert call(engage, request)[1]["reason"] == reason
