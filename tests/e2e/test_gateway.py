"""The local gateway itself: the event a function receives is API Gateway's REST proxy event,
claims arrive where Cognito's do, /dev/token, unknown paths and crashing functions."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from chalice.test import Client

from klantreis.auth import Principal
from klantreis_local import tokens
from klantreis_local.gateway import build_app
from klantreis_local.template import FunctionSpec, Route
from tests.e2e.conftest import Api

received: list[dict[str, Any]] = []


def echo_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A stand-in function that answers with what it was handed."""
    received.append(event)
    return {
        "statusCode": 201,
        "headers": {"Content-Type": "application/json", "X-Single": "one"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": json.dumps(
            {"function": context.function_name, "remaining": context.get_remaining_time_in_millis()}
        ),
        "isBase64Encoded": False,
    }


def crashing_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("a bug")


ECHO = FunctionSpec(logical_id="EchoFunction", code_uri="tests/", handler=f"{__name__}.echo_handler")
CRASH = FunctionSpec(logical_id="CrashFunction", code_uri="tests/", handler=f"{__name__}.crashing_handler")


@pytest.fixture
def echo() -> Api:
    received.clear()
    routes = [
        (ECHO, Route("POST", "/v1/things/{thing_id}/notes", authorized=False)),
        (ECHO, Route("GET", "/v1/things/{thing_id}", authorized=True)),
        (CRASH, Route("GET", "/v1/crash", authorized=False)),
    ]
    return Api(Client(build_app(routes)))


def test_a_function_receives_api_gateways_rest_proxy_event(echo: Api) -> None:
    answer = echo.request(
        "POST",
        "/v1/things/t%3A1/notes?tag=a&tag=b&q=x%20y",
        body="héllo",
        headers={"Content-Type": "text/plain", "X-Site-Key": "k"},
    )
    [event] = received
    assert answer.status == 201
    assert answer.json["function"] == "klantreis-local-echo"
    assert 0 < answer.json["remaining"] <= 10_000
    assert answer.headers["X-Single"] == "one"
    assert answer.headers["Set-Cookie"] == ["a=1", "b=2"]
    assert event["httpMethod"] == "POST"
    assert event["path"] == "/v1/things/t%3A1/notes"
    assert event["resource"] == "/v1/things/{thing_id}/notes"
    assert event["pathParameters"] == {"thing_id": "t:1"}
    assert event["queryStringParameters"] == {"tag": "b", "q": "x y"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "q": ["x y"]}
    assert event["headers"]["x-site-key"] == "k"
    assert event["multiValueHeaders"]["x-site-key"] == ["k"]
    assert (event["body"], event["isBase64Encoded"]) == ("héllo", False)
    context = event["requestContext"]
    assert (context["httpMethod"], context["resourcePath"], context["stage"]) == (
        "POST",
        "/v1/things/{thing_id}/notes",
        "local",
    )
    assert context["requestId"]
    # An open route called without a bearer token gets no authorizer context.
    assert "authorizer" not in context


def test_a_request_without_body_or_query_has_them_null(echo: Api) -> None:
    echo.request("GET", "/v1/things/t1", headers={"Authorization": f"Bearer {token_for('mirjam', 'agent')}"})
    [event] = received
    assert (event["body"], event["queryStringParameters"], event["multiValueQueryStringParameters"]) == (
        None,
        None,
        None,
    )


def token_for(sub: str, role: str, site_id: str = "demo") -> str:
    return tokens.issue(Principal.model_validate({"sub": sub, "site_id": site_id, "role": role}))


@pytest.mark.parametrize("scheme", ["Bearer ", "bearer ", ""])
def test_claims_arrive_where_cognitos_do(echo: Api, scheme: str) -> None:
    answer = echo.request(
        "GET", "/v1/things/t1", headers={"Authorization": scheme + token_for("mirjam", "agent")}
    )
    [event] = received
    assert answer.status == 201
    claims = event["requestContext"]["authorizer"]["claims"]
    assert {name: claims[name] for name in ("sub", "site_id", "role")} == {
        "sub": "mirjam",
        "site_id": "demo",
        "role": "agent",
    }


