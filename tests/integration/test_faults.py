"""Faults injected, nothing lost: DynamoDB throttling and 5xx (tests/faults.py) on tracking, the
stream consumers and chat placement, in-process against moto. Tracking answers 429 with
Retry-After and a retried batch counts once; the aggregation counts every record exactly once
through Lambda's retries (klantreis_local.stream_delivery, with the template's settings) and sends
a poison record alone to the dead-letter queue."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import boto3
import pytest
from aggregate import handler as aggregate
from aggregate import live as live_stream

from chat.handler import lambda_handler as chat_api
from klantreis import dynamo, keys
from klantreis.agents.dynamo_store import DynamoAgentStore
from klantreis.journey import dynamo_store as journey_store
from klantreis.journey.dynamo_store import DynamoSessionStore
from klantreis.projections.counters_dynamo_store import DynamoCounterStore
from klantreis.sites import Site
from klantreis_local.runtime import (
    DEMO_SITE,
    DEMO_SITE_KEY,
    StreamPump,
    keep_demo_agents_present,
    lambda_stream_record,
    streams_client,
)
from klantreis_local.stream_delivery import deliver, settings_of
from report.handler import lambda_handler as report
from tests.chat_tables import DynamoChatStore
from tests.factories import NOON, T0, FakeContext, anna_journey, api_event, batch, event, load_operator_script
from tests.faults import SERVER_ERROR, THROTTLED, faulty_client
from tests.integration.test_report_counters import DAY, survey_record
from track import dependencies as track_dependencies
from track.handler import app as track_app
from track.handler import lambda_handler as track

WIDGET = {"X-Site-Key": DEMO_SITE_KEY, "Origin": "http://127.0.0.1:3000"}
OPS = {"sub": "ops", "site_id": DEMO_SITE, "role": "operator"}
AGGREGATE = settings_of("AggregateFunction")


@pytest.fixture
def noon(monkeypatch: pytest.MonkeyPatch) -> None:
    """The track function's clock at NOON (not for the live view, which shows the last minutes)."""
    monkeypatch.setitem(track_app.dependency_overrides, track_dependencies.now, lambda: NOON)


def header(answer: dict[str, Any], name: str) -> str | None:
    single = answer.get("headers") or {}
    multi = answer.get("multiValueHeaders") or {}
    return single.get(name) or (multi.get(name) or [None])[0]


def send_like_the_widget(body: dict[str, Any], attempts: int = 4) -> list[dict[str, Any]]:
    """Posts a batch, and posts it again (same event ids) after each 429, as the widget does."""
    answers = []
    for _ in range(attempts):
        answer = track(api_event("POST", "/v1/events", body=body, headers=WIDGET), FakeContext())
        answers.append(answer)
        if answer["statusCode"] != 429:
            break
    return answers


# --------------------------------------------------------------------------------- tracking
def session_write(request: dict[str, Any]) -> bool:
    """The session item's conditional put (not a journey chunk put before it); any read."""
    item = request.get("Item")
    return item is None or str(item["SK"]["S"]).startswith(keys.SESSION_PREFIX)


