"""No request, however hostile, gets a 5xx: every route of template.yaml, through the local
gateway, with every kind of credential, odd path parameters, bodies that are not JSON or not the
right JSON, garbage query strings, and hypothesis-drawn bodies and ids. Every answer is below 500
and, when it is an error, in the contract's shape `{"error": {"code", "message"}}`.

The world each test starts from is real: the demo site with its seeded agents, a second site, a
chat the widget started (with its chat and survey tokens) and an offer, so the requests that get
past validation and authentication reach the stores.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from klantreis.auth import Principal
from klantreis.engagement.config import EngagementConfig
from klantreis.sites import Site
from klantreis.sites.dynamo_store import DynamoSiteStore
from klantreis_local import template, tokens
from klantreis_local.runtime import DEMO_SITE, StreamPump
from tests.e2e.conftest import WIDGET, Answer, Api
from tests.factories import anna_journey, batch, event, iso

ROUTES = template.api_routes()
ROUTE_IDS = [f"{route.method} {route.path}" for _, route in ROUTES]
JSON = {"Content-Type": "application/json"}
OTHER_SITE = "other"
OTHER_KEY = "other-site-key"
OTHER_WIDGET = {"X-Site-Key": OTHER_KEY, "Origin": "https://other.example", **JSON}
HUGE = "x" * 100_000
HYPOTHESIS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


# --------------------------------------------------------------------------- the world


@dataclass
class World:
    """The demo site with a live chat, an offer and every kind of caller."""

    api: Api
    chat_id: str
    chat_token: str
    survey_token: str
    agent_id: str
    """The agent the chat is assigned to."""
    other_agent_id: str
    offer_id: str
    visitor_id: str
    foreign_chat_id: str
    """A chat of the other site."""
    credentials: dict[str, dict[str, str]] = field(default_factory=dict)

    def ids(self, name: str) -> str:
        """The real value of a path parameter."""
        return {
            "chat_id": self.chat_id,
            "agent_id": self.agent_id,
            "offer_id": self.offer_id,
            "visitor_id": self.visitor_id,
            "site_id": DEMO_SITE,
            "entry_id": "maten",
        }[name]

    def path(self, route: template.Route, **segments: str) -> str:
        """The route's path with real ids, or the given raw (already URL-encoded) segments."""
        path = route.path
        for name in _parameters(route.path):
            path = path.replace("{" + name + "}", segments.get(name, quote(self.ids(name), safe="")))
        return path

    def call(
        self, method: str, path: str, *, body: Any = None, headers: dict[str, str], expect: int | None = None
    ) -> Answer:
        """The answer, checked by `check`; with `expect`, it must also have that status (a valid
        request must succeed, and a chain of calls must not go on from a refused first step)."""
        answer = self.api.request(method, path, body=body, headers=headers)
        check(answer, method, path, body, headers)
        if expect is not None:
            assert answer.status == expect, f"{method} {path[:300]} -> {answer.status} {answer.json!r}"
        return answer


def check(answer: Answer, method: str, path: str, body: Any, headers: dict[str, str]) -> None:
    """Never a 5xx; an error is in the contract's shape."""
    shown_body = body if not isinstance(body, str | bytes) or len(body) < 300 else f"<{len(body)} chars>"
    shown_headers = {
        name: value if len(value) < 300 else f"<{len(value)} chars>" for name, value in headers.items()
    }
    where = f"{method} {path[:300]} body={shown_body!r} headers={shown_headers!r}"
    where += f" -> {answer.status} {answer.json!r}"
    assert answer.status < 500, where
    if answer.status >= 400:
        try:
            code = answer.error_code
        except AssertionError as exc:
            raise AssertionError(f"not the contract's error shape: {where}") from exc
        assert isinstance(code, str), where


def _parameters(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **JSON}


def _seed_other_site(api: Api, dynamodb: Any, table_name: str) -> str:
    sites = DynamoSiteStore(dynamodb, table_name)
    sites.put(Site(site_id=OTHER_SITE, name="Other shop", allowed_origins=["https://other.example"]))
    sites.add_key(OTHER_SITE, OTHER_KEY)
    started = api.request(
        "POST",
        "/v1/chats",
        body={"visitor_id": "elsewhere", "session_id": "s-x", "message": "Hallo"},
        headers=OTHER_WIDGET,
    )
    assert started.status == 201, started
    chat_id: str = started.json["chat_id"]
    return chat_id


def _offer(api: Api) -> str:
    """An offer to a visitor like Anna (one outside the holdout)."""
    start = datetime.now(UTC) - timedelta(minutes=5)
    for n in range(30):
        visitor = f"anna-{n}"
        tracked = api.post_events(batch(*anna_journey(start), visitor_id=visitor, session_id=f"s-{n}"))
        assert tracked.status == 200, tracked
        answer = api.request(
            "POST",
            "/v1/engagement/decide",
            body={"visitor_id": visitor, "session_id": f"s-{n}", "idle_seconds": 30},
            headers=WIDGET,
        )
        assert answer.status == 200, answer
        if answer.json["offer"]:
            offer_id: str = answer.json["offer_id"]
            return offer_id
    raise AssertionError("no visitor like Anna was offered a chat")


