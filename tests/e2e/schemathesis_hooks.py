"""Schemathesis hooks for the local stack (loaded through SCHEMATHESIS_HOOKS by
tests/e2e/test_schemathesis.py): the right credentials per operation, and the ids of what earlier
answers created, so chats, offers, surveys and agents are exercised past their 404s.

- Widget routes get the demo site key and an allowed Origin; a chat's widget routes also its chat
  token (from the POST /v1/chats answer); agent routes the bearer token of the chat's agent;
  operator routes the operator's. Tokens come from the stack's own GET /dev/token.
- In positive cases, generated ids are swapped, about half the time, for ids the run created
  (chats, offers) or the demo's (site `demo`, agents `mirjam` and `sven`), and a survey's token
  for its chat's survey token; `decide` and new chats are sometimes asked for the visitors the
  test tracked with Anna's journey (never erased here, so their chats live on). The choice is
  seeded, so a run repeats.
"""

from __future__ import annotations

import os
import random
from typing import Any

import requests
import schemathesis

BASE_URL = os.environ.get("KLANTREIS_BASE_URL", "http://127.0.0.1:3000")
WIDGET = {"X-Site-Key": "demo-site-key", "Origin": os.environ.get("KLANTREIS_ORIGIN", BASE_URL)}
WIDGET_ROUTES = {
    ("POST", "/v1/events"),
    ("POST", "/v1/engagement/decide"),
    ("POST", "/v1/engagement/offers/{offer_id}/response"),
    ("POST", "/v1/chats"),
    ("POST", "/v1/surveys"),
}
SHARED_CHAT_ROUTES = {("GET", "/v1/chats/{chat_id}"), ("POST", "/v1/chats/{chat_id}/messages")}
AGENTS = ["mirjam", "sven"]
QUALIFIED_VISITORS = [f"anna-{n}" for n in range(int(os.environ.get("KLANTREIS_QUALIFIED_VISITORS", "0")))]
"""Visitors the test tracked with Anna's journey (session `s-1`): `decide` offers them a chat."""
REAL_ID_SHARE = 0.5

chats: dict[str, dict[str, Any]] = {}
"""chat_id -> the POST /v1/chats answer (tokens, agent)."""
offers: list[str] = []
choose = random.Random(int(os.environ.get("KLANTREIS_HOOKS_SEED", "20261204")))
_tokens: dict[tuple[str, str], str] = {}


def bearer(sub: str, role: str) -> dict[str, str]:
    if (sub, role) not in _tokens:
        answer = requests.get(
            f"{BASE_URL}/dev/token", params={"site_id": "demo", "sub": sub, "role": role}, timeout=10
        )
        answer.raise_for_status()
        _tokens[(sub, role)] = answer.json()["token"]
    return {"Authorization": f"Bearer {_tokens[(sub, role)]}"}


def chat_agent(chat_id: Any) -> str | None:
    agent = (chats.get(chat_id) or {}).get("agent") or {}
    found: str | None = agent.get("agent_id")
    return found


def credentials(method: str, path: str, path_parameters: dict[str, Any]) -> dict[str, str]:
    chat_id = path_parameters.get("chat_id")
    if (method, path) in WIDGET_ROUTES:
        return dict(WIDGET)
    if (method, path) in SHARED_CHAT_ROUTES:
        if chat_id in chats:
            return {**WIDGET, "X-Chat-Token": chats[chat_id]["chat_token"]}
        return dict(WIDGET)
    if path == "/v1/chats/{chat_id}/discounts":
        return bearer(chat_agent(chat_id) or "mirjam", "agent")
    if path in ("/v1/chats/{chat_id}/context", "/v1/chats/{chat_id}/end"):
        agent = chat_agent(chat_id)
        return bearer(agent, "agent") if agent else bearer("ops", "operator")
    if path == "/v1/agents/{agent_id}/heartbeat":
        agent_id = path_parameters.get("agent_id")
        return bearer(agent_id if agent_id in AGENTS else "mirjam", "agent")
    return bearer("ops", "operator")


@schemathesis.auth()
class KlantreisAuth:
    """Credentials per operation (schemathesis' ignored_auth check removes them again), after a
    positive case's ids have been swapped for real ones. A negative case is left as generated:
    a swap could make it valid."""

    def get(self, case: Any, context: Any) -> str:
        return "per-operation"

    def set(self, case: Any, data: str, context: Any) -> None:
        if case.meta is None or case.meta.generation.mode.is_positive:
            case.path_parameters = swap_ids(case.path_parameters)
            case.body = swap_body(case.operation.path, case.body)
        case.path_parameters = literal_percent(case.path_parameters)
        found = credentials(case.method.upper(), case.operation.path, dict(case.path_parameters or {}))
        case.headers = {**(case.headers or {}), **found}


def literal_percent(path_parameters: dict[str, Any] | None) -> dict[str, Any] | None:
    """A generated `%` sent as `%25`: schemathesis puts path values in the URL without encoding
    `%`, and the API decodes a path id once (RFC 3986), so `a%40b` would name `a@b` instead of
    the value generated."""
    if not path_parameters:
        return path_parameters
    return {
        name: value.replace("%", "%25") if isinstance(value, str) else value
        for name, value in path_parameters.items()
    }


def _sometimes(real: list[str]) -> str | None:
    if real and choose.random() < REAL_ID_SHARE:
        return choose.choice(real)
    return None


def swap_ids(path_parameters: dict[str, Any] | None) -> dict[str, Any] | None:
    real = {"chat_id": list(chats), "offer_id": offers, "agent_id": AGENTS, "site_id": ["demo"]}
    for name in path_parameters or {}:
        swapped = _sometimes(real.get(name, []))
        if swapped is not None:
            path_parameters[name] = swapped  # type: ignore[index]
    return path_parameters


def swap_body(path: str, body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    if path == "/v1/surveys":
        chat_id = _sometimes(list(chats))
        if chat_id is not None:
            body.update(chat_id=chat_id, token=chats[chat_id]["survey_token"])
    elif path in ("/v1/engagement/decide", "/v1/chats"):
        visitor = _sometimes(QUALIFIED_VISITORS)
        if visitor is not None:
            body.update(visitor_id=visitor, session_id="s-1")
            if path == "/v1/engagement/decide":
                body.update(idle_seconds=30, consent=True)
        if path == "/v1/chats" and "offer_id" in body:
            body["offer_id"] = _sometimes(offers) or body["offer_id"]
    return body


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    path = case.operation.path
    if response.status_code == 201 and path == "/v1/chats" and case.method.upper() == "POST":
        answer = response.json()
        chats[answer["chat_id"]] = answer
    elif response.status_code == 200 and path == "/v1/engagement/decide" and case.method.upper() == "POST":
        offer_id = response.json().get("offer_id")
        if offer_id:
            offers.append(offer_id)
