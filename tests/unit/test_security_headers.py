"""Every answer of the shared resolver carries the security headers: a route's, a domain error's,
a failed validation's, a 404 and a CORS preflight; a route's own value of one of them wins."""

from __future__ import annotations

from typing import Any

import pytest
from aws_lambda_powertools.event_handler.api_gateway import Response
from pydantic import BaseModel

from klantreis import errors
from klantreis.api import SECURITY_HEADERS, build_resolver
from tests.factories import FakeContext, api_event


class Note(BaseModel):
    text: str


def answer_of(method: str, path: str, body: Any = None) -> dict[str, Any]:
    app = build_resolver()

    @app.get("/v1/ok")
    def ok() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/v1/refused")
    def refused() -> dict[str, str]:
        raise errors.Forbidden("not your site")

    @app.post("/v1/notes")
    def post_note(note: Note) -> dict[str, str]:
        return {"text": note.text}

    @app.get("/v1/cached")
    def cached() -> Response[str]:
        return Response(200, "text/plain", "x", headers={"cache-control": "max-age=60"})

    context: Any = FakeContext()
    event = api_event(method, path, body=body, headers={"Origin": "https://shop.example"})
    result: dict[str, Any] = app.resolve(event, context)
    return result


def headers_of(result: dict[str, Any]) -> dict[str, str]:
    """The answer's headers as API Gateway sends them (REST answers use multiValueHeaders)."""
    assert "headers" not in result or not result["headers"], result
    return {name: values[-1] for name, values in result["multiValueHeaders"].items()}


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        pytest.param("GET", "/v1/ok", None, 200, id="a route's answer"),
        pytest.param("GET", "/v1/refused", None, 403, id="a domain error"),
        pytest.param("POST", "/v1/notes", {"text": 5}, 422, id="a failed validation"),
        pytest.param("POST", "/v1/notes", "{not json", 400, id="bad JSON"),
        pytest.param("GET", "/v1/nothing-here", None, 404, id="an unknown path"),
        pytest.param("OPTIONS", "/v1/notes", None, 204, id="a CORS preflight"),
    ],
)
def test_every_answer_carries_the_security_headers(method: str, path: str, body: Any, status: int) -> None:
    # when
    result = answer_of(method, path, body)
    # then
    assert result["statusCode"] == status
    headers = headers_of(result)
    assert {name: headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_a_routes_own_value_wins_and_is_not_doubled() -> None:
    headers = headers_of(answer_of("GET", "/v1/cached"))
    assert [name for name in headers if name.lower() == "cache-control"] == ["cache-control"]
    assert headers["cache-control"] == "max-age=60"
    assert headers["X-Content-Type-Options"] == "nosniff"
