"""Survey feedback as it arrives, through the report handler, in process, against moto: each
stored survey is listed for the site's operators at once (newest first, `since` for polling) and
for its agent; another agent or site sees none of it, and erasing the visitor erases it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from klantreis import services
from klantreis.agents.dynamo_store import DynamoAgentStore
from klantreis.conversations.models import Chat, RoutingRecord, SurveyAnswers
from klantreis.conversations.ports import chat_agent
from klantreis.journey.erasure import DynamoVisitorEraser
from klantreis.sites import Site
from klantreis_local.runtime import DEMO_SITE
from report.handler import lambda_handler as report
from tests.chat_tables import DynamoChatStore
from tests.factories import FakeContext, api_event

OPS = {"sub": "ops", "site_id": DEMO_SITE, "role": "operator"}
MIRJAM = {"sub": "mirjam", "site_id": DEMO_SITE, "role": "agent"}
SVEN = {"sub": "sven", "site_id": DEMO_SITE, "role": "agent"}
OTHER_OPS = {"sub": "ops", "site_id": "other-shop", "role": "operator"}
T0 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_services() -> Iterator[None]:
    services.forget()
    yield
    services.forget()


def surveyed(
    db: Any, table: str, chat_id: str, *, agent_id: str, visitor_id: str, at: datetime, **answers: Any
) -> None:
    """A chat served by `agent_id`, ended, then surveyed at `at`."""
    agent = DynamoAgentStore(db, table).get(DEMO_SITE, agent_id)
    assert agent is not None
    chats = DynamoChatStore(db, table)
    chat = Chat(
        site_id=DEMO_SITE, chat_id=chat_id, visitor_id=visitor_id, session_id="s-1", category="dameslaarzen",
        status="assigned", agent=chat_agent(agent), created_at=at - timedelta(minutes=10),
        assigned_at=at - timedelta(minutes=9), day=at.date().isoformat(),
    )  # fmt: skip
    record = RoutingRecord(at=at, outcome="assigned", agent_id=agent_id, strategy="predictive", reason="t")
    chats.create_assigned(chat, agent, record, None)
    chats.end(chat, at - timedelta(minutes=1), resolved=True, release=True)
    chats.add_survey(chat, SurveyAnswers(**answers), at, at.date().isoformat())


def get(
    path: str, claims: dict[str, str], query: dict[str, str] | None = None, **params: str
) -> tuple[int, Any]:
    resource = path.replace(params.get("agent_id", "\0"), "{agent_id}")
    event = api_event("GET", path, claims=claims, path_parameters=params or None, resource=resource)
    event["queryStringParameters"] = query
    answer = report(event, FakeContext())
    return answer["statusCode"], json.loads(answer["body"])


def test_operators_see_each_survey_newest_first_and_poll_for_new_ones(
    demo_site: Site, dynamodb: Any, table_name: str
) -> None:
    # given a survey of mirjam's chat, then one of sven's
    surveyed(
        dynamodb,
        table_name,
        "c-1",
        agent_id="mirjam",
        visitor_id="anna",
        at=T0,
        csat=5,
        nps=10,
        comment="Top hulp!",
    )
    surveyed(
        dynamodb,
        table_name,
        "c-2",
        agent_id="sven",
        visitor_id="bram",
        at=T0 + timedelta(minutes=5),
        csat=2,
        ces=6,
    )
    # when the operator reads the feed
    status, feed = get("/v1/feedback", OPS)
    # then both are there, newest first, with scores, comment, agent and category
    assert status == 200
    assert [f["chat_id"] for f in feed["feedback"]] == ["c-2", "c-1"]
    first = feed["feedback"][1]
    assert (first["csat"], first["nps"], first["comment"]) == (5, 10, "Top hulp!")
    assert (first["agent_id"], first["agent_name"], first["category"]) == ("mirjam", "Mirjam", "dameslaarzen")
    # and polling since the newest seen returns only what came after
    newest = feed["feedback"][0]["at"]
    assert get("/v1/feedback", OPS, {"since": newest})[1]["feedback"] == []
    surveyed(
        dynamodb,
        table_name,
        "c-3",
        agent_id="mirjam",
        visitor_id="cees",
        at=T0 + timedelta(minutes=6),
        csat=4,
    )
    _, new = get("/v1/feedback", OPS, {"since": newest})
    assert [f["chat_id"] for f in new["feedback"]] == ["c-3"]
    assert [f["chat_id"] for f in get("/v1/feedback", OPS, {"limit": "1"})[1]["feedback"]] == ["c-3"]


def test_agents_read_their_own_feedback_only(demo_site: Site, dynamodb: Any, table_name: str) -> None:
    surveyed(
        dynamodb, table_name, "c-1", agent_id="mirjam", visitor_id="anna", at=T0, csat=5, comment="Top hulp!"
    )
    surveyed(
        dynamodb, table_name, "c-2", agent_id="sven", visitor_id="bram", at=T0 + timedelta(minutes=5), csat=2
    )
    status, own = get("/v1/agents/mirjam/feedback", MIRJAM, agent_id="mirjam")
    assert status == 200
    assert [(f["chat_id"], f["comment"]) for f in own["feedback"]] == [("c-1", "Top hulp!")]
    assert get("/v1/agents/mirjam/feedback", OPS, agent_id="mirjam")[0] == 200
    assert get("/v1/agents/mirjam/feedback", SVEN, agent_id="mirjam")[0] == 403
    assert get("/v1/feedback", MIRJAM)[0] == 403


def test_another_site_sees_none_and_erasure_removes_it(
    demo_site: Site, dynamodb: Any, table_name: str
) -> None:
    surveyed(
        dynamodb, table_name, "c-1", agent_id="mirjam", visitor_id="anna", at=T0, csat=5, comment="Top hulp!"
    )
    assert get("/v1/feedback", OTHER_OPS)[1]["feedback"] == []
    assert get("/v1/agents/mirjam/feedback", OTHER_OPS, agent_id="mirjam")[1]["feedback"] == []
    # when anna is erased, her comment leaves the feed too
    DynamoVisitorEraser(dynamodb, table_name).erase(DEMO_SITE, "anna")
    assert get("/v1/feedback", OPS)[1]["feedback"] == []


@pytest.mark.parametrize("query", [{"since": "2026-12-03T10:00:00"}, {"since": "yesterday"}, {"limit": "0"}])
def test_a_bad_poll_is_422(demo_site: Site, query: dict[str, str]) -> None:
    status, answer = get("/v1/feedback", OPS, query)
    assert (status, answer["error"]["code"]) == (422, "validation_failed")


def test_agent_by_category_performance_shows_the_surveys_with_sample_counts(
    demo_site: Site, dynamodb: Any, table_name: str
) -> None:
    # given boot chats rated high for mirjam and low for sven
    surveyed(dynamodb, table_name, "c-1", agent_id="mirjam", visitor_id="anna", at=T0, csat=5, nps=10, ces=2)
    surveyed(dynamodb, table_name, "c-2", agent_id="mirjam", visitor_id="bram", at=T0, csat=4, nps=9)
    surveyed(dynamodb, table_name, "c-3", agent_id="sven", visitor_id="cees", at=T0, csat=1, nps=2, ces=6)
    # when the operator reads the agent x category table
    status, table = get("/v1/reports/agents", OPS)
    # then each agent's boot cell has the figures and their samples
    assert status == 200
    cells = {(c["agent_id"], c["category"]): c for c in table["cells"]}
    mirjam, sven = cells[("mirjam", "dameslaarzen")], cells[("sven", "dameslaarzen")]
    assert (mirjam["chats"], mirjam["csat"], mirjam["csat_answers"], mirjam["nps"]) == (2, 100.0, 2, 100.0)
    assert (mirjam["ces"], mirjam["ces_answers"], mirjam["ended"], mirjam["resolution_rate"]) == (
        2.0,
        1,
        2,
        1.0,
    )
    assert (sven["csat"], sven["nps"], sven["ces"]) == (0.0, -100.0, 6.0)
    # and only the site's operators read it
    assert get("/v1/reports/agents", MIRJAM)[0] == 403
    assert get("/v1/reports/agents", OTHER_OPS)[0] == 404  # a site it does not know


def test_a_poll_at_the_edges_of_time_is_answered(demo_site: Site, dynamodb: Any, table_name: str) -> None:
    surveyed(dynamodb, table_name, "c-1", agent_id="mirjam", visitor_id="anna", at=T0, csat=5)
    _, dawn = get("/v1/feedback", OPS, {"since": "0001-01-01T00:00:00+14:00"})
    _, end = get("/v1/feedback", OPS, {"since": "9999-12-31T23:00:00-14:00"})
    assert ([f["chat_id"] for f in dawn["feedback"]], end["feedback"]) == (["c-1"], [])


def test_since_must_be_iso_text(demo_site: Site) -> None:
    status, answer = get("/v1/feedback", OPS, {"since": "0"})
    assert (status, answer["error"]["code"]) == (422, "validation_failed")
