"""What the console reads through the route and engage handlers, in process, against moto: an
agent's inbox (open chats and the queue they may serve), a chat's routing record and a visitor's
decision log — for the agent and the site's operators only, never another site."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from chat.handler import lambda_handler as chat_api
from engage.handler import lambda_handler as engage
from klantreis import services
from klantreis.sites import Site
from klantreis_local.runtime import DEMO_SITE, DEMO_SITE_KEY
from route.handler import lambda_handler as route
from tests.factories import FakeContext, anna_journey, api_event, batch
from track.handler import lambda_handler as track

WIDGET = {"X-Site-Key": DEMO_SITE_KEY, "Origin": "http://127.0.0.1:3000"}
OPS = {"sub": "ops", "site_id": DEMO_SITE, "role": "operator"}
MIRJAM = {"sub": "mirjam", "site_id": DEMO_SITE, "role": "agent"}
SVEN = {"sub": "sven", "site_id": DEMO_SITE, "role": "agent"}
OTHER_OPS = {"sub": "ops", "site_id": "other-shop", "role": "operator"}


@pytest.fixture(autouse=True)
def _fresh_services() -> Iterator[None]:
    services.forget()
    yield
    services.forget()


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
    started = chat_api(api_event("POST", "/v1/chats", body=body, headers=WIDGET), FakeContext())
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


def test_the_inbox_shows_the_abandonment_risk_of_the_sessions_latest_decision(demo_site: Site) -> None:
    # given Anna's journey to checkout step 2, a decision on it, and her chat; and a chat of a
    # visitor without any decision
    tracked = track(
        api_event("POST", "/v1/events", body=batch(*anna_journey(), visitor_id="anna-risk"), headers=WIDGET),
        FakeContext(),
    )
    assert tracked["statusCode"] == 200, tracked["body"]
    decided = decide("anna-risk", "s-1")
    anna = start("anna-risk", "dameslaarzen")
    silent = start("v-silent", "dameslaarzen")
    # when mirjam reads her inbox
    _, mirjams = inbox("mirjam", MIRJAM)
    # then Anna's chat carries the risk the decision log holds, the other chat none
    _, log = decisions("anna-risk", OPS)
    [latest] = log["decisions"]
    assert latest["abandonment_risk"] is not None
    assert latest["score"] == decided["score"]
    risks = {c["chat_id"]: c["abandonment_risk"] for c in mirjams["assigned"]}
    assert risks == {anna["chat_id"]: latest["abandonment_risk"], silent["chat_id"]: None}


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


def decide(visitor_id: str, session_id: str) -> dict[str, Any]:
    body = {"visitor_id": visitor_id, "session_id": session_id, "idle_seconds": 30}
    answer = engage(api_event("POST", "/v1/engagement/decide", body=body, headers=WIDGET), FakeContext())
    assert answer["statusCode"] == 200, answer["body"]
    decided: dict[str, Any] = json.loads(answer["body"])
    return decided


def decisions(visitor_id: str, claims: dict[str, str], query: str = "") -> tuple[int, Any]:
    event = api_event(
        "GET", f"/v1/visitors/{visitor_id}/decisions", claims=claims,
        path_parameters={"visitor_id": visitor_id}, resource="/v1/visitors/{visitor_id}/decisions",
    )  # fmt: skip
    if query:
        pairs = dict(pair.split("=", 1) for pair in query.split("&"))
        event["queryStringParameters"] = pairs
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in pairs.items()}
    answer = engage(event, FakeContext())
    return answer["statusCode"], json.loads(answer["body"])


def test_the_decision_log_of_a_visitor_and_of_one_session(demo_site: Site) -> None:
    # given Anna's journey and three decisions on two sessions
    tracked = track(
        api_event("POST", "/v1/events", body=batch(*anna_journey(), visitor_id="anna-log"), headers=WIDGET),
        FakeContext(),
    )
    assert tracked["statusCode"] == 200, tracked["body"]
    first = decide("anna-log", "s-1")
    decide("anna-log", "s-1")
    decide("anna-log", "s-2")
    # when the operator reads the visitor's log, then one session's
    status, every = decisions("anna-log", OPS)
    _, one = decisions("anna-log", OPS, "session_id=s-2")
    # then every decision is there, newest first, with reason, scores and top features
    assert status == 200
    assert len(every["decisions"]) == 3
    oldest = every["decisions"][-1]
    assert (oldest["reason"], oldest["score"]) == (first["reason"], first["score"])
    assert oldest["top_features"]
    assert {"feature", "value", "effect"} <= set(oldest["top_features"][0])
    assert [d["session_id"] for d in one["decisions"]] == ["s-2"]
    assert decisions("anna-log", OPS, "limit=1")[1]["decisions"][0]["at"] == every["decisions"][0]["at"]


def test_the_decision_log_is_the_sites_operators_only(demo_site: Site) -> None:
    decide("anna-log", "s-1")
    assert decisions("anna-log", MIRJAM)[0] == 403
    status, other = decisions("anna-log", OTHER_OPS)
    assert (status, other["decisions"]) == (200, [])
    assert decisions("anna-log", OPS, "limit=0")[0] == 422