@pytest.fixture
def world(api: Api, dynamodb: Any, table_name: str) -> World:
    foreign_chat_id = _seed_other_site(api, dynamodb, table_name)
    offer_id = _offer(api)
    started = api.request(
        "POST",
        "/v1/chats",
        body={
            "visitor_id": "anna-chat",
            "session_id": "s-chat",
            "message": "Past deze laars?",
            "category": "herenschoenen",
        },
        headers=WIDGET,
    )
    assert started.status == 201, started
    assert started.json["status"] == "assigned", started
    agent_id = started.json["agent"]["agent_id"]
    other_agent = "mirjam" if agent_id == "sven" else "sven"
    world = World(
        api=api,
        chat_id=started.json["chat_id"],
        chat_token=started.json["chat_token"],
        survey_token=started.json["survey_token"],
        agent_id=agent_id,
        other_agent_id=other_agent,
        offer_id=offer_id,
        visitor_id="anna-chat",
        foreign_chat_id=foreign_chat_id,
    )
    expired = tokens.issue(
        Principal(sub=agent_id, site_id=DEMO_SITE, role="agent"),
        now=time.time() - 2 * tokens.LIFETIME_SECONDS,
    )
    chat = {"X-Chat-Token": world.chat_token}
    world.credentials = {
        "none": dict(JSON),
        "no-headers": {},
        "widget": dict(WIDGET),
        "widget+chat": {**WIDGET, **chat},
        "widget+survey-token": {**WIDGET, "X-Chat-Token": world.survey_token},
        "widget+chat-garbage": {**WIDGET, "X-Chat-Token": "v1.garbage.\x00ü"},
        "widget+chat-huge": {**WIDGET, "X-Chat-Token": "v1." + HUGE},
        "widget-other-site+chat": {**OTHER_WIDGET, **chat},
        "widget-bad-origin": {**WIDGET, **chat, "Origin": "https://evil.example"},
        "widget-unknown-key": {**WIDGET, "X-Site-Key": "nøt-a-kéy\x00"},
        "widget-huge-key": {**WIDGET, "X-Site-Key": HUGE},
        "agent": _bearer(api.token(sub=agent_id, role="agent")),
        "other-agent": _bearer(api.token(sub=other_agent, role="agent")),
        "unknown-agent": _bearer(api.token(sub="ghost", role="agent")),
        "operator": _bearer(api.token()),
        "agent-other-site": _bearer(api.token(site_id=OTHER_SITE, sub=agent_id, role="agent")),
        "operator-other-site": _bearer(api.token(site_id=OTHER_SITE)),
        "operator-unknown-site": _bearer(api.token(site_id="nosuchsite")),
        "widget+agent": {
            **WIDGET,
            **chat,
            "Authorization": f"Bearer {api.token(sub=agent_id, role='agent')}",
        },
        "forged": _bearer("x.y.z"),
        "expired": _bearer(expired),
        "bearer-only-scheme": {"Authorization": "Bearer ", **JSON},
        "bearer-unicode": {"Authorization": "Bearer ü.ñ\x00", **JSON},
        "bearer-huge": _bearer(HUGE),
        "basic": {"Authorization": "Basic dXNlcjpwYXNz", **JSON},
        "widget+forged": {**WIDGET, **chat, "Authorization": "Bearer x.y.z"},
    }
    return world


# --------------------------------------------------------------------------- what to send

VALID_BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/v1/events"): None,  # built per world (timestamps of now)
    ("DELETE", "/v1/visitors/{visitor_id}"): None,
    ("POST", "/v1/engagement/decide"): {"visitor_id": "anna-0", "session_id": "s-0", "idle_seconds": 30},
    ("POST", "/v1/engagement/offers/{offer_id}/response"): {"response": "accepted"},
    ("GET", "/v1/sites/{site_id}/opening-hours"): None,
    ("PUT", "/v1/sites/{site_id}/opening-hours"): {
        "timezone": "Europe/Amsterdam",
        "weekly": {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        "exceptions": {"2026-12-25": []},
    },
    ("GET", "/v1/sites/{site_id}/engagement-rules"): None,
    ("PUT", "/v1/sites/{site_id}/engagement-rules"): EngagementConfig.webshop_default().model_dump(
        mode="json"
    ),
    ("POST", "/v1/chats"): {"visitor_id": "v-hostile", "session_id": "s-hostile", "message": "Hallo"},
    ("GET", "/v1/chats/{chat_id}"): None,
    ("POST", "/v1/chats/{chat_id}/messages"): {"text": "Hallo"},
    ("GET", "/v1/chats/{chat_id}/context"): None,
    ("POST", "/v1/chats/{chat_id}/discounts"): {"percent": 5},
    ("POST", "/v1/chats/{chat_id}/end"): {"resolved": True},
    ("GET", "/v1/agents"): None,
    ("GET", "/v1/agents/{agent_id}"): None,
    ("PUT", "/v1/agents/{agent_id}"): {
        "display_name": "Sven",
        "categories": ["herenschoenen", "sneakers"],
        "max_chats": 2,
        "discount_mandate_percent": 10,
    },
    ("PUT", "/v1/agents/{agent_id}/status"): {"status": "available"},
    ("POST", "/v1/agents/{agent_id}/heartbeat"): None,
    ("POST", "/v1/surveys"): None,  # built per world (the chat and its token)
    ("GET", "/v1/reports/daily"): None,
    ("GET", "/v1/reports/daily.csv"): None,
    ("GET", "/v1/reports/staffing"): None,
    ("GET", "/v1/visitors/live"): None,
    ("GET", "/v1/visitors/{visitor_id}/decisions"): None,
    ("GET", "/v1/chats/{chat_id}/routing"): None,
    ("GET", "/v1/chats/{chat_id}/suggestions"): None,
    ("GET", "/v1/agents/{agent_id}/chats"): None,
    ("GET", "/v1/agents/{agent_id}/feedback"): None,
    ("GET", "/v1/feedback"): None,
    ("GET", "/v1/reports/agents"): None,
    ("GET", "/v1/reports/daily.html"): None,
    ("GET", "/v1/knowledge/entries"): None,
    ("PUT", "/v1/knowledge/entries/{entry_id}"): {
        "kind": "faq",
        "title": "Welke maat?",
        "body": "Kies bij twijfel de grotere maat.",
        "keywords": ["size"],
        "categories": ["dameslaarzen"],
        "stages": ["browsing"],
    },
    ("DELETE", "/v1/knowledge/entries/{entry_id}"): None,
}
RIGHT_CALLERS: dict[tuple[str, str], tuple[str, int]] = {
    ("POST", "/v1/events"): ("widget", 200),
    ("DELETE", "/v1/visitors/{visitor_id}"): ("operator", 200),
    ("POST", "/v1/engagement/decide"): ("widget", 200),
    ("POST", "/v1/engagement/offers/{offer_id}/response"): ("widget", 200),
    ("GET", "/v1/sites/{site_id}/opening-hours"): ("operator", 200),
    ("PUT", "/v1/sites/{site_id}/opening-hours"): ("operator", 200),
    ("GET", "/v1/sites/{site_id}/engagement-rules"): ("operator", 200),
    ("PUT", "/v1/sites/{site_id}/engagement-rules"): ("operator", 200),
    ("POST", "/v1/chats"): ("widget", 201),
    ("GET", "/v1/chats/{chat_id}"): ("widget+chat", 200),
    ("POST", "/v1/chats/{chat_id}/messages"): ("widget+chat", 201),
    ("GET", "/v1/chats/{chat_id}/context"): ("agent", 200),
    ("POST", "/v1/chats/{chat_id}/discounts"): ("agent", 201),
    ("POST", "/v1/chats/{chat_id}/end"): ("agent", 200),
    ("GET", "/v1/agents"): ("operator", 200),
    ("GET", "/v1/agents/{agent_id}"): ("operator", 200),
    ("PUT", "/v1/agents/{agent_id}"): ("operator", 200),
    ("PUT", "/v1/agents/{agent_id}/status"): ("agent", 200),
    ("POST", "/v1/agents/{agent_id}/heartbeat"): ("agent", 200),
    ("POST", "/v1/surveys"): ("widget", 201),
    ("GET", "/v1/reports/daily"): ("operator", 200),
    ("GET", "/v1/reports/daily.csv"): ("operator", 200),
    ("GET", "/v1/reports/staffing"): ("operator", 200),
    ("GET", "/v1/visitors/live"): ("agent", 200),
    ("GET", "/v1/visitors/{visitor_id}/decisions"): ("operator", 200),
    ("GET", "/v1/chats/{chat_id}/routing"): ("agent", 200),
    ("GET", "/v1/chats/{chat_id}/suggestions"): ("agent", 200),
    ("GET", "/v1/agents/{agent_id}/chats"): ("agent", 200),
    ("GET", "/v1/agents/{agent_id}/feedback"): ("agent", 200),
    ("GET", "/v1/feedback"): ("operator", 200),
    ("GET", "/v1/reports/agents"): ("operator", 200),
    ("GET", "/v1/reports/daily.html"): ("operator", 200),
    ("GET", "/v1/knowledge/entries"): ("agent", 200),
    ("PUT", "/v1/knowledge/entries/{entry_id}"): ("operator", 201),  # a new entry (below)
    ("DELETE", "/v1/knowledge/entries/{entry_id}"): ("operator", 200),  # one just made (below)
}
"""Who may make each route's valid request, and the success status it must get."""
VALID_QUERIES: dict[tuple[str, str], str] = {
    ("GET", "/v1/reports/daily"): "?from=2026-11-01&to=2026-11-22",
    ("GET", "/v1/reports/daily.csv"): "?from=2026-11-01&to=2026-11-22",
    ("GET", "/v1/reports/staffing"): "?weeks=4",
    ("GET", "/v1/reports/daily.html"): "?from=2026-11-01&to=2026-11-22",
    ("GET", "/v1/feedback"): "?since=2026-11-01T00:00:00Z&limit=10",
    ("GET", "/v1/visitors/{visitor_id}/decisions"): "?session_id=s-0&limit=10",
}


