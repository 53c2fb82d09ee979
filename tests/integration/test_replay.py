"""The REES46 sample replayed through POST /v1/events (the track function's Lambda handler
in-process, API Gateway events, moto): what the system counts must be what the file holds.

Each batch is received at its `sent_at` (bench.replay pins the track route's clock), so events
keep their times in the file and the counters land on the file's own UTC day.

In moto as it is, the replay costs ~75 s of CPU, mostly moto's generic response serializer and
its Query, which sorts the whole table each time; `bench.moto_speedup.faster_moto` and
klantreis_local.embedded_dynamodb take shortcuts around them, and the last test here shows that
moto's answers are the same with and without.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from moto.dynamodb.models.table import Table

from bench.moto_speedup import faster_moto
from bench.rees46 import SITE_ID, Expected, expected_totals, load, seed_site, widget_batches
from bench.replay import replay
from klantreis.journey.dynamo_store import DynamoSessionStore
from klantreis.journey.session import SessionState
from klantreis.projections.counters_dynamo_store import DynamoCounterStore
from klantreis.projections.day_counters import SESSION_COUNTERS
from klantreis_local.runtime import StreamPump, streams_client

Facts = tuple[int, bool, int, float, list[str]]
STREAM_BATCH = 1000
"""Records per aggregation call. The template's BatchSize is 500; the counts cannot depend on it,
so fewer, larger calls (each is a transaction)."""


@pytest.fixture
def fast_moto() -> Iterator[None]:
    with faster_moto():
        yield


def session_facts(state: SessionState | None) -> Facts | None:
    """(events, had an add_to_cart, purchases, revenue, days) of a stored session."""
    if state is None:
        return None
    return (
        state.event_count,
        any(tally.cart for tally in state.days.values()),
        state.purchases,
        round(state.revenue, 2),
        sorted(state.days),
    )


def expected_facts(expected: Expected) -> dict[str, Facts | None]:
    return {
        session_id: (s.events, s.cart, s.purchases, float(round(s.revenue, 2)), sorted(s.days))
        for session_id, s in expected.sessions.items()
    }


def day_totals(dynamodb: Any, table_name: str, expected: Expected) -> dict[str, dict[str, float]]:
    """The session counters of each day (the file says nothing about engagement decisions)."""
    counters = DynamoCounterStore(dynamodb, table_name)
    totals = {day: counters.day_totals(SITE_ID, day) for day in expected.days}
    return {day: {name: values[name] for name in SESSION_COUNTERS} for day, values in totals.items()}


def abandonment(totals: dict[str, float]) -> float:
    return (totals["cart_sessions"] - totals["converted_cart_sessions"]) / totals["cart_sessions"]


def test_the_file_says_what_the_report_must_show() -> None:
    # given the shipped sample, read without the system's code
    expected = expected_totals()
    # then it is one UTC day of 3,000 usable events
    assert load().skipped == []
    assert expected.rows == 3000
    assert expected.days["2019-10-01"].counters() == {
        "sessions": 1281, "new_visitor_sessions": 1199, "cart_sessions": 16, "checkout_sessions": 0,
        "purchase_sessions": 34, "converted_cart_sessions": 7, "purchases": 36, "revenue": 10272.31,
    }  # fmt: skip
    assert expected.days["2019-10-01"].cart_abandonment_rate == pytest.approx(9 / 16)


@pytest.mark.usefixtures("fast_moto")
def test_replaying_rees46_counts_what_the_file_holds(dynamodb: Any, table_name: str) -> None:
    # given the replay site (UTC) and the whole sample, batched as the widget sends it
    seed_site(dynamodb, table_name)
    sample = load()
    batches = widget_batches(sample.rows)
    expected = expected_totals()
    stream = StreamPump(dynamodb, table_name, batch_size=STREAM_BATCH)

    # when every batch is posted
    first = replay(batches)

    # then every event is accepted exactly once
    assert first.statuses == {200: len(batches)}
    assert (first.accepted, first.duplicates, first.rejected) == (len(sample.rows), 0, [])
    # and each stored session holds what the file says about it
    sessions = DynamoSessionStore(dynamodb, table_name)
    states = {sid: sessions.get(SITE_ID, s.visitor_id, sid) for sid, s in expected.sessions.items()}
    assert {sid: session_facts(state) for sid, state in states.items()} == expected_facts(expected)
    stored = [state for state in states.values() if state is not None]
    assert sum(state.purchases for state in stored) == expected.purchases
    assert round(sum(state.revenue for state in stored), 2) == float(round(expected.revenue, 2))
    assert sum(1 for state in stored if not state.returning_visitor) == len({s.visitor_id for s in stored})

    # when the stream is drained into the daily counters
    stream.drain()

    # then each day's counters are the file's
    counted = day_totals(dynamodb, table_name, expected)
    assert counted == {day: totals.counters() for day, totals in expected.days.items()}
    for day, totals in expected.days.items():
        assert abandonment(counted[day]) == pytest.approx(totals.cart_abandonment_rate)

    # when the same batches are posted again
    second = replay(batches)

    # then every event is a duplicate, nothing is written, and the counters stay the file's
    assert second.statuses == {200: len(batches)}
    assert (second.accepted, second.duplicates, second.rejected) == (0, len(sample.rows), [])
    assert stream.drain() == 0
    assert day_totals(dynamodb, table_name, expected) == counted


def _query_pages(dynamodb: Any, **kwargs: Any) -> list[Any]:
    pages = []
    while True:
        page = dynamodb.query(**kwargs)
        pages.append([page["Items"], page.get("LastEvaluatedKey"), page["Count"], page["ScannedCount"]])
        if "LastEvaluatedKey" not in page:
            return pages
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _answers(dynamodb: Any, table_name: str) -> list[Any]:
    """What clients read back: every item by Scan and GetItem, each partition by Query in the
    ways the code queries (whole, by prefix with a projection, one page of one, newest first),
    the index, and the stream's records."""
    streams = streams_client()
    arn = dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
    [shard] = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )
    items = dynamodb.scan(TableName=table_name, ConsistentRead=True)["Items"]
    answers: list[Any] = [items, streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]]
    for item in items:
        key = {"PK": item["PK"], "SK": item["SK"]}
        answers.append(dynamodb.get_item(TableName=table_name, Key=key, ConsistentRead=True)["Item"])
    for partition in [*sorted({item["PK"]["S"] for item in items}), "SITE#nobody#V#none"]:
        table = {"TableName": table_name, "ExpressionAttributeValues": {":pk": {"S": partition}}}
        answers += [
            _query_pages(dynamodb, KeyConditionExpression="PK = :pk", **table),
            _query_pages(
                dynamodb, KeyConditionExpression="PK = :pk", Limit=1, ScanIndexForward=False, **table
            ),
            _query_pages(
                dynamodb,
                TableName=table_name,
                KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
                ExpressionAttributeValues={":pk": {"S": partition}, ":prefix": {"S": "SESSION#"}},
                ProjectionExpression="PK",
                Limit=1,
            ),
        ]
    answers.append(
        _query_pages(
            dynamodb,
            TableName=table_name,
            IndexName="GSI1",
            KeyConditionExpression="GSI1PK = :pk",
            ExpressionAttributeValues={":pk": {"S": f"SITE#{SITE_ID}"}},
        )
    )
    return answers