@pytest.mark.parametrize("scheme", ["Bearer ", "bearer ", ""])
def test_a_bearer_token_on_an_open_route_places_its_claims_too(echo: Api, scheme: str) -> None:
    # given an open route (the widget's), called by an agent with a valid token
    answer = echo.request(
        "POST",
        "/v1/things/t1/notes",
        body="{}",
        headers={"Authorization": scheme + token_for("mirjam", "agent"), "Content-Type": "application/json"},
    )
    # then the function sees the claims where the authorized routes put them
    [event] = received
    assert answer.status == 201
    claims = event["requestContext"]["authorizer"]["claims"]
    assert (claims["sub"], claims["site_id"], claims["role"]) == ("mirjam", "demo", "agent")


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-token", "forged", "Bearer e30.xyz", "Basic bWlyamFtOnB3"],
)
def test_an_invalid_bearer_token_on_an_open_route_is_refused(echo: Api, authorization: str) -> None:
    # the deployed function verifies the token itself and refuses it; never a widget request
    answer = echo.request(
        "POST", "/v1/things/t1/notes", body="{}", headers={"Authorization": authorization, "X-Site-Key": "k"}
    )
    assert (answer.status, answer.error_code) == (401, "unauthorized")
    assert received == []


def test_an_expired_token_on_an_open_route_is_refused(echo: Api) -> None:
    principal = Principal(sub="mirjam", site_id="demo", role="agent")
    expired = tokens.issue(principal, now=time.time() - tokens.LIFETIME_SECONDS - 1)
    answer = echo.request("POST", "/v1/things/t1/notes", body="{}", headers={"Authorization": expired})
    assert (answer.status, answer.error_code) == (401, "unauthorized")
    assert received == []


@pytest.mark.parametrize("authorization", ["", "   ", "Bearer", "Bearer  "])
def test_a_blank_authorization_on_an_open_route_is_no_token(echo: Api, authorization: str) -> None:
    answer = echo.request(
        "POST", "/v1/things/t1/notes", body="{}", headers={"Authorization": authorization, "X-Site-Key": "k"}
    )
    [event] = received
    assert answer.status == 201
    assert "authorizer" not in event["requestContext"]


def test_an_authorized_route_refuses_before_the_function_runs(echo: Api) -> None:
    answer = echo.request("GET", "/v1/things/t1")
    assert (answer.status, answer.error_code) == (401, "unauthorized")
    assert received == []


def test_a_crashing_function_answers_the_contracts_502(echo: Api) -> None:
    answer = echo.request("GET", "/v1/crash")
    assert (answer.status, answer.error_code) == (502, "internal")


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nothing/here"), ("GET", "/v1/things/t1/notes/x"), ("DELETE", "/nothing"), ("GET", "/")],
)
def test_unknown_paths_answer_the_contracts_404(echo: Api, method: str, path: str) -> None:
    answer = echo.request(method, path)
    assert (answer.status, answer.error_code) == (404, "not_found")
    assert received == []


@pytest.mark.parametrize("method", ["DELETE", "PUT", "TRACE"])
def test_a_method_the_path_does_not_serve_is_405_with_allow(echo: Api, method: str) -> None:
    answer = echo.request(method, "/v1/crash")
    assert (answer.status, answer.error_code) == (405, "method_not_allowed")
    assert answer.headers["Allow"] == "GET, OPTIONS"
    assert received == []


def test_dev_token_issues_a_token_with_the_asked_claims(api: Api) -> None:
    asked = int(time.time())
    token = api.token(site_id="demo", sub="mirjam", role="agent")
    answered = int(time.time())
    claims = tokens.verify(token)
    assert claims is not None
    assert (claims["sub"], claims["site_id"], claims["role"]) == ("mirjam", "demo", "agent")
    assert asked + tokens.LIFETIME_SECONDS <= int(claims["exp"]) <= answered + tokens.LIFETIME_SECONDS + 1


@pytest.mark.parametrize(
    "query",
    [
        "site_id=demo&sub=mirjam&role=admin",
        "site_id=demo&sub=mirjam",
        "sub=mirjam&role=agent",
        "site_id=demo&role=agent",
        "site_id=de%23mo&sub=mirjam&role=agent",
        "",
    ],
)
def test_dev_token_refuses_a_bad_query(api: Api, query: str) -> None:
    answer = api.request("GET", f"/dev/token?{query}")
    assert (answer.status, answer.error_code) == (400, "bad_request")


def test_a_token_is_valid_for_twelve_hours_only() -> None:
    issued = time.time()
    token = tokens.issue(Principal(sub="ops", site_id="demo", role="operator"), now=issued)
    assert tokens.verify(token, now=issued + tokens.LIFETIME_SECONDS - 1) is not None
    assert tokens.verify(token, now=issued + tokens.LIFETIME_SECONDS) is None
    assert tokens.LIFETIME_SECONDS == 12 * 3600


@pytest.mark.parametrize("token", ["", ".", "abc", "a.b.c", "é.é", "e30.", "bm90IGpzb24.xyz"])
def test_malformed_tokens_are_refused(token: str) -> None:
    assert tokens.verify(token) is None