def valid_body(world: World, route: template.Route) -> Any:
    key = (route.method, route.path)
    if key == ("POST", "/v1/events"):
        now = datetime.now(UTC)
        return batch(
            event("page_view", at=now, url="https://shop.example/laarzen"),
            event("add_to_cart", at=now, category="dameslaarzen", value=329.95, currency="EUR"),
            visitor_id="v-hostile",
            session_id="s-hostile",
        )
    if key == ("POST", "/v1/surveys"):
        return {"chat_id": world.chat_id, "token": world.survey_token, "csat": 5, "nps": 9, "comment": "top"}
    body = VALID_BODIES[key]
    return json.loads(json.dumps(body))


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


RAW_BODIES: list[Any] = [
    "",
    " ",
    "not json",
    "{",
    "}",
    "{'single': 'quotes'}",
    '{"a": 1,}',
    "\x00",
    b"\xff\xfe\x00\x01",
    "\ufeff{}",
    "[]",
    "[1, 2, 3]",
    '"a string"',
    "1",
    "-1",
    "1e999",
    "null",
    "true",
    "NaN",
    "Infinity",
    "{}",
    '{"__proto__": {"admin": true}}',
    '{"a": "\\ud800"}',
    "[" * 50_000 + "]" * 50_000,
    '{"a":' * 50_000 + "1" + "}" * 50_000,
    json.dumps(nested(200)),
    json.dumps({"huge": HUGE}),
    "a" * 700_000,
]

BAD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    1.5,
    10**40,
    -(10**40),
    float("nan"),
    float("inf"),
    1e308,
    5e-324,
    "",
    " ",
    HUGE,
    "\x00",
    "a\x00b\x1f\x7f",
    "\ud800",
    "ü\u202eñ\u200b😀",
    "2026-02-30",
    "../../etc/passwd",
    "a#b",
    [],
    [None, 1, "a", {}],
    {},
    {"$ne": None},
    nested(40),
]

ODD_SEGMENTS: list[str] = [
    "%00",
    "a%00b",
    "..",
    ".",
    "%2e%2e",
    "a" * 101,
    "a" * 5_000,
    quote("üñï", safe=""),
    "ü",
    quote("😀", safe=""),
    quote("\u202e", safe=""),
    "%23",
    "a%23b",
    "a%2Fb",
    "%2F",
    "%ZZ",
    "%FF%FE",
    "%ED%A0%80",  # an encoded lone surrogate
    "%20",
    "a%0Ab",
    "-x",
    "null",
    "__proto__",
    "a;b",
    "a'b%22",
    "%25",
    "SITE%23demo",
    "demo%23PROFILE",
]

QUERY_GARBAGE: list[str] = [
    "?from=2026-02-30&to=2026-03-01",
    "?from=2026-13-01&to=2026-13-02",
    "?from=abc&to=def",
    "?from=&to=",
    "?from=2026-01-01",
    "?to=2026-01-01",
    "?from=2026-01-01&from=2025-01-01&to=2026-01-02",
    "?from=0001-01-01&to=0001-01-02",
    "?from=9999-12-30&to=9999-12-31",
    "?from=0001-01-01&to=9999-12-31",
    "?from=%00&to=%00",
    "?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z",
    "?from=20260101&to=20260102",
    "?from=" + "9" * 200 + "&to=2026-01-01",
    "?since=-1",
    "?since=0",
    "?since=abc",
    "?since=999999999",
    "?since=" + "9" * 40,
    "?since=" + "9" * 5_000,
    "?since=2026-02-30T00:00:00Z",
    "?since=2026-01-01T00:00:00",
    "?since=0001-01-01T00:00:00%2B14:00",
    "?since=9999-12-31T23:59:59-14:00",
    "?since=%00",
    "?since=%C3%BC",
    "?since=&since=1",
    "?weeks=0",
    "?weeks=-1",
    "?weeks=abc",
    "?weeks=1e3",
    "?weeks=1.5",
    "?weeks=" + "9" * 50,
    "?weeks=",
    "?%00=%00",
    "?" + "a" * 5_000 + "=1",
    "?%ZZ=%ZZ",
]


def _route(method: str, path: str) -> template.Route:
    return next(route for _, route in ROUTES if route.method == method and route.path == path)