def test_moto_answers_the_same_with_the_shortcuts(dynamodb: Any, table_name: str) -> None:
    # given the sessions of the first visitors and of the busiest ones (journey chunks, returning
    # visitors), and an item of every attribute type
    seed_site(dynamodb, table_name)
    rows = load().rows
    events = Counter(row.visitor_id for row in rows)
    visitors = {row.visitor_id for row in rows[:60]} | {visitor for visitor, _ in events.most_common(5)}
    with faster_moto():  # its answers are the same as moto's (checked below)
        replay(widget_batches(row for row in rows if row.visitor_id in visitors))
    dynamodb.put_item(
        TableName=table_name,
        Item={
            "PK": {"S": "EVERY#TYPE"}, "SK": {"S": "ITEM"}, "empty": {"S": ""}, "n": {"N": "-329.950"},
            "b": {"B": b"\x00\xff\x10"}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.5"]},
            "bs": {"BS": [b"a", b"\x01"]}, "nothing": {"NULL": True}, "no": {"BOOL": False},
            "m": {"M": {"l": {"L": [{"N": "1"}, {"M": {}}, {"L": []}, {"B": b"\x02"}, {"SS": ["c"]}]}}},
        },
    )  # fmt: skip
    # when both read everything back (moto's own Query without embedded_dynamodb's partition query)
    with mock.patch.object(Table, "query", Table.query.__wrapped__):
        stock = _answers(dynamodb, table_name)
    with faster_moto():
        faster = _answers(dynamodb, table_name)
    # then moto answers exactly the same
    assert sum(1 for item in stock[0] if item["SK"]["S"].startswith("JOURNEY#")) > 0
    assert faster == stock