@pytest.mark.usefixtures("noon")
@pytest.mark.parametrize(
    "fault",
    [
        ("put_item", THROTTLED, False, "throttled"),
        ("put_item", SERVER_ERROR, False, "unavailable"),
        ("get_item", THROTTLED, False, "throttled"),
        ("query", "ServiceUnavailable", False, "unavailable"),
        ("put_item", SERVER_ERROR, True, "unavailable"),
    ],
    ids=["save-throttled", "save-5xx", "read-throttled", "query-5xx", "saved-but-answer-lost"],
)
def test_a_batch_that_failed_is_retried_and_counted_exactly_once(
    demo_site: Site,
    dynamodb: Any,
    table_name: str,
    monkeypatch: pytest.MonkeyPatch,
    fault: tuple[str, str, bool, str],
) -> None:
    operation, code, after_write, error_code = fault
    # given a store that fails Anna's first batch once
    body = batch(*anna_journey())
    with faulty_client(dynamodb, monkeypatch) as faulty:
        track(
            api_event("POST", "/v1/events", body=batch(event(), visitor_id="warm-up"), headers=WIDGET),
            FakeContext(),
        )
        faulty.fail(operation, code, after_write=after_write, when=session_write)
        # when the widget sends it, and again after the refusal
        answers = send_like_the_widget(body)
    # then the failure was a retryable 429 in the contract's shape, never a 5xx
    first, last = answers[0], answers[-1]
    assert faulty.injected == [(operation, code)]
    assert first["statusCode"] == 429, first["body"]
    assert json.loads(first["body"])["error"]["code"] == error_code
    assert header(first, "Retry-After") == "1"
    # and the retry was answered, with every event accepted once over both answers
    assert last["statusCode"] == 200, last["body"]
    outcome = json.loads(last["body"])
    assert (outcome["accepted"] + outcome["duplicates"], outcome["rejected"]) == (7, [])
    assert outcome["accepted"] == (0 if after_write else 7)
    # and the session holds each event once, and the day counts it once
    state = DynamoSessionStore(dynamodb, table_name).get(DEMO_SITE, "anna", "s-1")
    assert state is not None
    assert (state.products["b-39"].views, state.checkout_step, state.cart_value) == (3, 2, 329.95)
    StreamPump(dynamodb, table_name).drain()
    [day] = state.days
    totals = DynamoCounterStore(dynamodb, table_name).day_totals(DEMO_SITE, day)
    assert (totals["sessions"], totals["cart_sessions"], totals["checkout_sessions"]) == (2, 1, 1)


# ------------------------------------------------------------------------------ aggregation
SURVEYS = 120
"""120 surveys of one day: 484 counters, written in several transactions (parts) per batch."""


def survey_counts(dynamodb: Any, table_name: str) -> dict[str, float]:
    counted = DynamoCounterStore(dynamodb, table_name).day_counters(DEMO_SITE, DAY)
    return {name: counted[name] for name in ("surveys", "csat_n", "csat_good", "csat_sum")}


def expected_counts(surveys: int) -> dict[str, float]:
    return {"surveys": surveys, "csat_n": surveys, "csat_good": surveys, "csat_sum": 5 * surveys}


def poison(n: int) -> dict[str, Any]:
    """A survey record whose image cannot be decoded (a number that is not one)."""
    record = survey_record(n)
    record["dynamodb"]["NewImage"]["csat"] = {"Q": "5"}  # no such attribute type
    return record


@pytest.mark.parametrize(
    "fault", [(code, part) for code in (THROTTLED, SERVER_ERROR) for part in (0, 1)], ids=str
)
def test_a_batch_whose_counters_failed_midway_is_retried_whole_and_counted_once(
    demo_site: Site,
    dynamodb: Any,
    table_name: str,
    monkeypatch: pytest.MonkeyPatch,
    fault: tuple[str, int],
) -> None:
    code, failing_part = fault
    # given a batch whose counters take several transactions, one of which fails after the
    # ones before it were written
    records = [survey_record(n) for n in range(SURVEYS)]
    with faulty_client(dynamodb, monkeypatch) as faulty:
        calls = {"n": 0}

        def nth_transaction(_: dict[str, Any]) -> bool:
            calls["n"] += 1
            return calls["n"] == failing_part + 1

        faulty.fail("transact_write_items", code, when=nth_transaction)
        # when Lambda delivers it with the template's settings
        delivery = deliver(records, aggregate.lambda_handler, FakeContext(), AGGREGATE)
    # then the first attempt answered its first record failed, the retry of the same batch
    # skipped the parts already written, and every counter is there once
    assert faulty.injected == [("transact_write_items", code)]
    assert (delivery.invocations, delivery.errors, delivery.dead_records) == (2, 0, [])
    assert survey_counts(dynamodb, table_name) == expected_counts(SURVEYS)