def _takes_body(route: template.Route) -> bool:
    return route.method in ("POST", "PUT")


def _query(route: template.Route) -> str:
    return VALID_QUERIES.get((route.method, route.path), "")


def _mutations(body: Any) -> Iterable[Any]:
    """The valid body with one field (at the top, or one level down) set to each bad value, or
    left out, or the whole body wrapped."""
    yield [body]
    yield {"body": body}
    if not isinstance(body, dict):
        return
    for name, value in body.items():
        without = dict(body)
        del without[name]
        yield without
        for bad in BAD_VALUES:
            yield {**body, name: bad}
        if isinstance(value, dict) and value:
            inner = next(iter(value))
            for bad in BAD_VALUES[::3]:
                yield {**body, name: {**value, inner: bad}}
        if isinstance(value, list) and value:
            for bad in BAD_VALUES[::3]:
                yield {**body, name: [bad, *value[1:]]}
    yield {**body, "unexpected": HUGE}


# --------------------------------------------------------------------------- the tests


def test_every_template_route_is_covered() -> None:
    """A new route in template.yaml must join the battery (a valid body and query, if any, and
    the caller for whom it succeeds)."""
    assert {(route.method, route.path) for _, route in ROUTES} == set(VALID_BODIES) == set(RIGHT_CALLERS)


@pytest.mark.parametrize(("spec", "route"), ROUTES, ids=ROUTE_IDS)
def test_a_valid_request_of_the_right_caller_succeeds(
    world: World, spec: template.FunctionSpec, route: template.Route
) -> None:
    """Not answering 5xx is not enough: the battery's valid request gets its success status, so a
    route that refuses everything cannot pass the battery."""
    kind, status = RIGHT_CALLERS[(route.method, route.path)]
    body = valid_body(world, route)
    segments: dict[str, str] = {}
    if route.path == "/v1/knowledge/entries/{entry_id}":
        # An entry of this test's own, so the order of tests cannot make it exist or not.
        segments["entry_id"] = f"battery-{uuid.uuid4().hex[:12]}"
        if route.method == "DELETE":
            put = _route("PUT", route.path)
            made = world.path(put, **segments)
            world.call("PUT", made, body=valid_body(world, put), headers=world.credentials[kind], expect=201)
    if (route.method, route.path) == ("POST", "/v1/surveys"):
        body = _survey_of_an_ended_chat(world)
    path = world.path(route, **segments) + _query(route)
    world.call(route.method, path, body=body, headers=world.credentials[kind], expect=status)


def _survey_of_an_ended_chat(world: World) -> dict[str, Any]:
    """A survey is taken once its chat has ended: a chat of its own, started and ended."""
    visitor = f"v-survey-{uuid.uuid4().hex[:8]}"
    started = world.call(
        "POST",
        "/v1/chats",
        body={"visitor_id": visitor, "session_id": "s-1", "message": "Hallo"},
        headers=WIDGET,
        expect=201,
    )
    chat_id = started.json["chat_id"]
    ops = world.credentials["operator"]
    world.call("POST", f"/v1/chats/{chat_id}/end", body={"resolved": True}, headers=ops, expect=200)
    return {"chat_id": chat_id, "token": started.json["survey_token"], "csat": 5, "nps": 9, "comment": "top"}


@pytest.mark.parametrize(("spec", "route"), ROUTES, ids=ROUTE_IDS)
def test_every_credential_on_every_route(
    world: World, spec: template.FunctionSpec, route: template.Route
) -> None:
    """Each kind of caller, with a valid request and with a body of the wrong JSON type."""
    path = world.path(route) + _query(route)
    for headers in world.credentials.values():
        world.call(route.method, path, body=valid_body(world, route), headers=headers)
        if _takes_body(route):
            world.call(route.method, path, body=[], headers=headers)
            world.call(route.method, path, body="not json", headers=headers)
    # Real ids of the wrong kind or of the other site.
    for name in _parameters(route.path):
        for other in (world.foreign_chat_id, OTHER_SITE, world.other_agent_id, "ghost", world.chat_id):
            odd = world.path(route, **{name: quote(other, safe="")}) + _query(route)
            for kind in ("widget+chat", "agent", "operator", "operator-other-site", "agent-other-site"):
                world.call(route.method, odd, body=valid_body(world, route), headers=world.credentials[kind])


@pytest.mark.parametrize(
    ("spec", "route"),
    [r for r in ROUTES if _parameters(r[1].path)],
    ids=[i for i, r in zip(ROUTE_IDS, ROUTES, strict=True) if _parameters(r[1].path)],
)
def test_odd_path_parameters(world: World, spec: template.FunctionSpec, route: template.Route) -> None:
    for name in _parameters(route.path):
        for segment in ODD_SEGMENTS:
            path = world.path(route, **{name: segment}) + _query(route)
            for kind in ("none", "widget+chat", "agent", "operator"):
                world.call(route.method, path, body=valid_body(world, route), headers=world.credentials[kind])


BODY_ROUTES = [r for r in ROUTES if _takes_body(r[1])]
BODY_ROUTE_IDS = [i for i, r in zip(ROUTE_IDS, ROUTES, strict=True) if _takes_body(r[1])]
BODY_CALLERS = ("widget+chat", "agent", "operator")


@pytest.mark.parametrize(("spec", "route"), BODY_ROUTES, ids=BODY_ROUTE_IDS)
def test_hostile_bodies(world: World, spec: template.FunctionSpec, route: template.Route) -> None:
    """Bodies that are not JSON, JSON of the wrong type, fields of the wrong type or size, NUL and
    control characters, lone surrogates, NaN and huge numbers, deep nesting; each with the
    callers that get past authentication on some route (widget with its chat token, the chat's
    agent, the operator)."""
    path = world.path(route) + _query(route)
    for kind in BODY_CALLERS:
        headers = world.credentials[kind]
        world.call(route.method, path, body=None, headers=headers)
        for raw in RAW_BODIES:
            world.call(route.method, path, body=raw, headers=headers)
        for body in _mutations(valid_body(world, route)):
            world.call(route.method, path, body=json.dumps(body), headers=headers)


@pytest.mark.parametrize(
    ("spec", "route"),
    [r for r in ROUTES if r[1].method in ("GET", "DELETE")],
    ids=[i for i, r in zip(ROUTE_IDS, ROUTES, strict=True) if r[1].method in ("GET", "DELETE")],
)
def test_query_garbage(world: World, spec: template.FunctionSpec, route: template.Route) -> None:
    path = world.path(route)
    for query in QUERY_GARBAGE:
        for kind in ("widget+chat", "agent", "operator"):
            world.call(route.method, path + query, body=None, headers=world.credentials[kind])
    # A body on a route that takes none.
    world.call(route.method, path + _query(route), body="{" * 10_000, headers=world.credentials["operator"])


