"""HTTP-level tests: requests go through chalice's local gateway into the same app `make dev`
serves, on the in-process moto table of tests/conftest.py."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from chalice.test import Client

from klantreis.journey.dynamo_store import DynamoSessionStore
from klantreis.sites import Site
from klantreis_local.gateway import build_app
from klantreis_local.runtime import DEMO_SITE, DEMO_SITE_KEY

WIDGET = {"X-Site-Key": DEMO_SITE_KEY, "Origin": "http://127.0.0.1:3000", "Content-Type": "application/json"}


@dataclass(frozen=True)
class Answer:
    status: int
    json: Any
    headers: dict[str, Any]

    @property
    def error_code(self) -> str:
        """The contract's error code; fails when the body is not the contract's error shape."""
        assert isinstance(self.json, dict), self.json
        assert set(self.json) == {"error"}, self.json
        assert isinstance(self.json["error"]["message"], str), self.json
        code: str = self.json["error"]["code"]
        return code


class Api:
    """The local API as a client sees it."""

    def __init__(self, client: Client) -> None:
        self._http = client.http

    def request(
        self, method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None
    ) -> Answer:
        if isinstance(body, bytes | str):
            raw = body.encode() if isinstance(body, str) else body
        else:
            raw = b"" if body is None else json.dumps(body).encode()
        response = self._http.request(method, path, headers=dict(headers or {}), body=raw)
        return Answer(response.status_code, response.json_body, response.headers)

    def post_events(self, body: Any, headers: dict[str, str] | None = None) -> Answer:
        return self.request("POST", "/v1/events", body=body, headers=WIDGET if headers is None else headers)

    def token(self, *, site_id: str = DEMO_SITE, sub: str = "ops", role: str = "operator") -> str:
        answer = self.request("GET", f"/dev/token?site_id={site_id}&sub={sub}&role={role}")
        assert answer.status == 200, answer
        token: str = answer.json["token"]
        return token

    def delete_visitor(self, visitor_id: str, authorization: str | None = None) -> Answer:
        headers = {"Authorization": authorization} if authorization is not None else {}
        return self.request("DELETE", f"/v1/visitors/{visitor_id}", headers=headers)


@pytest.fixture
def api(demo_site: Site) -> Api:
    return Api(Client(build_app()))


@pytest.fixture
def sessions(dynamodb: Any, table_name: str) -> DynamoSessionStore:
    return DynamoSessionStore(dynamodb, table_name)
