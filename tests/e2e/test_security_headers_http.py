"""The local stack's answers carry the security headers as the deployed API's do: the functions'
answers (success and refusal) from the functions, the gateway's own (401, 404, 502, /dev/token) as
the template's GatewayResponses."""

from __future__ import annotations

from typing import Any

import pytest
from chalice.test import Client

from klantreis.api import SECURITY_HEADERS
from klantreis_local.gateway import build_app
from klantreis_local.runtime import DEMO_SITE
from klantreis_local.template import FunctionSpec, Route
from tests.e2e.conftest import WIDGET, Answer, Api
from tests.factories import batch, event


def security_headers_of(answer: Answer) -> dict[str, Any]:
    return {name: answer.headers.get(name) for name in SECURITY_HEADERS}


def crashing_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("a bug")


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status"),
    [
        pytest.param("POST", "/v1/events", batch(event()), WIDGET, 200, id="a function's 200"),
        pytest.param("POST", "/v1/events", "{broken", WIDGET, 400, id="a function's 400"),
        pytest.param(
            "POST",
            "/v1/events",
            batch(event()),
            {**WIDGET, "X-Site-Key": "nope"},
            401,
            id="a function's 401",
        ),
        pytest.param("GET", "/v1/visitors/live", None, {}, 401, id="the gateway's 401"),
        pytest.param("GET", "/v1/no/such/thing", None, {}, 404, id="the gateway's 404"),
        pytest.param(
            "GET", f"/dev/token?site_id={DEMO_SITE}&sub=ops&role=operator", None, {}, 200, id="/dev/token"
        ),
    ],
)
def test_every_answer_of_the_local_api_carries_the_security_headers(
    api: Api, *, method: str, path: str, body: Any, headers: dict[str, str], status: int
) -> None:
    # when
    answer = api.request(method, path, body=body, headers=headers)
    # then
    assert answer.status == status, answer
    assert security_headers_of(answer) == SECURITY_HEADERS
    assert answer.headers["Access-Control-Allow-Origin"] == "*"


def test_a_crashed_functions_502_carries_them_too() -> None:
    # given a function that raises (API Gateway's DEFAULT_5XX answer)
    crash = FunctionSpec(
        logical_id="CrashFunction", code_uri="tests/", handler=f"{__name__}.crashing_handler"
    )
    api = Api(Client(build_app([(crash, Route("GET", "/v1/crash", authorized=False))])))
    # when
    answer = api.request("GET", "/v1/crash")
    # then
    assert (answer.status, answer.error_code) == (502, "internal")
    assert security_headers_of(answer) == SECURITY_HEADERS