ODD_TEXTS = [value for value in BAD_VALUES if isinstance(value, str)]


def _expected_start(text: str, variant: int) -> int:
    """What POST /v1/chats answers variant 0 (the text as the message), 1 (also as category,
    skill and language) or 2 (also in the bot's transcript) of `test_odd_texts_reach_the_stores`."""
    if text == HUGE:
        return 422 if variant == 1 else 413  # a category of 60 at most; a message of 4,000
    if "\ud800" in text or (text and not text.strip()):
        return 422  # not UTF-8; a message of blanks only
    if text == "" and variant == 1:
        return 422  # an empty category
    return 201


def test_odd_texts_reach_the_stores(world: World, stream: StreamPump) -> None:
    """Strings the models accept (NUL and control characters, lone surrogates, bidi overrides,
    100 KB) stored and read back: each chat on a fresh session (one open chat per session) and
    each survey on a fresh chat (one survey per chat), so no 409 stops them early."""
    agent = world.credentials["agent"]
    ops = world.credentials["operator"]
    for n, text in enumerate(ODD_TEXTS):
        base: dict[str, Any] = {
            "visitor_id": f"odd-{n}",
            "session_id": f"s-odd-{n}",
            "message": text or "hoi",
        }
        variants: list[dict[str, Any]] = [
            base,
            {**base, "category": text, "skills": [text], "language": text},
            {**base, "transcript": [{"author": "bot", "text": text or "x", "at": "2026-11-22T20:14:05Z"}]},
        ]
        for m, variant in enumerate(variants):
            body = {**variant, "session_id": f"s-odd-{n}-{m}"}
            expected = _expected_start(text, m)
            started = world.call("POST", "/v1/chats", body=json.dumps(body), headers=WIDGET, expect=expected)
            if expected != 201:
                continue  # refused as it should be: no chat to go on with
            chat_id, headers = started.json["chat_id"], {**WIDGET, "X-Chat-Token": started.json["chat_token"]}
            world.call(
                "POST",
                f"/v1/chats/{chat_id}/messages",
                body=json.dumps({"text": text or "x"}),
                headers=headers,
                expect=201,
            )
            world.call("GET", f"/v1/chats/{chat_id}", headers=headers, expect=200)
            world.call("GET", f"/v1/chats/{chat_id}/context", headers=ops, expect=200)
            world.call("POST", f"/v1/chats/{chat_id}/end", body={"resolved": False}, headers=ops, expect=200)
            survey = {
                "chat_id": chat_id,
                "token": started.json["survey_token"],
                "csat": 1,
                "nps": 0,
                "ces": 7,
            }
            world.call(
                "POST",
                "/v1/surveys",
                body=json.dumps({**survey, "comment": text, "preferred_channel": text}),
                headers=WIDGET,
                expect=422,  # no text of these is one of the contract's channels
            )
            again = {**survey, "comment": text}
            world.call("POST", "/v1/surveys", body=json.dumps(again), headers=WIDGET, expect=201)
    world.call(
        "POST", f"/v1/chats/{world.chat_id}/messages", body=json.dumps({"text": "\x00\ud800"}), headers=agent
    )
    stream.drain()
    today = datetime.now(UTC).date()
    world.call("GET", "/v1/visitors/live", headers=ops)
    world.call("GET", f"/v1/reports/daily?from={today}&to={today}", headers=ops)
    world.call("GET", f"/v1/reports/daily.csv?from={today}&to={today}", headers=ops)
    world.call("GET", "/v1/reports/staffing?weeks=1", headers=ops)


TRANSCRIPT_TIMES: list[tuple[Any, set[int]]] = [
    ("2026-11-22T20:14:05", {422}),  # no zone
    ("0001-01-01T00:00:00Z", {201}),
    ("0001-01-01T00:00:00+14:00", {201}),
    ("9999-12-31T23:59:59-14:00", {201}),
    ("2026-11-22T20:14:05+23:59", {201}),
    ("1970-01-01T00:00:00Z", {201}),
    ("2026-02-30T00:00:00Z", {422}),
    ("tomorrow", {422}),
    (12345, {422}),  # a number is no time by the contract (ISO-8601 text)
    (-1e308, {422}),
    (None, {201}),  # no time: the chat's own
]
"""Transcript times, and what POST /v1/chats answers a hand-over with them."""


def test_chatbot_transcripts(world: World, stream: StreamPump) -> None:
    """A chatbot's hand-over with odd times, authors and sizes; then the chat is read, served,
    ended, surveyed, and reported on."""
    ops = world.credentials["operator"]
    line = {"author": "bot", "text": "Waarmee kan ik helpen?"}
    transcripts: list[tuple[list[Any], set[int]]] = [
        ([{**line, "at": at}, {"author": "visitor", "text": "Laarzen", "at": at}], expected)
        for at, expected in TRANSCRIPT_TIMES
    ]
    transcripts += [
        ([{**line, "author": "agent"}], {422}),
        ([{**line, "text": "x" * 4_001}], {413}),
        ([{**line, "text": "t" * 4_000}] * 100, {201}),
        ([line] * 101, {422}),
        ([{**line, "extra": 1}], {422}),
        ([{**line, "text": " \x00 "}], {201}),
    ]
    for n, (entries, expected) in enumerate(transcripts):
        body = {"visitor_id": f"bot-{n}", "session_id": f"s-{n}", "message": "hoi", "transcript": entries}
        started = world.call("POST", "/v1/chats", body=json.dumps(body), headers=WIDGET)
        assert started.status in expected, (n, started)
        if started.status != 201:
            continue  # refused as it should be: no chat to go on with
        chat_id = started.json["chat_id"]
        world.call(
            "GET",
            f"/v1/chats/{chat_id}",
            headers={**WIDGET, "X-Chat-Token": started.json["chat_token"]},
            expect=200,
        )
        world.call("GET", f"/v1/chats/{chat_id}?since=0001-01-01T00:00:00Z", headers=ops, expect=200)
        world.call("GET", f"/v1/chats/{chat_id}/context", headers=ops, expect=200)
        world.call("POST", f"/v1/chats/{chat_id}/end", body={"resolved": True}, headers=ops, expect=200)
        survey = {"chat_id": chat_id, "token": started.json["survey_token"], "csat": 4}
        world.call("POST", "/v1/surveys", body=survey, headers=WIDGET, expect=201)
    stream.drain()
    today = datetime.now(UTC).date()
    world.call("GET", "/v1/visitors/live", headers=ops)
    world.call("GET", f"/v1/reports/daily?from={today}&to={today}", headers=ops)
    world.call("GET", "/v1/reports/staffing?weeks=1", headers=ops)


