"""The knowledge base and a chat's answer suggestions through the route handler, in process,
against moto: operators keep the entries, agents read them, nobody of another site sees them, bad
bodies change nothing, and an open chat's suggestions follow what the visitor asks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chat.handler import lambda_handler as chat_api
from klantreis import services
from klantreis.knowledge.models import MAX_BODY_CHARS
from klantreis.sites import Site
from klantreis_local.demo_knowledge import DEMO_ENTRIES
from klantreis_local.runtime import DEMO_SITE, DEMO_SITE_KEY
from route import dependencies
from route.handler import app
from route.handler import lambda_handler as route
from tests.factories import FakeContext, api_event
from tests.fakes.knowledge import InMemoryKnowledgeStore

WIDGET = {"X-Site-Key": DEMO_SITE_KEY, "Origin": "http://127.0.0.1:3000"}
OPS = {"sub": "ops", "site_id": DEMO_SITE, "role": "operator"}
MIRJAM = {"sub": "mirjam", "site_id": DEMO_SITE, "role": "agent"}
SVEN = {"sub": "sven", "site_id": DEMO_SITE, "role": "agent"}
OTHER_OPS = {"sub": "ops", "site_id": "other-shop", "role": "operator"}
ENTRY = {
    "kind": "faq",
    "title": "Kan ik met een cadeaubon betalen?",
    "body": "Ja, vul de code van de bon in bij stap 2 van het afrekenen.",
    "keywords": ["gift card", "voucher"],
    "stages": ["checkout"],
}


@pytest.fixture(autouse=True)
def _fresh_services() -> Iterator[None]:
    services.forget()
    yield
    services.forget()


def call(
    method: str, path: str, claims: dict[str, str] | None, body: Any = None, **params: str
) -> tuple[int, Any]:
    path, _, query = path.partition("?")
    resource = path
    for name, value in params.items():
        resource = resource.replace(value, f"{{{name}}}")
    event = api_event(
        method, path, body=body, claims=claims, path_parameters=params or None, resource=resource
    )
    if query:
        pairs = dict(pair.split("=", 1) for pair in query.split("&"))
        event["queryStringParameters"] = pairs
        event["multiValueQueryStringParameters"] = {name: [value] for name, value in pairs.items()}
    answer = route(event, FakeContext())
    return answer["statusCode"], json.loads(answer["body"]) if answer["body"] else None


def entry_path(entry_id: str) -> str:
    return f"/v1/knowledge/entries/{entry_id}"


def test_the_demo_site_is_seeded_and_its_agents_read_it(demo_site: Site) -> None:
    status, answer = call("GET", "/v1/knowledge/entries", MIRJAM)
    assert status == 200
    assert {e["entry_id"] for e in answer["entries"]} == set(DEMO_ENTRIES)


def test_an_operator_creates_replaces_and_deletes_an_entry(demo_site: Site) -> None:
    # when the operator puts a new entry, then replaces it
    created, stored = call("PUT", entry_path("cadeaubon-betalen"), OPS, ENTRY, entry_id="cadeaubon-betalen")
    replaced, again = call(
        "PUT", entry_path("cadeaubon-betalen"), OPS, {**ENTRY, "kind": "canned"}, entry_id="cadeaubon-betalen"
    )
    # then it is created once and replaced after, and listed with its kind
    assert (created, replaced) == (201, 200)
    assert (stored["kind"], again["kind"]) == ("faq", "canned")
    _, canned = call("GET", "/v1/knowledge/entries?kind=canned", MIRJAM)
    assert "cadeaubon-betalen" in {e["entry_id"] for e in canned["entries"]}
    assert all(e["kind"] == "canned" for e in canned["entries"])
    # when deleted, it is gone, and a second delete finds nothing
    assert call("DELETE", entry_path("cadeaubon-betalen"), OPS, entry_id="cadeaubon-betalen")[0] == 200
    status, missing = call("DELETE", entry_path("cadeaubon-betalen"), OPS, entry_id="cadeaubon-betalen")
    assert (status, missing["error"]["code"]) == (404, "not_found")


def test_agents_read_but_do_not_write(demo_site: Site) -> None:
    assert call("PUT", entry_path("maten"), MIRJAM, ENTRY, entry_id="maten")[0] == 403
    assert call("DELETE", entry_path("maten"), MIRJAM, entry_id="maten")[0] == 403
    assert call("GET", "/v1/knowledge/entries", None)[0] == 401


def test_another_sites_operator_sees_and_changes_nothing_of_the_demo(demo_site: Site) -> None:
    status, answer = call("GET", "/v1/knowledge/entries", OTHER_OPS)
    assert (status, answer["entries"]) == (200, [])
    assert call("DELETE", entry_path("maten"), OTHER_OPS, entry_id="maten")[0] == 404
    _, demo = call("GET", "/v1/knowledge/entries", MIRJAM)
    assert "maten" in {e["entry_id"] for e in demo["entries"]}


@pytest.mark.parametrize(
    "body",
    [
        {**ENTRY, "title": "   "},
        {**ENTRY, "body": "x" * (MAX_BODY_CHARS + 1)},
        {**ENTRY, "kind": "wiki"},
        {**ENTRY, "stages": ["paid"]},
        {**ENTRY, "keywords": [1]},
        {**ENTRY, "language": "de"},
        {**ENTRY, "unknown": True},
        {key: value for key, value in ENTRY.items() if key != "body"},
    ],
)
def test_bad_entries_are_refused_and_change_nothing(demo_site: Site, body: dict[str, Any]) -> None:
    status, answer = call("PUT", entry_path("maten"), OPS, body, entry_id="maten")
    assert (status, answer["error"]["code"]) == (422, "validation_failed")
    _, listed = call("GET", "/v1/knowledge/entries", OPS)
    (maten,) = [e for e in listed["entries"] if e["entry_id"] == "maten"]
    assert maten["title"] == DEMO_ENTRIES["maten"].title


def start_chat(message: str) -> dict[str, Any]:
    body = {"visitor_id": "anna-kb", "session_id": "s-1", "category": "dameslaarzen", "message": message}
    started = chat_api(api_event("POST", "/v1/chats", body=body, headers=WIDGET), FakeContext())
    assert started["statusCode"] == 201, started["body"]
    chat: dict[str, Any] = json.loads(started["body"])
    return chat


def test_suggestions_follow_the_visitors_latest_question(demo_site: Site) -> None:
    # given a chat with mirjam that opened on sizes
    chat = start_chat("Vallen deze laarzen klein? Ik twijfel over de maat")
    chat_id = chat["chat_id"]
    assert chat["agent"]["agent_id"] == "mirjam"
    path = f"/v1/chats/{chat_id}/suggestions"
    status, first = call("GET", path, MIRJAM, chat_id=chat_id)
    assert status == 200
    assert first["suggestions"][0]["entry_id"] == "maten"
    assert "maat" in first["suggestions"][0]["matched_terms"]
    # when the visitor then asks about paying
    headers = {**WIDGET, "X-Chat-Token": chat["chat_token"]}
    said = chat_api(
        api_event(
            "POST", f"/v1/chats/{chat_id}/messages", body={"text": "Kan ik achteraf betalen met Klarna?"},
            headers=headers, path_parameters={"chat_id": chat_id}, resource="/v1/chats/{chat_id}/messages",
        ),
        FakeContext(),
    )  # fmt: skip
    assert said["statusCode"] == 201, said["body"]
    # then the suggestions move to it, at most as many as asked for
    _, second = call("GET", f"{path}?limit=2", MIRJAM, chat_id=chat_id)
    assert second["suggestions"][0]["entry_id"] == "achteraf"
    assert len(second["suggestions"]) <= 2


def test_suggestions_are_for_the_chats_agent_and_its_site_only(demo_site: Site) -> None:
    chat_id = start_chat("Wat kost de verzending?")["chat_id"]
    path = f"/v1/chats/{chat_id}/suggestions"
    assert call("GET", path, SVEN, chat_id=chat_id)[0] == 403
    assert call("GET", path, OTHER_OPS, chat_id=chat_id)[0] == 404
    assert call("GET", path, OPS, chat_id=chat_id)[0] == 200
    assert call("GET", f"{path}?limit=0", MIRJAM, chat_id=chat_id)[0] == 422


def test_the_routes_take_their_store_from_the_provider_a_test_can_swap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given the knowledge store swapped for the fake (no table at all)
    fake = InMemoryKnowledgeStore()
    monkeypatch.setitem(app.dependency_overrides, dependencies.knowledge_store, lambda: fake)
    # when an operator writes an entry and an agent reads the base
    created, _ = call("PUT", entry_path("gift-cards"), OPS, ENTRY, entry_id="gift-cards")
    status, body = call("GET", "/v1/knowledge/entries", MIRJAM)
    # then both went to the fake
    assert (created, status) == (201, 200)
    assert [e["entry_id"] for e in body["entries"]] == ["gift-cards"]
    assert [e.entry_id for e in fake.entries(DEMO_SITE)] == ["gift-cards"]