@pytest.mark.parametrize("at", [0, 1, 57, SURVEYS - 1])
def test_a_poison_record_goes_alone_to_the_dead_letter_queue_and_the_rest_counts_once(
    demo_site: Site, dynamodb: Any, table_name: str, at: int
) -> None:
    # given a batch with one record that cannot be decoded
    records = [survey_record(n) for n in range(SURVEYS)]
    records[at] = poison(at)
    # when Lambda delivers it with the template's settings (partial batch responses, bisection,
    # bounded retries, the dead-letter queue)
    delivery = deliver(records, aggregate.lambda_handler, FakeContext(), AGGREGATE)
    # then the poison record alone is given up, after the template's retries
    assert delivery.dead_records == [records[at]]
    assert AGGREGATE.maximum_retry_attempts <= delivery.errors
    assert delivery.invocations <= 2 * AGGREGATE.maximum_retry_attempts + 20
    # and every other record, before and behind it, counts exactly once
    assert survey_counts(dynamodb, table_name) == expected_counts(SURVEYS - 1)
    # and delivering the batch once more (an operator replaying it) counts nothing again
    deliver(records, aggregate.lambda_handler, FakeContext(), AGGREGATE)
    assert survey_counts(dynamodb, table_name) == expected_counts(SURVEYS - 1)


def test_the_aggregation_settings_give_poison_records_up_after_bounded_retries() -> None:
    assert AGGREGATE.report_batch_item_failures
    assert AGGREGATE.bisect_on_error
    assert AGGREGATE.dead_letter
    assert 0 < AGGREGATE.maximum_retry_attempts <= 20