def test_erasure_mid_chat(world: World, stream: StreamPump) -> None:
    """The visitor is erased (GDPR) while their chat is open, queued and offered: every route
    that may still name the chat, its agent, the offer or the visitor afterwards."""
    ops = world.credentials["operator"]
    agent = world.credentials["agent"]
    widget_chat = world.credentials["widget+chat"]
    # A second chat of the same visitor, queued behind a category nobody serves.
    queued = world.call(
        "POST",
        "/v1/chats",
        body={"visitor_id": world.visitor_id, "session_id": "s-queued", "message": "hoi", "category": "tuin"},
        headers=WIDGET,
        expect=201,
    )
    world.call("POST", f"/v1/chats/{world.chat_id}/discounts", body={"percent": 5}, headers=agent)
    stream.drain()
    for visitor in (world.visitor_id, "anna-0", "anna-1"):
        erased = world.call("DELETE", f"/v1/visitors/{visitor}", headers=ops)
        assert erased.status == 200, erased
    stream.drain()
    chat = f"/v1/chats/{world.chat_id}"
    for headers in (agent, ops, widget_chat, world.credentials["other-agent"]):
        world.call("GET", chat, headers=headers)
        world.call("GET", f"{chat}/context", headers=headers)
        world.call("POST", f"{chat}/messages", body={"text": "nog daar?"}, headers=headers)
        world.call("POST", f"{chat}/discounts", body={"percent": 5}, headers=headers)
    world.call("POST", "/v1/surveys", body=valid_body(world, _route("POST", "/v1/surveys")), headers=WIDGET)
    world.call(
        "POST",
        f"/v1/engagement/offers/{world.offer_id}/response",
        body={"response": "rejected"},
        headers=WIDGET,
    )
    world.call(
        "POST",
        "/v1/chats",
        body={"visitor_id": "anna-0", "session_id": "s-0", "offer_id": world.offer_id, "message": "hoi"},
        headers=WIDGET,
    )
    for path, body in (
        (f"/v1/agents/{world.agent_id}/heartbeat", None),
        (f"/v1/agents/{world.agent_id}/status", {"status": "away"}),
        (f"/v1/agents/{world.agent_id}/status", {"status": "offline"}),
        (f"/v1/agents/{world.agent_id}/status", {"status": "available"}),
        (f"/v1/agents/{world.other_agent_id}/status", {"status": "offline"}),
    ):
        world.call("PUT" if body else "POST", path, body=body, headers=ops if body else agent)
    world.call(
        "PUT",
        f"/v1/agents/{world.agent_id}",
        body={"display_name": "X", "categories": ["tuin"], "max_chats": 1},
        headers=ops,
    )
    world.call("GET", "/v1/agents", headers=ops)
    world.call("GET", f"/v1/agents/{world.agent_id}", headers=ops)
    world.call("POST", f"{chat}/end", body={"resolved": True}, headers=ops)
    world.call("GET", f"/v1/chats/{queued.json['chat_id']}", headers=ops)
    world.call("POST", f"/v1/chats/{queued.json['chat_id']}/end", body={"resolved": False}, headers=ops)
    stream.drain()
    today = datetime.now(UTC).date()
    world.call("GET", "/v1/visitors/live", headers=ops)
    world.call("GET", f"/v1/reports/daily?from={today}&to={today}", headers=ops)
    world.call("GET", "/v1/reports/staffing?weeks=1", headers=ops)


# ------------------------------------------------------------------ reports and the live view


def test_daily_report_ranges(world: World) -> None:
    ops = world.credentials["operator"]
    today = datetime.now(UTC).date()
    for suffix in ("", ".csv"):
        base = f"/v1/reports/daily{suffix}"
        full_year = world.call("GET", f"{base}?from={today - timedelta(days=365)}&to={today}", headers=ops)
        assert full_year.status == 200, full_year
        if not suffix:
            assert len(full_year.json["rows"]) == 366
        too_long = world.call("GET", f"{base}?from={today - timedelta(days=366)}&to={today}", headers=ops)
        assert too_long.status == 422, too_long
        backwards = world.call("GET", f"{base}?from={today}&to={today - timedelta(days=1)}", headers=ops)
        assert backwards.status == 422, backwards
        for start, end in ((date.min, date.min), (date.max, date.max), (date.min, date.max)):
            world.call("GET", f"{base}?from={start}&to={end}", headers=ops)
        # Leap days and the turn of a year in the site's zone.
        world.call("GET", f"{base}?from=2028-02-28&to=2028-03-01", headers=ops)
        world.call("GET", f"{base}?from=2026-12-31&to=2027-01-01", headers=ops)


def test_reports_and_live_view_after_traffic(world: World, stream: StreamPump) -> None:
    """With events, a decision, a chat, a discount, a survey and an ended chat behind them, and
    the table's stream delivered to the aggregation and the live board."""
    agent = world.credentials["agent"]
    world.call("POST", f"/v1/chats/{world.chat_id}/messages", body={"text": "Zeker!"}, headers=agent)
    world.call("POST", f"/v1/chats/{world.chat_id}/discounts", body={"percent": 5}, headers=agent)
    world.call("POST", f"/v1/chats/{world.chat_id}/end", body={"resolved": True}, headers=agent)
    world.call("POST", "/v1/surveys", body=valid_body(world, _route("POST", "/v1/surveys")), headers=WIDGET)
    stream.drain()
    today = datetime.now(UTC).date()
    for kind in ("operator", "agent", "other-agent", "operator-other-site", "unknown-agent"):
        headers = world.credentials[kind]
        world.call("GET", "/v1/visitors/live", headers=headers)
        world.call(
            "GET",
            f"/v1/reports/daily?from={today - timedelta(days=2)}&to={today + timedelta(days=2)}",
            headers=headers,
        )
        world.call("GET", f"/v1/reports/daily.csv?from={today}&to={today}", headers=headers)
        world.call("GET", "/v1/reports/staffing?weeks=26", headers=headers)
        world.call("GET", f"/v1/chats/{world.chat_id}/context", headers=headers)


# ------------------------------------------------------------------ engagement rules

