"""What the console reads through the route handler, in process, against moto: an agent's inbox
(open chats and the queue they may serve) and a chat's routing record — for the agent and the
site's operators only, never another site."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from klantreis.sites import Site
from klantreis_local.runtime import DEMO_SITE, DEMO_SITE_KEY
from route import dependencies
from route.handler import lambda_handler as route
from tests.factories import FakeContext, api_event

WIDGET = {"X-Site-Key": DEMO_SITE_KEY, "Origin": "http://127.0.0.1:3000"}
OPS = {"sub": "ops", "site_id": DEMO_SITE, "role": "operator"}
MIRJAM = {"sub": "mirjam", "site_id": DEMO_SITE, "role": "agent"}
SVEN = {"sub": "sven", "site_id": DEMO_SITE, "role": "agent"}
OTHER_OPS = {"sub": "ops", "site_id": "other-shop", "role": "operator"}


@pytest.fixture(autouse=True)
def _fresh_services() -> Iterator[None]:
    dependencies.reset()
    yield
    dependencies.reset()


def get(path: str, claims: dict[str, str], resource: str, **params: str) -> tuple[int, Any]:
    answer = route(
        api_event("GET", path, claims=claims, path_parameters=params, resource=resource), FakeContext()
    )
    return answer["statusCode"], json.loads(answer["body"])


def inbox(agent_id: str, claims: dict[str, str]) -> tuple[int, Any]:
    return get(f"/v1/agents/{agent_id}/chats", claims, "/v1/agents/{agent_id}/chats", agent_id=agent_id)


def routing(chat_id: str, claims: dict[str, str]) -> tuple[int, Any]:
    return get(f"/v1/chats/{chat_id}/routing", claims, "/v1/chats/{chat_id}/routing", chat_id=chat_id)


def start(visitor_id: str, category: str) -> dict[str, Any]:
    body = {"visitor_id": visitor_id, "session_id": "s-1", "category": category, "message": "Hallo"}
    started = route(api_event("POST", "/v1/chats", body=body, headers=WIDGET), FakeContext())
    assert started["statusCode"] == 201, started["body"]
    chat: dict[str, Any] = json.loads(started["body"])
    return chat


def test_the_inbox_holds_the_agents_chats_and_the_queue_they_may_serve(demo_site: Site) -> None:
    # given three boot chats: mirjam (two slots, the only one serving boots) takes two, one waits
    chats = [start(f"v-{n}", "dameslaarzen") for n in range(3)]
    assert [c["status"] for c in chats] == ["assigned", "assigned", "queued"]
    # when mirjam and sven read their inboxes
    status, mirjams = inbox("mirjam", MIRJAM)
    _, svens = inbox("sven", SVEN)
    # then mirjam sees her two chats, oldest first, and the queued boot chat; sven neither
    assert status == 200
    assert [c["chat_id"] for c in mirjams["assigned"]] == [chats[0]["chat_id"], chats[1]["chat_id"]]
    assert [c["chat_id"] for c in mirjams["queue"]] == [chats[2]["chat_id"]]
    waiting = mirjams["queue"][0]
    assert (waiting["status"], waiting["category"]) == ("queued", "dameslaarzen")
    assert waiting["waiting_seconds"] >= 0
    assert (svens["assigned"], svens["queue"]) == ([], [])


def test_an_inbox_is_for_its_agent_and_the_sites_operators(demo_site: Site) -> None:
    assert inbox("mirjam", OPS)[0] == 200
    status, refused = inbox("mirjam", SVEN)
    assert (status, refused["error"]["code"]) == (403, "forbidden")
    assert inbox("mirjam", OTHER_OPS)[0] == 404
    assert inbox("nobody", OPS)[0] == 404


def test_the_routing_record_names_every_candidate_and_the_winner(demo_site: Site) -> None:
    # given a boot chat routed to mirjam
    chat = start("v-route", "dameslaarzen")
    # when her operator reads its routing record
    status, answer = routing(chat["chat_id"], OPS)
    # then it says it was assigned to mirjam, why, and with which candidates' scores
    assert status == 200
    (record,) = answer["records"]
    assert (record["outcome"], record["agent_id"]) == ("assigned", "mirjam")
    assert record["reason"]
    assert record["candidates"][0]["agent_id"] == "mirjam"
    # and mirjam may read it, sven may not, another site does not find the chat
    assert routing(chat["chat_id"], MIRJAM)[0] == 200
    assert routing(chat["chat_id"], SVEN)[0] == 403
    assert routing(chat["chat_id"], OTHER_OPS)[0] == 404
