"""The agent's inbox (`GET /v1/agents/{id}/chats`, polled by the console every 2 seconds) costs the
same DynamoDB calls however many chats it lists: the agent, one page of the queue and one batch of
chat items; the abandonment risk comes from the chat item. Only a chat stored before the risk was
kept there (2026-12-04) costs a look at its visitor's decisions. Through the route handler, with
the inbox's service swapped by `app.dependency_overrides` for one on a counting client."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chat.handler import lambda_handler as chat_api
from klantreis import dynamo, services
from klantreis.agents.dynamo_store import DynamoAgentStore
from klantreis.agents.ports import AgentProfile
from klantreis.conversations.chat_items import chat_item
from klantreis.conversations.decisions_dynamo_store import DynamoDecisionReader
from klantreis.conversations.dynamo_store import DynamoChatPlacement, DynamoChatReader, DynamoQueueReader
from klantreis.conversations.inbox import ChatLookup
from klantreis.conversations.models import Chat, RoutingRecord, StartScores
from klantreis.conversations.ports import chat_agent
from klantreis.engagement.records import Decision, decision_item
from klantreis.routing.wait import queue_sort_key
from klantreis.sites import Site
from klantreis_local.runtime import DEMO_SITE, DEMO_SITE_KEY
from route import dependencies
from route.handler import app
from route.handler import lambda_handler as route
from tests.factories import FakeContext, api_event

AGENT = "lotte"
CATEGORY = "tassen"
ASSIGNED = 5
LOTTE = {"sub": AGENT, "site_id": DEMO_SITE, "role": "agent"}


class CountingClient:
    """The DynamoDB client, counting each operation called on it."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Callable[..., Any]:
        operation = getattr(self._client, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return operation(*args, **kwargs)

        return counted


@pytest.fixture(autouse=True)
def _fresh_services() -> Iterator[None]:
    services.forget()
    yield
    services.forget()


def new_chat(chat_id: str, at: datetime, risk: float | None = 0.42, **fields: Any) -> Chat:
    return Chat(
        site_id=DEMO_SITE, chat_id=chat_id, visitor_id=f"v-{chat_id}", session_id="s-1", category=CATEGORY,
        status="queued", created_at=at, day=at.date().isoformat(),
        start_scores=StartScores(abandonment_risk=risk), **fields,
    )  # fmt: skip


def seed_inbox(dynamodb: Any, table_name: str, listed: int) -> None:
    """Lotte (tassen) holding ASSIGNED chats, the rest of `listed` waiting in the queue for her."""
    now = datetime.now(UTC)
    agents = DynamoAgentStore(dynamodb, table_name)
    lotte = AgentProfile(
        site_id=DEMO_SITE, agent_id=AGENT, display_name="Lotte", categories=[CATEGORY], max_chats=ASSIGNED,
        status="available", last_seen_at=now,
    )  # fmt: skip
    agents.put(lotte)
    placement = DynamoChatPlacement(dynamodb, table_name)
    for n in range(listed):
        at = now - timedelta(minutes=listed - n)
        chat = new_chat(f"c-{n:03d}", at)
        if n < ASSIGNED:
            assigned = chat.model_copy(
                update={
                    "status": "assigned",
                    "agent": chat_agent(lotte),
                    "assigned_at": at,
                    "wait_seconds": 0.0,
                }
            )
            record = RoutingRecord(
                at=at, outcome="assigned", agent_id=AGENT, strategy="predictive", reason="seed"
            )
            placement.create_assigned(assigned, lotte, record, None)
        else:
            key = queue_sort_key(chat.priority, int(at.timestamp() * 1000), chat.chat_id)
            record = RoutingRecord(at=at, outcome="queued", strategy="predictive", reason="seed")
            placement.create_queued(chat.model_copy(update={"queue_key": key}), record, None)


def counted_inbox(
    dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, Counter[str]]:
    counting = CountingClient(dynamodb)
    lookup = ChatLookup(
        DynamoChatReader(counting, table_name),
        DynamoQueueReader(counting, table_name),
        DynamoAgentStore(counting, table_name),
        DynamoDecisionReader(counting, table_name),
    )
    monkeypatch.setitem(app.dependency_overrides, dependencies.chat_lookup, lambda: lookup)
    path = f"/v1/agents/{AGENT}/chats"
    event = api_event(
        "GET", path, claims=LOTTE, path_parameters={"agent_id": AGENT}, resource="/v1/agents/{agent_id}/chats"
    )
    answer = route(event, FakeContext())
    assert answer["statusCode"] == 200, answer["body"]
    return json.loads(answer["body"]), counting.calls


@pytest.mark.parametrize("listed", [10, 50])
def test_the_inbox_costs_the_same_calls_for_10_and_50_chats(
    listed: int, demo_site: Site, dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given lotte's five open chats and the rest of `listed` chats of her category waiting
    seed_inbox(dynamodb, table_name, listed)
    # when she polls her inbox
    inbox, calls = counted_inbox(dynamodb, table_name, monkeypatch)
    # then it lists them all, each with the risk its item holds
    assert len(inbox["assigned"]) == ASSIGNED
    assert len(inbox["queue"]) == listed - ASSIGNED
    assert {c["abandonment_risk"] for c in inbox["assigned"] + inbox["queue"]} == {0.42}
    # and cost three calls, whatever the number of chats: the agent, the queue, one batch of chats
    assert calls == {"get_item": 1, "query": 1, "batch_get_item": 1}


def test_a_chat_stored_before_the_risk_was_kept_looks_its_decision_up(
    demo_site: Site, dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given lotte's inbox, and one more queued chat stored the old way (no start scores) whose
    # session has a decision
    seed_inbox(dynamodb, table_name, 10)
    at = datetime.now(UTC)
    old_style = new_chat("c-old", at, queue_key=queue_sort_key(0, int(at.timestamp() * 1000), "c-old"))
    old_style = old_style.model_copy(update={"start_scores": None})
    assert "start_scores" not in chat_item(old_style)
    record = RoutingRecord(at=at, outcome="queued", strategy="predictive", reason="seed")
    DynamoChatPlacement(dynamodb, table_name).create_queued(old_style, record, None)
    decision = Decision(
        site_id=DEMO_SITE, visitor_id=old_style.visitor_id, session_id="s-1", decision_id="d-1", at=at,
        day=at.date().isoformat(), reason="not_qualified", score=0.3, abandonment_risk=0.77,
    )  # fmt: skip
    dynamodb.put_item(TableName=table_name, Item=dynamo.to_item(decision_item(decision)))
    # when she polls her inbox
    inbox, calls = counted_inbox(dynamodb, table_name, monkeypatch)
    # then the old chat shows its decision's risk, at the cost of one look at its visitor's decisions
    risks = {c["chat_id"]: c["abandonment_risk"] for c in inbox["queue"]}
    assert risks["c-old"] == 0.77
    assert calls == {"get_item": 1, "query": 2, "batch_get_item": 1}


def test_a_chat_started_through_the_route_keeps_its_sessions_risk(
    demo_site: Site, dynamodb: Any, table_name: str
) -> None:
    # given a decision on a visitor's session
    at = datetime.now(UTC)
    decision = Decision(
        site_id=DEMO_SITE, visitor_id="v-risk", session_id="s-1", decision_id="d-1", at=at,
        day=at.date().isoformat(), reason="not_qualified", score=0.3, abandonment_risk=0.61,
    )  # fmt: skip
    dynamodb.put_item(TableName=table_name, Item=dynamo.to_item(decision_item(decision)))
    # when the visitor starts a chat
    body = {"visitor_id": "v-risk", "session_id": "s-1", "category": "dameslaarzen", "message": "Hallo"}
    widget = {"X-Site-Key": DEMO_SITE_KEY, "Origin": "http://127.0.0.1:3000"}
    started = chat_api(api_event("POST", "/v1/chats", body=body, headers=widget), FakeContext())
    assert started["statusCode"] == 201, started["body"]
    # then the chat item holds the risk
    stored = DynamoChatReader(dynamodb, table_name).chat(DEMO_SITE, json.loads(started["body"])["chat_id"])
    assert stored is not None
    assert stored.start_scores == StartScores(abandonment_risk=0.61)