@pytest.mark.usefixtures("noon")
def test_the_stream_pump_of_the_local_stack_retries_a_failed_batch(
    demo_site: Site, dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given tracked visitors, and a store that throttles the aggregation's first transaction
    for n in range(3):
        track(
            api_event("POST", "/v1/events", body=batch(event(), visitor_id=f"v{n}"), headers=WIDGET),
            FakeContext(),
        )
    with faulty_client(dynamodb, monkeypatch) as faulty:
        faulty.fail("transact_write_items", THROTTLED)
        pump = StreamPump(dynamodb, table_name)
        # when the local stack's pump delivers the stream
        pump.drain()
    # then the batch was retried, nothing was given up, and each session counts once
    assert faulty.injected == [("transact_write_items", THROTTLED)]
    assert pump.dead_letters == []
    state = DynamoSessionStore(dynamodb, table_name).get(DEMO_SITE, "v0", "s-1")
    assert state is not None
    [day] = state.days
    assert DynamoCounterStore(dynamodb, table_name).day_totals(DEMO_SITE, day)["sessions"] == 3


# -------------------------------------------------------------------------------- live view
def test_the_live_board_survives_a_throttled_write(
    demo_site: Site, dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given two visitors tracked, and a store that throttles the board's write, then fails it
    for name in ("anna", "bram"):
        track(
            api_event("POST", "/v1/events", body=batch(*anna_journey(), visitor_id=name), headers=WIDGET),
            FakeContext(),
        )
    with faulty_client(dynamodb, monkeypatch) as faulty:
        faulty.fail("put_item", THROTTLED)
        faulty.fail("put_item", SERVER_ERROR)
        # when the live consumer gets the stream (Lambda retrying the failed invocations)
        pump = StreamPump(dynamodb, table_name, [live_stream.lambda_handler])
        pump.drain()
    # then both visitors are on the board once
    assert len(faulty.injected) == 2
    assert pump.dead_letters == []
    answer = report(api_event("GET", "/v1/visitors/live", claims=OPS), FakeContext())
    assert answer["statusCode"] == 200, answer["body"]
    assert sorted(v["visitor_id"] for v in json.loads(answer["body"])["visitors"]) == ["anna", "bram"]


# --------------------------------------------------------------------------- chat placement
@pytest.mark.parametrize("code", [THROTTLED, SERVER_ERROR])
def test_a_chat_whose_placement_failed_is_retried_and_placed_once(
    demo_site: Site, dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch, code: str
) -> None:
    # given available agents, and a store that fails the placement's transaction once
    keep_demo_agents_present(dynamodb, table_name)
    body = {"visitor_id": "anna", "session_id": "s-1", "category": "dameslaarzen", "message": "Hallo"}
    answers = []
    with faulty_client(dynamodb, monkeypatch) as faulty:
        faulty.fail("transact_write_items", code)
        # when the widget starts a chat, and again after the refusal
        for _ in range(3):
            answers.append(chat_api(api_event("POST", "/v1/chats", body=body, headers=WIDGET), FakeContext()))
            if answers[-1]["statusCode"] != 429:
                break
    # then the failure was a retryable 429, and the retry placed one chat with one agent
    assert [a["statusCode"] for a in answers] == [429, 201], answers[-1]["body"]
    assert header(answers[0], "Retry-After") == "1"
    started = json.loads(answers[1]["body"])
    assert started["status"] == "assigned"
    chats = DynamoChatStore(dynamodb, table_name).chats_of_visitor(DEMO_SITE, "anna")
    assert [chat.chat_id for chat in chats] == [started["chat_id"]]
    agents = DynamoAgentStore(dynamodb, table_name).list(DEMO_SITE)
    assert sum(agent.active_chats for agent in agents) == 1
    assert {chat for agent in agents for chat in agent.chat_ids} == {started["chat_id"]}
    key = dynamo.to_item({"PK": keys.chat_pk(DEMO_SITE, started["chat_id"]), "SK": keys.CHAT})
    assert dynamodb.get_item(TableName=table_name, Key=key).get("Item")


# ----------------------------------------------------------------- the dead-letter queue, replayed
def stream_range(dynamodb: Any, table_name: str) -> tuple[str, str, list[dict[str, Any]]]:
    """(stream ARN, shard id, its records so far in Lambda's format) of the table's one shard."""
    streams = streams_client()
    arn = dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
    [shard] = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    return arn, shard["ShardId"], [lambda_stream_record(record, arn) for record in records]


@pytest.mark.usefixtures("noon")
def test_a_half_written_batch_in_the_dead_letter_queue_is_replayed_and_counted_once(
    demo_site: Site, dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given three tracked sessions whose batch got its counters written but not its page
    # statistics (the second transaction failed), and which Lambda then gave up on
    for n in range(3):
        body = batch(event(url=f"https://shop.example/p{n}"), visitor_id=f"v{n}")
        track(api_event("POST", "/v1/events", body=body, headers=WIDGET), FakeContext())
    arn, shard, records = stream_range(dynamodb, table_name)
    with faulty_client(dynamodb, monkeypatch) as faulty:
        calls = {"n": 0}

        def second(_: dict[str, Any]) -> bool:
            calls["n"] += 1
            return calls["n"] == 2

        faulty.fail("transact_write_items", THROTTLED, when=second)
        answer = aggregate.lambda_handler({"Records": records}, FakeContext())
    assert answer == {"batchItemFailures": [{"itemIdentifier": records[0]["dynamodb"]["SequenceNumber"]}]}
    sqs = boto3.client("sqs", region_name="eu-west-1")
    queue_url = sqs.create_queue(QueueName="klantreis-test-aggregate-dlq")["QueueUrl"]
    batch_info = {
        "shardId": shard,
        "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
        "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
        "streamArn": arn,
        "batchSize": len(records),
    }
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"DDBStreamBatchInfo": batch_info}))

    # when the operator replays the queue
    replayer = load_operator_script("replay_dead_letters")
    done = replayer.replay(
        sqs, streams_client(), lambda event: aggregate.lambda_handler(event, FakeContext()), queue_url
    )

    # then the batch was counted, its sessions once, its pages now, and the message is gone
    assert (len(done.replayed), done.failed) == (1, {})
    totals = DynamoCounterStore(dynamodb, table_name).day_totals(DEMO_SITE, T0.date().isoformat())
    assert totals["sessions"] == 3
    page_counts, _ = journey_store.load_counts(dynamodb, table_name, DEMO_SITE)
    assert len(page_counts) == 3
    assert "Messages" not in sqs.receive_message(QueueUrl=queue_url)


