"""GDPR art. 17: after DELETE /v1/visitors/{id} no item about the visitor remains."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from engage.handler import lambda_handler as engage
from klantreis import dynamo, keys
from klantreis.agents.dynamo_store import DynamoAgentStore
from klantreis.agents.ports import AgentProfile
from klantreis.conversations.models import Chat, Message, RoutingRecord, SurveyAnswers
from klantreis.conversations.ports import Discount, chat_agent
from klantreis.journey.store import DynamoSessionStore
from klantreis.sites import Site
from klantreis_local.runtime import DEMO_SITE_KEY, StreamPump
from tests.chat_tables import DynamoChatStore
from tests.factories import T0, FakeContext, anna_journey, api_event, batch, event
from track.handler import lambda_handler

VISITOR = "anna-7f3c"
WIDGET = {"X-Site-Key": DEMO_SITE_KEY}
OPERATOR = {"sub": "ops", "site_id": "demo", "role": "operator"}


def call(method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    answer = lambda_handler(api_event(method, path, **kwargs), FakeContext())
    return answer["statusCode"], json.loads(answer["body"])


def erase(visitor_id: str, claims: dict[str, str]) -> tuple[int, dict[str, Any]]:
    return call(
        "DELETE",
        f"/v1/visitors/{visitor_id}",
        claims=claims,
        path_parameters={"visitor_id": visitor_id},
        resource="/v1/visitors/{visitor_id}",
    )


def items_mentioning(dynamodb: Any, table_name: str, text: str) -> list[dict[str, Any]]:
    found = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table_name):
        found += [item for item in page["Items"] if text in json.dumps(item, default=str)]
    return found


def track_a_long_journey(visitor_id: str) -> None:
    # two sessions, the first long enough for its journey to move into chunk items
    pages = [
        event("page_view", url=f"https://shop.example/laarzen/{n}", at=T0 + timedelta(seconds=n))
        for n in range(40)
    ]
    for start in range(0, len(pages), 10):
        call(
            "POST",
            "/v1/events",
            body=batch(*pages[start : start + 10], visitor_id=visitor_id),
            headers=WIDGET,
        )
    call(
        "POST",
        "/v1/events",
        body=batch(*anna_journey(), visitor_id=visitor_id, session_id="s-2"),
        headers=WIDGET,
    )


def decide_and_reject(visitor_id: str, session_id: str) -> str:
    """Decision, offer and engagement state about the visitor: an offer she rejects."""
    body = {"visitor_id": visitor_id, "session_id": session_id, "idle_seconds": 30}
    answer = engage(api_event("POST", "/v1/engagement/decide", body=body, headers=WIDGET), FakeContext())
    offer_id: str = json.loads(answer["body"])["offer_id"]
    response = api_event(
        "POST", f"/v1/engagement/offers/{offer_id}/response", body={"response": "rejected"}, headers=WIDGET,
        path_parameters={"offer_id": offer_id}, resource="/v1/engagement/offers/{offer_id}/response",
    )  # fmt: skip
    assert engage(response, FakeContext())["statusCode"] == 200
    return offer_id


def test_nothing_of_the_visitor_remains(
    demo_site: Site, dynamodb: Any, table_name: str, stream: StreamPump
) -> None:
    # given a visitor with two sessions, journey chunks, counters, an engagement decision, an offer
    # she rejected (kept under the offer's own key) and another item about her elsewhere
    track_a_long_journey(VISITOR)
    track_a_long_journey("bram")
    offer_id = decide_and_reject(VISITOR, "s-2")
    stream.drain()
    dynamodb.put_item(
        TableName=table_name,
        Item=dynamo.to_item(
            {
                "PK": "SITE#demo#CHAT#c-1",
                "SK": "CHAT",
                "GSI1PK": keys.visitor_pk("demo", VISITOR),
                "GSI1SK": "CHAT#c-1",
            }
        ),
    )
    state = DynamoSessionStore(dynamodb, table_name).get("demo", VISITOR, "s-1")
    assert state is not None
    assert state.journey_chunks, "the long session should have journey chunks"
    offer_key = dynamo.to_item({"PK": keys.offer_pk("demo", offer_id), "SK": keys.OFFER})
    assert "Item" in dynamodb.get_item(TableName=table_name, Key=offer_key), "the offer is stored"
    assert items_mentioning(dynamodb, table_name, VISITOR)

    # when an operator of the site erases her
    status, answer = erase(VISITOR, OPERATOR)

    # then every item about her is gone, and nothing of anyone else
    assert status == 200
    assert answer["erased_items"] >= 4
    assert items_mentioning(dynamodb, table_name, VISITOR) == []
    assert DynamoSessionStore(dynamodb, table_name).get("demo", "bram", "s-1") is not None
    counters = dynamodb.scan(
        TableName=table_name,
        FilterExpression="begins_with(PK, :day)",
        ExpressionAttributeValues={":day": {"S": keys.day_pk("demo", "")}},
    )
    assert counters["Items"], "aggregate counters are not personal data and stay"


def chat_with_everything(dynamodb: Any, table_name: str, visitor_id: str, chat_id: str) -> Chat:
    """A chat of the visitor as it is after a conversation: its messages, routing decision,
    discount code and survey, ended (so the agent's slot is free again)."""
    now = datetime.now(UTC)
    agent = AgentProfile(
        site_id="demo", agent_id="eva", display_name="Eva", categories=["dameslaarzen"],
        discount_mandate_percent=15, status="available", last_seen_at=now,
    )  # fmt: skip
    DynamoAgentStore(dynamodb, table_name).put(agent)
    chats = DynamoChatStore(dynamodb, table_name)
    chat = Chat(
        site_id="demo", chat_id=chat_id, visitor_id=visitor_id, session_id="s-1", category="dameslaarzen",
        status="assigned", agent=chat_agent(agent), created_at=now, assigned_at=now, wait_seconds=0.0,
        day=now.date().isoformat(),
    )  # fmt: skip
    record = RoutingRecord(
        at=now, outcome="assigned", agent_id="eva", strategy="predictive", reason="the only one"
    )
    chats.create_assigned(chat, agent, record, offer_id=None)
    for number, (author, text) in enumerate([("visitor", f"Waterdicht? ({chat_id})"), ("agent", "Ja!")]):
        at = now + timedelta(seconds=number)
        chats.add_message(chat, Message(message_id="", author=author, text=text, at=at))
    chats.add_discount(
        chat, Discount(site_id="demo", code=f"KR-{chat_id.upper()}", chat_id=chat_id, agent_id="eva",
                       percent=10, visitor_id=visitor_id, created_at=now),
    )  # fmt: skip
    chats.end(chat, now + timedelta(minutes=5), resolved=True, release=True)
    answers = SurveyAnswers(csat=5, nps=9, comment=f"Fijn geholpen ({chat_id})")
    chats.add_survey(chat, answers, now + timedelta(minutes=6), now.date().isoformat())
    return chat


def test_a_chat_goes_with_everything_in_it(demo_site: Site, dynamodb: Any, table_name: str) -> None:
    # given a visitor who chatted (messages, routing decision, discount, survey) and another who did too
    call("POST", "/v1/events", body=batch(*anna_journey(), visitor_id=VISITOR), headers=WIDGET)
    chat_with_everything(dynamodb, table_name, VISITOR, "c-anna")
    chat_with_everything(dynamodb, table_name, "bram", "c-bram")
    chats = DynamoChatStore(dynamodb, table_name)
    assert chats.messages("demo", "c-anna", None)
    assert chats.routing_records("demo", "c-anna")
    survey_key = dynamo.to_item({"PK": keys.chat_pk("demo", "c-anna"), "SK": keys.SURVEY})
    assert "Item" in dynamodb.get_item(TableName=table_name, Key=survey_key), "the survey is stored"

    # when an operator erases her
    status, answer = erase(VISITOR, OPERATOR)

    # then nothing of her or her chat remains: not the chat, its messages, routing decision,
    # survey or discount code
    assert status == 200
    # session, chat item, two messages, routing decision, survey, discount code (and journey chunks)
    assert answer["erased_items"] >= 7
    for trace in (VISITOR, "c-anna", "KR-C-ANNA"):  # (message and survey texts name their chat)
        assert items_mentioning(dynamodb, table_name, trace) == [], trace
    # the aggregates stay (they name agents and categories, not visitors or chats)
    left = {item["SK"]["S"] for item in dynamodb.scan(TableName=table_name)["Items"]
            if item["PK"]["S"] == keys.site_pk("demo")}  # fmt: skip
    assert {keys.perf_sk("dameslaarzen", "eva"), keys.ROUTING_STATS} <= left
    # and Bram's chat is all there
    assert chats.chat("demo", "c-bram") is not None
    assert len(chats.messages("demo", "c-bram", None)) == 2
    assert chats.routing_records("demo", "c-bram")
    assert chats.discount("demo", "KR-C-BRAM") is not None
    assert "Item" in dynamodb.get_item(
        TableName=table_name, Key=dynamo.to_item({"PK": keys.chat_pk("demo", "c-bram"), "SK": keys.SURVEY})
    )


def test_erasing_twice_or_an_unknown_visitor_is_harmless(demo_site: Site) -> None:
    assert erase("nobody", OPERATOR) == (200, {"visitor_id": "nobody", "erased_items": 0})


def test_only_an_operator_of_the_site_erases(demo_site: Site, dynamodb: Any, table_name: str) -> None:
    track_a_long_journey(VISITOR)
    agent = {"sub": "mirjam", "site_id": "demo", "role": "agent"}
    other_operator = {"sub": "ops", "site_id": "other-shop", "role": "operator"}

    assert erase(VISITOR, agent)[0] == 403
    status, answer = erase(VISITOR, other_operator)
    # the other site's operator erases within their own site only: nothing of ours is touched
    assert (status, answer["erased_items"]) == (200, 0)
    assert call("DELETE", f"/v1/visitors/{VISITOR}", path_parameters={"visitor_id": VISITOR},
                resource="/v1/visitors/{visitor_id}")[0] == 401  # fmt: skip
    assert DynamoSessionStore(dynamodb, table_name).get("demo", VISITOR, "s-1") is not None


def test_a_malformed_visitor_id_is_refused(demo_site: Site) -> None:
    status, answer = erase("x" * 101, OPERATOR)
    assert status == 422
    assert answer["error"]["code"] == "validation_failed"