RULE = EngagementConfig.webshop_default().model_dump(mode="json")["rules"][0]


def _rules(*rules: Any, **config: Any) -> dict[str, Any]:
    return {"rules": list(rules), **config}


ADVERSARIAL_RULES: list[Any] = [
    _rules(),
    _rules(RULE, RULE),  # duplicate ids
    _rules(*[{**RULE, "rule_id": f"r{n}"} for n in range(51)]),
    _rules(
        *[
            {
                **RULE,
                "rule_id": f"r{n}",
                "name": "n" * 200,
                "message": "m" * 500,
                "category": "c" * 100,
                "triggers": {
                    **RULE["triggers"],
                    "categories": [f"{n}-{i}-" + "c" * 90 for i in range(100)],
                    "url_patterns": [f"/{n}-{i}-" + "p" * 190 for i in range(50)],
                },
            }
            for n in range(50)
        ]
    ),
    _rules({**RULE, "triggers": {**RULE["triggers"], "min_cart_value": 1e308}}),
    _rules({**RULE, "triggers": {**RULE["triggers"], "min_cart_value": 1e-300}}),
    _rules({**RULE, "triggers": {**RULE["triggers"], "min_cart_value": 5e-324}}),
    _rules({**RULE, "triggers": {**RULE["triggers"], "min_cart_value": 10**400}}),
    _rules({**RULE, "triggers": {**RULE["triggers"], "min_cart_value": 0.1 + 0.2}}),
    _rules({**RULE, "triggers": {**RULE["triggers"], "min_purchase_intent": 5e-324}}),
    _rules({**RULE, "triggers": {**RULE["triggers"], "min_abandonment_risk": 1e-200}}),
    _rules({**RULE, "triggers": {**RULE["triggers"], "min_idle_seconds": -1}}),
    _rules({**RULE, "triggers": {**RULE["triggers"], "stages": ["nowhere"]}}),
    _rules({**RULE, "triggers": {**RULE["triggers"], "url_patterns": ["no-slash"]}}),
    _rules({**RULE, "triggers": {**RULE["triggers"], "url_patterns": ["/[", "*[!]", "/**/**/**", "/\x00"]}}),
    _rules({**RULE, "triggers": {**RULE["triggers"], "categories": [""]}}),
    _rules({**RULE, "triggers": {**RULE["triggers"], "unknown": 1}}),
    _rules({**RULE, "triggers": None}),
    _rules({**RULE, "rule_id": "a#b"}),
    _rules({**RULE, "rule_id": "\x00"}),
    _rules({**RULE, "message": ""}),
    _rules({**RULE, "message": "\x00\ud800😀"}),
    _rules({**RULE, "priority": 10**20}),
    _rules({**RULE, "max_expected_wait_seconds": float("inf")}),
    _rules(RULE, holdout_share=5e-324),
    _rules(RULE, holdout_share=float("nan")),
    _rules(RULE, holdout_share=0.5000000000000001),
    _rules(RULE, caps={"per_session": 0, "per_day": 0, "cooldown_after_reject_seconds": 0}),
    _rules(RULE, caps={"per_session": -1}),
    _rules(RULE, caps=None),
    _rules(RULE, special_days=["2026-02-30"]),
    _rules(RULE, special_days=["0001-01-01", "9999-12-31"]),
    _rules(RULE, special_days=[str(date(2026, 1, 1) + timedelta(days=n)) for n in range(201)]),
    _rules(RULE, special_days=[]),
    _rules(RULE, special_days=None),
    {"rules": None},
    {"rules": RULE},
    {"rules": [None]},
    {"rules": [[RULE]]},
]


def test_adversarial_engagement_rules(world: World) -> None:
    """Each body is put, then the rules are read back and a visitor like Anna asks `decide`, so a
    stored oddity reaches the reader and the decider too."""
    path = f"/v1/sites/{DEMO_SITE}/engagement-rules"
    _store_read_and_decide(world, path, ADVERSARIAL_RULES, "rv")


def _store_read_and_decide(world: World, path: str, bodies: list[Any], prefix: str) -> None:
    """Puts each body, reads it back, and lets a visitor like Anna ask `decide` under it, so a
    stored oddity reaches the reader and the decider too."""
    ops = world.credentials["operator"]
    start = datetime.now(UTC) - timedelta(minutes=2)
    for n, body in enumerate(bodies):
        world.call("PUT", path, body=json.dumps(body), headers=ops)
        world.call("GET", path, headers=ops)
        visitor = f"{prefix}-{n}"
        world.call(
            "POST", "/v1/events", body=batch(*anna_journey(start), visitor_id=visitor, session_id="s"),
            headers=WIDGET,
        )  # fmt: skip
        world.call(
            "POST",
            "/v1/engagement/decide",
            body={"visitor_id": visitor, "session_id": "s", "idle_seconds": 30,
                  "url": "https://shop.example/checkout/2"},
            headers=WIDGET,
        )  # fmt: skip


def test_adversarial_opening_hours(world: World) -> None:
    path = f"/v1/sites/{DEMO_SITE}/opening-hours"
    ops = world.credentials["operator"]
    bodies: list[Any] = [
        {"timezone": "Mars/Olympus_Mons"},
        {"timezone": "../../../etc/localtime"},
        {"timezone": "\x00"},
        {"timezone": "UTC", "weekly": {"mon": [["21:00", "08:00"]]}},
        {"timezone": "UTC", "weekly": {"mon": [["08:00", "12:00"], ["11:00", "13:00"]]}},
        {"timezone": "UTC", "weekly": {"mon": [["24:00", "24:00"]]}},
        {"timezone": "UTC", "weekly": {"mon": [["8:00", "9:00"]]}},
        {"timezone": "UTC", "weekly": {"funday": [["08:00", "09:00"]]}},
        {"timezone": "UTC", "weekly": {"mon": [["08:00"]]}},
        {"timezone": "UTC", "weekly": {"mon": [["08:00", "09:00", "10:00"]]}},
        {"timezone": "UTC", "weekly": {"mon": [[f"{h:02}:00", f"{h:02}:30"] for h in range(13)]}},
        {"timezone": "UTC", "exceptions": {"2026-02-30": []}},
        {"timezone": "UTC", "exceptions": {"0001-01-01": [], "9999-12-31": [["00:00", "24:00"]]}},
        {
            "timezone": "UTC",
            "exceptions": {str(date(2026, 1, 1) + timedelta(days=n)): [] for n in range(401)},
        },
        {
            "timezone": "Pacific/Kiritimati",
            "exceptions": {
                str(date(2026, 1, 1) + timedelta(days=n)): [[f"{h:02}:00", f"{h:02}:30"] for h in range(12)]
                for n in range(400)
            },
        },
        {"timezone": "Europe/Amsterdam", "weekly": {}, "exceptions": {}},
        {"timezone": "UTC", "extra": 1},
    ]
    _store_read_and_decide(world, path, bodies, "hv")
    today = datetime.now(UTC).date()
    world.call("GET", f"/v1/reports/daily?from={today}&to={today}", headers=ops)
    world.call("GET", "/v1/reports/staffing", headers=ops)


