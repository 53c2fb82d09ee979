"""Purchases attributed to chats through the table's stream (track handler, stream pump, the
aggregation function, moto): the chat converts once, its agent's PERF counter and the day's
`chats_started` / `chats_converted` count once, however often a batch is delivered."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from aggregate import handler as aggregate

from klantreis import dynamo, keys
from klantreis.agents.dynamo_store import DynamoAgentStore
from klantreis.agents.ports import AgentProfile
from klantreis.conversations.models import Chat, RoutingRecord
from klantreis.conversations.ports import Discount, chat_agent
from klantreis.projections.counters_dynamo_store import DynamoCounterStore
from klantreis.sites import Site
from klantreis_local.runtime import DEMO_SITE_KEY, StreamPump
from tests.chat_tables import DynamoChatStore
from tests.factories import FakeContext, anna_journey, api_event, batch, event
from track.handler import lambda_handler

VISITOR = "anna-attr"
WIDGET = {"X-Site-Key": DEMO_SITE_KEY}


def track(*events: dict[str, Any], session_id: str = "s-1") -> None:
    body = batch(*events, visitor_id=VISITOR, session_id=session_id)
    answer = lambda_handler(api_event("POST", "/v1/events", body=body, headers=WIDGET), FakeContext())
    assert answer["statusCode"] == 200, answer["body"]
    assert json.loads(answer["body"])["accepted"] == len(events)


def start_chat(dynamodb: Any, table_name: str, site: Site, chat_id: str, *, code: str | None = None) -> Chat:
    """An assigned chat of the visitor's session s-1, a minute old, with a discount code if given."""
    now = datetime.now(UTC)
    agent = AgentProfile(
        site_id="demo", agent_id="eva", display_name="Eva", categories=["dameslaarzen"], max_chats=5,
        discount_mandate_percent=15, status="available", last_seen_at=now,
    )  # fmt: skip
    DynamoAgentStore(dynamodb, table_name).put(agent)
    started = now - timedelta(minutes=1)
    chat = Chat(
        site_id="demo", chat_id=chat_id, visitor_id=VISITOR, session_id="s-1", category="dameslaarzen",
        status="assigned", agent=chat_agent(agent), created_at=started, assigned_at=started,
        wait_seconds=0.0, day=site.local_day(started),
    )  # fmt: skip
    chats = DynamoChatStore(dynamodb, table_name)
    record = RoutingRecord(
        at=started, outcome="assigned", agent_id="eva", strategy="predictive", reason="test"
    )
    chats.create_assigned(chat, agent, record, offer_id=None)
    if code:
        discount = Discount(
            site_id="demo", code=code, chat_id=chat_id, agent_id="eva", percent=10, visitor_id=VISITOR,
            created_at=started,
        )  # fmt: skip
        chats.add_discount(chat, discount)
    return chat


def perf_conversions(dynamodb: Any, table_name: str) -> int:
    key = dynamo.to_item({"PK": keys.site_pk("demo"), "SK": keys.perf_sk("dameslaarzen", "eva")})
    item = dynamo.from_item(dynamodb.get_item(TableName=table_name, Key=key)["Item"])
    return int(item.get("conversions", 0))


def test_a_purchase_with_the_chats_code_converts_the_chat_once(
    demo_site: Site, dynamodb: Any, table_name: str
) -> None:
    # given Anna at checkout, in a chat whose agent gave her a code
    delivered: list[dict[str, Any]] = []
    stream = StreamPump(
        dynamodb, table_name, [aggregate.lambda_handler, lambda event, _: delivered.append(event)]
    )
    chat = start_chat(dynamodb, table_name, demo_site, "c-1", code="KR-ANNA12345")
    track(*anna_journey())
    stream.drain()
    chats = DynamoChatStore(dynamodb, table_name)
    counters = DynamoCounterStore(dynamodb, table_name)
    assert counters.day_totals("demo", chat.day)["chats_started"] == 1

    # when she buys with the code (as the shop reports it, in lower case)
    track(event("purchase", value=296.96, currency="EUR", properties={"discount_code": "kr-anna12345"}))
    delivered.clear()
    stream.drain()

    # then the chat converted, its agent is credited, the code is used, and the day counts it
    converted = chats.chat("demo", "c-1")
    assert converted is not None
    assert converted.converted_at is not None
    assert converted.conversion_value == 296.96
    assert perf_conversions(dynamodb, table_name) == 1
    discount = chats.discount("demo", "KR-ANNA12345")
    assert discount is not None
    assert discount.used_at == converted.converted_at
    totals = counters.day_totals("demo", chat.day)
    assert (totals["chats_started"], totals["chats_converted"]) == (1, 1)

    # when the batches since the purchase are delivered again (Lambda retrying them)
    assert delivered
    for retried in delivered:
        aggregate.lambda_handler(retried, FakeContext())
    stream.drain()
    # then nothing counts twice
    assert perf_conversions(dynamodb, table_name) == 1
    assert chats.chat("demo", "c-1") == converted
    assert counters.day_totals("demo", chat.day) == totals


def test_a_purchase_later_in_the_chats_session_converts_it(
    demo_site: Site, dynamodb: Any, table_name: str, stream: StreamPump
) -> None:
    # given a chat in Anna's session, and one in a session of hers that bought nothing
    chat = start_chat(dynamodb, table_name, demo_site, "c-2")
    track(*anna_journey())
    # when she buys without a code
    track(event("purchase", value=329.95, currency="EUR"))
    stream.drain()
    # then the chat of that session converted
    converted = DynamoChatStore(dynamodb, table_name).chat("demo", "c-2")
    assert converted is not None
    assert converted.conversion_value == 329.95
    assert perf_conversions(dynamodb, table_name) == 1
    assert DynamoCounterStore(dynamodb, table_name).day_totals("demo", chat.day)["chats_converted"] == 1


def test_a_purchase_in_another_session_converts_nothing(
    demo_site: Site, dynamodb: Any, table_name: str, stream: StreamPump
) -> None:
    start_chat(dynamodb, table_name, demo_site, "c-3")
    track(event("purchase", value=10.0, currency="EUR"), session_id="s-2")
    stream.drain()
    chat = DynamoChatStore(dynamodb, table_name).chat("demo", "c-3")
    assert chat is not None
    assert chat.converted_at is None
    assert perf_conversions(dynamodb, table_name) == 0
