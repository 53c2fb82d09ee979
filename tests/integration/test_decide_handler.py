"""The engage function's widget routes in-process against moto: round trips of a warm decision,
what it stores (and for how long), offer responses, and the funnel counters from the stream."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from engage.handler import lambda_handler as engage
from klantreis import dynamo, keys
from klantreis.engagement.decide import in_holdout
from klantreis.journey.dynamo_store import DynamoSessionStore
from klantreis.projections.counters_dynamo_store import DynamoCounterStore
from klantreis.sites import Site
from klantreis.sites.dynamo_store import DynamoSiteStore
from klantreis_local.runtime import DEMO_SITE, DEMO_SITE_KEY, StreamPump
from tests.factories import FakeContext, anna_journey, api_event, batch, event
from track.handler import lambda_handler as track

WIDGET = {"X-Site-Key": DEMO_SITE_KEY, "Origin": "http://127.0.0.1:3000"}
RESPONSE_RESOURCE = "/v1/engagement/offers/{offer_id}/response"


def visitor(prefix: str) -> str:
    return next(f"{prefix}-{n}" for n in range(100) if not in_holdout(DEMO_SITE, f"{prefix}-{n}", 0.10))


def decide(
    visitor_id: str, session_id: str = "s-1", headers: dict[str, str] | None = None, **body: Any
) -> tuple[int, dict[str, Any]]:
    payload = {"visitor_id": visitor_id, "session_id": session_id, "idle_seconds": 30, **body}
    answer = engage(
        api_event("POST", "/v1/engagement/decide", body=payload, headers=headers or WIDGET), FakeContext()
    )
    return answer["statusCode"], json.loads(answer["body"])


def respond(
    offer_id: str, response: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    answer = engage(
        api_event(
            "POST", f"/v1/engagement/offers/{offer_id}/response", body={"response": response},
            headers=headers or WIDGET, path_parameters={"offer_id": offer_id}, resource=RESPONSE_RESOURCE,
        ),
        FakeContext(),
    )  # fmt: skip
    return answer["statusCode"], json.loads(answer["body"])


def track_anna(visitor_id: str, session_id: str = "s-1") -> None:
    body = batch(*anna_journey(), visitor_id=visitor_id, session_id=session_id)
    answer = track(api_event("POST", "/v1/events", body=body, headers=WIDGET), FakeContext())
    assert answer["statusCode"] == 200


@pytest.fixture
def calls() -> Iterator[Counter[str]]:
    """DynamoDB requests the functions send, by operation (a botocore hook on the shared client)."""
    seen: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        seen[model.name] += 1

    client = dynamo.client()
    client.meta.events.register("before-call.dynamodb", count)
    yield seen
    client.meta.events.unregister("before-call.dynamodb", count)


def test_a_warm_decision_takes_two_round_trips(demo_site: Site, calls: Counter[str]) -> None:
    # given a warm instance (one decision made) and two more visitors tracked
    first, anna, bram = visitor("first"), visitor("anna"), "bram"
    track_anna(first)
    track_anna(anna)
    track(
        api_event("POST", "/v1/events", body=batch(event("page_view"), visitor_id=bram), headers=WIDGET),
        FakeContext(),
    )
    assert decide(first)[1]["reason"] == "qualified"
    # when Anna is offered a chat, and Bram is not
    calls.clear()
    status, answer = decide(anna)
    assert (status, answer["reason"]) == (200, "qualified")
    offered = dict(calls)
    calls.clear()
    assert decide(bram)[1]["reason"] == "not_qualified"
    # then each took one read and one write
    assert offered == {"BatchGetItem": 1, "TransactWriteItems": 1}
    assert dict(calls) == {"BatchGetItem": 1, "PutItem": 1}


def test_the_answer_and_what_is_stored(demo_site: Site, dynamodb: Any, table_name: str) -> None:
    anna = visitor("anna")
    track_anna(anna)
    status, answer = decide(anna, url="https://shop.example/checkout/2")
    assert status == 200
    assert set(answer) == {"offer", "offer_id", "action", "message", "reason", "score"}
    assert (answer["offer"], answer["action"], answer["reason"]) == (True, "chat", "qualified")
    now = time.time()
    partition = dynamodb.query(
        TableName=table_name,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.visitor_pk(DEMO_SITE, anna)}},
    )["Items"]
    by_kind = {dynamo.from_item(i)["SK"].split("#")[0]: dynamo.from_item(i) for i in partition}
    assert {"SESSION", "DECISION", "ENGAGEMENT"} <= set(by_kind)
    decision = by_kind["DECISION"]
    assert (decision["reason"], decision["rule_id"], decision["offer_id"]) == (
        "qualified",
        "checkout-hesitation",
        answer["offer_id"],
    )
    assert decision["top_features"]
    assert abs(decision["expires_at"] - (now + 90 * 86_400)) < 60
    offer = dynamo.from_item(
        dynamodb.get_item(
            TableName=table_name,
            Key=dynamo.to_item({"PK": keys.offer_pk(DEMO_SITE, answer["offer_id"]), "SK": "OFFER"}),
        )["Item"]
    )
    assert offer["GSI1PK"] == keys.visitor_pk(DEMO_SITE, anna)
    assert abs(offer["expires_at"] - (now + 30 * 86_400)) < 60


def test_a_refusal_leaves_out_the_offer_fields(demo_site: Site) -> None:
    status, answer = decide("nobody")
    assert (status, answer) == (200, {"offer": False, "reason": "not_qualified", "score": 0.0})


def test_offer_responses(demo_site: Site, dynamodb: Any, table_name: str) -> None:
    other = Site(site_id="other-shop", name="Other", allowed_origins=["https://other.example"])
    DynamoSiteStore(dynamodb, table_name).put(other)
    DynamoSiteStore(dynamodb, table_name).add_key(other.site_id, "other-site-key")
    anna = visitor("anna")
    track_anna(anna)
    offer_id = decide(anna)[1]["offer_id"]

    assert respond("f" * 32, "accepted")[0] == 404
    status, answer = respond(offer_id, "rejected", headers={"X-Site-Key": "other-site-key"})
    assert (status, answer["error"]["code"]) == (404, "not_found")
    assert respond(offer_id, "rejected") == (200, {"offer_id": offer_id, "response": "rejected"})
    assert respond(offer_id, "rejected")[0] == 200
    status, answer = respond(offer_id, "accepted")
    assert (status, answer["error"]["code"]) == (409, "conflict")
    assert respond(offer_id, "maybe")[0] == 422
    assert respond("x" * 101, "accepted")[0] == 422
    # the rejection starts the cooldown, across sessions
    track_anna(anna, "s-2")
    assert decide(anna, "s-2")[1]["reason"] == "capped"


def test_widget_authentication_and_validation(demo_site: Site) -> None:
    assert decide("anna", headers={"Origin": "http://127.0.0.1:3000"})[0] == 401
    assert decide("anna", headers={**WIDGET, "Origin": "https://evil.example"})[0] == 403
    assert decide("anna#1")[0] == 422
    assert decide("anna", idle_seconds=-1)[0] == 422
    status, answer = decide(
        "anna", headers={**WIDGET, "User-Agent": "Googlebot/2.1 (+http://www.google.com/bot.html)"}
    )
    assert (status, answer["reason"]) == (200, "bot")
    assert decide("anna", consent=False)[1]["reason"] == "no_consent"


@pytest.mark.usefixtures("noon_clock")
def test_funnel_counters_follow_the_stream(
    demo_site: Site, dynamodb: Any, table_name: str, stream: StreamPump
) -> None:
    anna = visitor("anna")
    track_anna(anna)
    offer_id = decide(anna)[1]["offer_id"]
    assert decide(anna)[1]["reason"] == "capped"
    assert decide("nobody")[1]["reason"] == "not_qualified"
    respond(offer_id, "accepted")
    stream.drain()
    state = DynamoSessionStore(dynamodb, table_name).get(DEMO_SITE, anna, "s-1")
    assert state is not None
    assert set(state.days) == {"2026-11-22"}
    day = "2026-11-22"
    totals = DynamoCounterStore(dynamodb, table_name).day_totals(DEMO_SITE, day)
    assert totals["decisions"] == 3
    assert totals["qualified"] == 2
    assert totals["offers"] == 1
    assert totals["offered_sessions"] == 1
    assert totals["blocked_capped"] == 1
    assert totals["blocked_not_qualified"] == 1
    assert totals["offers_accepted"] == 1
    assert totals["offers_rejected"] == totals["chats_started"] == 0
    assert totals["sessions"] == 1