def test_hostile_events(world: World, stream: StreamPump) -> None:
    """Events the envelope accepts but whose content is hostile: every field of an event at
    every bad value, properties nested past DynamoDB's depth, odd ids, odd times; then the
    stream carries what was kept to the aggregation and the live board, which the reports and
    the live view read."""
    now = datetime.now(UTC)
    good = event(
        "add_to_cart", at=now, category="dameslaarzen", value=10.0, currency="EUR", url="https://x/y"
    )
    events: list[Any] = [
        {**good, "event_id": f"e-{n}-{name}", name: bad}
        for name in good
        if name != "event_id"
        for n, bad in enumerate(BAD_VALUES)
    ]
    events += [
        {**good, "event_id": "deep", "properties": nested(40)},
        {**good, "event_id": "deep2", "properties": {"a": nested(33)}},
        {**good, "event_id": "wide", "properties": {f"k{n}": n for n in range(2_000)}},
        {**good, "event_id": "keys", "properties": {"": 1, "\x00": 2, "\ud800": 3, "#": 4}},
        {**good, "event_id": "floats", "properties": {"big": 1e308, "tiny": 5e-324, "huge": 10**60}},
        {**good, "event_id": "old", "timestamp": "0001-01-01T00:00:00Z"},
        {**good, "event_id": "future", "timestamp": "9999-12-31T23:59:59Z"},
        {**good, "event_id": "zoneless", "timestamp": "2026-01-01T00:00:00"},
        {**good, "event_id": "offset", "timestamp": "2026-01-01T00:00:00+23:59"},
        {**good, "event_id": "url", "url": "javascript:alert(1)"},
        {**good, "event_id": "url2", "url": "https://x/" + "%00" * 600},
        {**good, "event_id": "step", "type": "checkout_step", "step": 100},
        {
            **good,
            "event_id": "purchase",
            "type": "purchase",
            "value": 1_000_000_000,
            "properties": {"discount_code": "\x00" * 50},
        },
        {**good, "event_id": "qty", "properties": {"quantity": 10**30}},
    ]
    headers = world.credentials["widget"]
    for start in range(0, len(events), 100):
        chunk = events[start : start + 100]
        for sent_at in (iso(now), "0001-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00"):
            body = {"visitor_id": "v-events", "session_id": "s-events", "sent_at": sent_at, "events": chunk}
            world.call("POST", "/v1/events", body=json.dumps(body), headers=headers)
    for visitor in ("v-events", "\x00", "a" * 101, "ü"):
        world.call(
            "POST", "/v1/events", body=json.dumps({**batch(good), "visitor_id": visitor}), headers=headers
        )
    world.call(
        "POST",
        "/v1/engagement/decide",
        body={"visitor_id": "v-events", "session_id": "s-events"},
        headers=headers,
    )
    stream.drain()
    ops = world.credentials["operator"]
    today = datetime.now(UTC).date()
    world.call("GET", "/v1/visitors/live", headers=ops)
    world.call(
        "GET",
        f"/v1/reports/daily?from={today - timedelta(days=1)}&to={today + timedelta(days=1)}",
        headers=ops,
    )
    world.call("GET", f"/v1/reports/daily.csv?from={today}&to={today}", headers=ops)
    world.call("DELETE", "/v1/visitors/v-events", headers=ops)
    stream.drain()
    world.call("GET", "/v1/visitors/live", headers=ops)


# ------------------------------------------------------------------ hypothesis

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**45), max_value=10**45)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)
SEGMENTS = st.text(min_size=0, max_size=120).map(lambda text: quote(text, safe=""))


def _draw_request(
    data: st.DataObject, world: World, routes: list[tuple[template.FunctionSpec, template.Route]]
) -> None:
    _, route = data.draw(st.sampled_from(routes), label="route")
    kind = data.draw(st.sampled_from(sorted(world.credentials)), label="credential")
    segments = {
        name: data.draw(st.one_of(st.just(quote(world.ids(name), safe="")), SEGMENTS), label=name)
        for name in _parameters(route.path)
    }
    query = data.draw(
        st.one_of(
            st.just(_query(route)),
            st.sampled_from(QUERY_GARBAGE),
            st.dictionaries(
                st.sampled_from(["from", "to", "since", "weeks"]), st.text(max_size=30), max_size=3
            ).map(lambda params: "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())),
        ),
        label="query",
    )
    body: Any = None
    if _takes_body(route):
        valid = valid_body(world, route)
        fields = sorted(valid) if isinstance(valid, dict) else []
        mutated = (
            st.sampled_from(fields).flatmap(
                lambda name: JSON_VALUES.map(lambda value: {**valid, name: value})
            )
            if fields
            else JSON_VALUES
        )
        body = data.draw(
            st.one_of(st.just(valid), mutated, JSON_VALUES, st.text(max_size=200)).map(
                lambda value: value if isinstance(value, str) else json.dumps(value)
            ),
            label="body",
        )
    world.call(
        route.method, world.path(route, **segments) + query, body=body, headers=world.credentials[kind]
    )


WIDGET_ROUTES = [r for r in ROUTES if not r[1].authorized]
AGENT_ROUTES = [r for r in ROUTES if r[1].authorized and r[1].path.startswith(("/v1/chats", "/v1/agents"))]
OPERATOR_ROUTES = [r for r in ROUTES if r[1].authorized and r[1] not in {a for _, a in AGENT_ROUTES}]


@pytest.mark.parametrize(
    "routes",
    [WIDGET_ROUTES, AGENT_ROUTES, OPERATOR_ROUTES],
    ids=["widget-routes", "agent-routes", "operator-routes"],
)
def test_drawn_requests(world: World, routes: list[tuple[template.FunctionSpec, template.Route]]) -> None:
    assert routes

    @HYPOTHESIS
    @given(data=st.data())
    def one(data: st.DataObject) -> None:
        _draw_request(data, world, routes)

    one()
