"""The chat context from the DynamoDB adapters (moto): a tracked journey with chunk items, the
decisions `decide` recorded, and the visitor's chats through GSI1."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from engage.handler import lambda_handler as engage
from klantreis import dynamo
from klantreis.conversations.chat_items import chat_item
from klantreis.conversations.context import chat_context
from klantreis.conversations.decisions_dynamo_store import DynamoDecisionReader
from klantreis.conversations.models import Chat, ChatAgent
from klantreis.engagement.records import Decision, decision_item
from klantreis.journey.dynamo_store import DynamoSessionStore
from klantreis.sites import Site
from klantreis_local.runtime import DEMO_SITE_KEY
from tests.chat_tables import DynamoChatStore
from tests.factories import T0, FakeContext, anna_journey, api_event, batch, event
from track.handler import lambda_handler as track

VISITOR = "anna-ctx"
WIDGET = {"X-Site-Key": DEMO_SITE_KEY}


def put_chat(
    dynamodb: Any, table_name: str, chat_id: str, session_id: str, at: datetime, **fields: Any
) -> Chat:
    chat = Chat(
        site_id="demo", chat_id=chat_id, visitor_id=VISITOR, session_id=session_id, status="ended",
        agent=ChatAgent(agent_id="mirjam", display_name="Mirjam"), created_at=at, day=at.date().isoformat(),
        **fields,
    )  # fmt: skip
    dynamodb.put_item(TableName=table_name, Item=dynamo.to_item(chat_item(chat)))
    return chat


def test_the_context_from_the_table(demo_site: Site, dynamodb: Any, table_name: str) -> None:
    # given a long session (its journey partly in chunk items), Anna's reference journey in it,
    # and a decision on it
    pages = [
        event("page_view", url=f"https://shop.example/laarzen/{n}", at=T0 + timedelta(seconds=n))
        for n in range(30)
    ]
    for start in range(0, len(pages), 10):
        body = batch(*pages[start : start + 10], visitor_id=VISITOR)
        assert (
            track(api_event("POST", "/v1/events", body=body, headers=WIDGET), FakeContext())["statusCode"]
            == 200
        )
    body = batch(*anna_journey(T0 + timedelta(minutes=1)), visitor_id=VISITOR)
    assert (
        track(api_event("POST", "/v1/events", body=body, headers=WIDGET), FakeContext())["statusCode"] == 200
    )
    decide = {"visitor_id": VISITOR, "session_id": "s-1", "idle_seconds": 30}
    answer = engage(api_event("POST", "/v1/engagement/decide", body=decide, headers=WIDGET), FakeContext())
    decided = json.loads(answer["body"])
    # a decision on another session of hers, later (it is not this session's score)
    other = Decision(
        site_id="demo", visitor_id=VISITOR, session_id="s-0", decision_id="d-other", at=datetime.now(UTC),
        day="2026-11-22", reason="not_qualified", score=0.01,
    )  # fmt: skip
    dynamodb.put_item(TableName=table_name, Item=dynamo.to_item(decision_item(other)))
    now = datetime.now(UTC)
    earlier = put_chat(dynamodb, table_name, "c-1", "s-0", now - timedelta(days=3), resolved=True)
    current = put_chat(dynamodb, table_name, "c-2", "s-1", now)
    sessions = DynamoSessionStore(dynamodb, table_name)
    state = sessions.get("demo", VISITOR, "s-1")
    assert state is not None
    assert state.journey_chunks, "the long session should have journey chunks"

    # when the agent's context is built from the table
    context = chat_context(
        current, sessions, DynamoChatStore(dynamodb, table_name), DynamoDecisionReader(dynamodb, table_name)
    )

    # then it holds the whole journey, the cart, the session's decision and the earlier chat
    assert context.session_found
    assert context.events == 37
    assert context.distinct_pages == 32
    assert {p.url: p.views for p in context.pages}["https://shop.example/laarzen/bruin"] == 3
    assert context.landing_url == "https://shop.example/laarzen/0"
    assert (context.cart_value, context.furthest_checkout_step, context.dropped_out_at_checkout) == (
        329.95, 2, True,
    )  # fmt: skip
    assert context.latest_decision is not None
    assert context.latest_decision.reason == decided["reason"]
    assert context.latest_decision.score == decided["score"]
    assert [c.chat_id for c in context.earlier_chats] == [earlier.chat_id]
    assert context.earlier_chats[0].resolved