@pytest.mark.usefixtures("noon")
def test_a_read_that_fails_after_an_earlier_attempt_wrote_does_not_split_the_batch(
    demo_site: Site, dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given Anna's session up to a purchase (its counters need a read: her session's decisions)
    body = batch(*anna_journey(), event("purchase", at=T0 + timedelta(minutes=5), value=296.96))
    track(api_event("POST", "/v1/events", body=body, headers=WIDGET), FakeContext())
    _, _, records = stream_range(dynamodb, table_name)
    with faulty_client(dynamodb, monkeypatch) as faulty:
        calls = {"transact_write_items": 0, "query": 0}

        def nth(operation: str, n: int) -> Callable[[dict[str, Any]], bool]:
            def matches(_: dict[str, Any]) -> bool:
                calls[operation] += 1
                return calls[operation] == n

            return matches

        # the first attempt writes the counters and fails on the page statistics; the second
        # fails reading the decisions
        faulty.fail("transact_write_items", THROTTLED, when=nth("transact_write_items", 2))
        faulty.fail("query", SERVER_ERROR, when=nth("query", 2))
        # when Lambda delivers the batch with the template's settings
        delivery = deliver(records, aggregate.lambda_handler, FakeContext(), AGGREGATE)
    # then both failures asked for the same batch again (no invocation error, so no bisection),
    # and the session counts once
    assert [code for _, code in faulty.injected] == [THROTTLED, SERVER_ERROR]
    assert (delivery.invocations, delivery.errors, delivery.dead_records) == (3, 0, [])
    totals = DynamoCounterStore(dynamodb, table_name).day_totals(DEMO_SITE, T0.date().isoformat())
    assert (totals["sessions"], totals["purchase_sessions"], totals["purchases"]) == (1, 1, 1)
    assert totals["revenue"] == pytest.approx(296.96)


def test_a_chat_whose_opening_message_failed_is_ended_so_the_retry_starts_one(
    demo_site: Site, dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given available agents, and a store that fails the opening message's write once (after the
    # chat was placed with an agent)
    keep_demo_agents_present(dynamodb, table_name)
    body = {"visitor_id": "anna", "session_id": "s-1", "category": "dameslaarzen", "message": "Hallo"}
    answers = []
    with faulty_client(dynamodb, monkeypatch) as faulty:
        opening = "SET message_count = :count"
        faulty.fail("update_item", when=lambda request: request.get("UpdateExpression") == opening)
        # when the widget starts a chat, and again after the refusal
        for _ in range(3):
            answers.append(chat_api(api_event("POST", "/v1/chats", body=body, headers=WIDGET), FakeContext()))
            if answers[-1]["statusCode"] != 429:
                break
    # then the retry started a chat (no "open chat already"), the unstarted one is ended, and
    # only the new chat holds an agent's slot
    assert [a["statusCode"] for a in answers] == [429, 201], answers[-1]["body"]
    started = json.loads(answers[1]["body"])
    chats = DynamoChatStore(dynamodb, table_name).chats_of_visitor(DEMO_SITE, "anna")
    ended = [chat for chat in chats if chat.chat_id != started["chat_id"]]
    assert [chat.status for chat in ended] == ["ended"]
    agents = DynamoAgentStore(dynamodb, table_name).list(DEMO_SITE)
    assert sum(agent.active_chats for agent in agents) == 1
    assert {chat for agent in agents for chat in agent.chat_ids} == {started["chat_id"]}
