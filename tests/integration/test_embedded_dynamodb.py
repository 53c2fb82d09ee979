"""klantreis_local.embedded_dynamodb: moto's transactions roll back in place, touching only their
own items, and the table's stream stays the one its readers hold, without records of writes that
were rolled back; the stream and its iterators keep to DynamoDB's retention."""

from __future__ import annotations

import copy
import gc
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.utils import utcnow
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodbstreams.models import dynamodbstreams_backends

from klantreis_local import embedded_dynamodb
from klantreis_local.runtime import REGION, StreamPump


def backend() -> Any:
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]


def s(value: str) -> dict[str, str]:
    return {"S": value}


def put(table_name: str, pk: str, sk: str, **attrs: str) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": table_name,
            "Item": {"PK": s(pk), "SK": s(sk), **{k: s(v) for k, v in attrs.items()}},
        }
    }


def new_only(table_name: str, pk: str, sk: str) -> dict[str, Any]:
    """A put that fails when the item exists: the transaction's conflict."""
    action = put(table_name, pk, sk, note="new")
    action["Put"]["ConditionExpression"] = "attribute_not_exists(PK)"
    return action


def fill(dynamodb: Any, table_name: str, items: int) -> None:
    for n in range(items):
        dynamodb.put_item(
            TableName=table_name, Item={"PK": s(f"FILL#{n % 7}"), "SK": s(f"{n:06}"), "v": s("x" * 50)}
        )


def everything(dynamodb: Any, table_name: str) -> list[dict[str, Any]]:
    pages = dynamodb.get_paginator("scan").paginate(TableName=table_name)
    return sorted(
        (item for page in pages for item in page["Items"]), key=lambda i: (i["PK"]["S"], i["SK"]["S"])
    )


def cancel(dynamodb: Any, actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(TransactItems=actions)
    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons: list[dict[str, Any]] = refused.value.response["CancellationReasons"]
    return reasons


def a_failing_transaction(table_name: str) -> list[dict[str, Any]]:
    """Writes three items (an insert, an overwrite, an update) and then loses its condition."""
    return [
        put(table_name, "T#1", "A", note="written"),
        put(table_name, "T#1", "B", note="overwritten"),
        {
            "Update": {
                "TableName": table_name,
                "Key": {"PK": s("T#2"), "SK": s("C")},
                "UpdateExpression": "SET note = :s",
                "ExpressionAttributeValues": {":s": s("updated")},
            }
        },
        new_only(table_name, "T#3", "D"),
    ]


@pytest.fixture
def deep_copies(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Counts what is deep-copied (moto and the layer call copy.deepcopy through the module)."""
    copied: Counter[str] = Counter()
    original = copy.deepcopy

    def counting(value: Any, *args: Any, **kwargs: Any) -> Any:
        copied[type(value).__name__] += 1
        return original(value, *args, **kwargs)

    monkeypatch.setattr(copy, "deepcopy", counting)
    return copied


def test_a_failed_transaction_puts_back_exactly_the_items_it_touched(dynamodb: Any, table_name: str) -> None:
    # given a table with items, among them B, C and the D the transaction will conflict on
    fill(dynamodb, table_name, 20)
    dynamodb.put_item(TableName=table_name, Item={"PK": s("T#1"), "SK": s("B"), "note": s("before")})
    dynamodb.put_item(
        TableName=table_name, Item={"PK": s("T#2"), "SK": s("C"), "note": s("before"), "n": {"N": "1"}}
    )
    dynamodb.put_item(TableName=table_name, Item={"PK": s("T#3"), "SK": s("D"), "note": s("exists")})
    before = everything(dynamodb, table_name)
    table = backend().get_table(table_name)

    # when a transaction writes A, B and C and then fails on D
    reasons = cancel(dynamodb, a_failing_transaction(table_name))

    # then the table (the same object) holds exactly what it held, the new A's partition included
    assert [r["Code"] for r in reasons] == ["None", "None", "None", "ConditionalCheckFailed"]
    assert everything(dynamodb, table_name) == before
    assert backend().get_table(table_name) is table
    assert not any(key.value == "T#1" and not partition for key, partition in table.items.items())


def test_a_failed_transaction_copies_its_items_not_the_table(
    dynamodb: Any, table_name: str, deep_copies: Counter[str]
) -> None:
    copied_by_table_size = []
    for size in (10, 1_000):
        # given a table of `size` items (more each round)
        fill(dynamodb, table_name, size)
        dynamodb.put_item(TableName=table_name, Item={"PK": s("T#3"), "SK": s("D"), "note": s("exists")})
        deep_copies.clear()
        # when the same transaction fails
        cancel(dynamodb, a_failing_transaction(table_name))
        copied_by_table_size.append(dict(deep_copies))
    # then no table was copied, and what was copied does not grow with the table
    small, large = copied_by_table_size
    assert "Table" not in large
    assert "defaultdict" not in large
    assert small == large


def test_cancellation_reasons_are_moto_s(dynamodb: Any, table_name: str) -> None:
    # given an existing item
    dynamodb.put_item(TableName=table_name, Item={"PK": s("T#3"), "SK": s("D"), "note": s("exists")})
    conflict = new_only(table_name, "T#3", "D")
    conflict["Put"]["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    check = {
        "ConditionCheck": {
            "TableName": table_name,
            "Key": {"PK": s("T#9"), "SK": s("Z")},
            "ConditionExpression": "attribute_exists(PK)",
        }
    }
    # when a transaction fails on a put asking for the old item and a condition check
    reasons = cancel(dynamodb, [put(table_name, "T#1", "A"), conflict, check])
    # then each item has its reason as moto gives it
    assert reasons == [
        {"Code": "None"},
        {
            "Code": "ConditionalCheckFailed",
            "Message": "The conditional request failed",
            "Item": {"PK": s("T#3"), "SK": s("D"), "note": s("exists")},
        },
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"},
    ]


def test_a_transaction_naming_one_item_twice_is_refused_and_undone(dynamodb: Any, table_name: str) -> None:
    # when a transaction writes A and then names A again
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(
            TransactItems=[put(table_name, "T#1", "A"), put(table_name, "T#1", "A")]
        )
    # then it is refused as DynamoDB does, and A was not written
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert everything(dynamodb, table_name) == []


def test_a_successful_transaction_writes_and_streams_every_item(dynamodb: Any, table_name: str) -> None:
    delivered: list[dict[str, Any]] = []
    stream_pump = StreamPump(
        dynamodb, table_name, consumers=[lambda event, _: delivered.extend(event["Records"])]
    )
    dynamodb.transact_write_items(TransactItems=[put(table_name, "T#1", "A"), put(table_name, "T#1", "B")])
    assert stream_pump.drain() == 2
    assert [r["dynamodb"]["Keys"]["SK"] for r in delivered] == [s("A"), s("B")]


def test_the_stream_a_reader_holds_keeps_flowing_without_rolled_back_writes(
    dynamodb: Any, table_name: str
) -> None:
    # given a stream reader that has read everything so far
    delivered: list[dict[str, Any]] = []
    reader = StreamPump(dynamodb, table_name, consumers=[lambda event, _: delivered.extend(event["Records"])])
    dynamodb.put_item(TableName=table_name, Item={"PK": s("T#3"), "SK": s("D"), "note": s("exists")})
    assert reader.drain() == 1
    # when a transaction fails after writing three items, and then an ordinary write follows
    cancel(dynamodb, a_failing_transaction(table_name))
    dynamodb.put_item(TableName=table_name, Item={"PK": s("T#4"), "SK": s("E")})
    # then the reader gets the later write, and nothing of the failed transaction
    assert reader.drain() == 1
    assert [r["dynamodb"]["Keys"] for r in delivered] == [
        {"PK": s("T#3"), "SK": s("D")},
        {"PK": s("T#4"), "SK": s("E")},
    ]
    # and a new reader from the stream's start reads the same
    again: list[dict[str, Any]] = []
    StreamPump(dynamodb, table_name, consumers=[lambda event, _: again.extend(event["Records"])]).drain()
    assert [r["eventID"] for r in again] == [r["eventID"] for r in delivered]


def test_stream_records_are_kept_for_24_hours(dynamodb: Any, table_name: str) -> None:
    # given a stream with three records, the first two older than a day
    for sk in ("A", "B", "C"):
        dynamodb.put_item(TableName=table_name, Item={"PK": s("T#1"), "SK": s(sk)})
    shard = backend().get_table(table_name).stream_shard
    for record in shard.items[:2]:
        record.record["dynamodb"]["ApproximateCreationDateTime"] -= timedelta(hours=25)
    first = shard.starting_sequence_number
    # when the next record is written
    dynamodb.put_item(TableName=table_name, Item={"PK": s("T#1"), "SK": s("D")})
    # then the old two are gone, and sequence numbers go on where they were
    assert [r.record["dynamodb"]["Keys"]["SK"] for r in shard.items] == [s("C"), s("D")]
    assert [int(r.record["dynamodb"]["SequenceNumber"]) for r in shard.items] == [first + 2, first + 3]
    delivered: list[dict[str, Any]] = []
    StreamPump(dynamodb, table_name, consumers=[lambda event, _: delivered.extend(event["Records"])]).drain()
    assert [r["dynamodb"]["Keys"]["SK"] for r in delivered] == [s("C"), s("D")]


def test_trimming_a_stream_with_nothing_expired_keeps_it(dynamodb: Any, table_name: str) -> None:
    dynamodb.put_item(TableName=table_name, Item={"PK": s("T#1"), "SK": s("A")})
    shard = backend().get_table(table_name).stream_shard
    start = shard.starting_sequence_number
    embedded_dynamodb.trim_stream(shard, utcnow())
    assert (len(shard.items), shard.starting_sequence_number) == (1, start)


def test_shard_iterators_expire_after_15_minutes(
    dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a reader polling the stream for a while (moto issues an iterator per poll)
    clock = [1_000.0]
    monkeypatch.setattr(embedded_dynamodb, "_monotonic", lambda: clock[0])
    reader = StreamPump(dynamodb, table_name, consumers=[])
    for _ in range(5):
        reader.drain()
    iterators = dynamodbstreams_backends[DEFAULT_ACCOUNT_ID][REGION].shard_iterators
    issued = len(iterators)
    assert issued >= 5
    # when 15 minutes have passed and it polls again
    clock[0] += embedded_dynamodb.SHARD_ITERATOR_LIFETIME_SECONDS
    dynamodb.put_item(TableName=table_name, Item={"PK": s("T#1"), "SK": s("A")})
    delivered = reader.drain()
    # then only the iterators of that poll are kept, and the reader still reads on
    assert delivered == 1
    assert len(iterators) <= 2 < issued


def test_a_shorter_retention_trims_records_older_than_it(
    dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the local stack's retention of minutes, and one record older than it
    monkeypatch.setattr(embedded_dynamodb, "_retention", embedded_dynamodb.STREAM_RETENTION)
    embedded_dynamodb.set_stream_retention(timedelta(minutes=5))
    dynamodb.put_item(TableName=table_name, Item={"PK": s("T#1"), "SK": s("A")})
    dynamodb.put_item(TableName=table_name, Item={"PK": s("T#1"), "SK": s("B")})
    shard = backend().get_table(table_name).stream_shard
    shard.items[0].record["dynamodb"]["ApproximateCreationDateTime"] -= timedelta(minutes=6)
    # when the stream is trimmed
    embedded_dynamodb.trim_stream(shard, utcnow())
    # then only the recent record is kept
    assert [r.record["dynamodb"]["Keys"]["SK"] for r in shard.items] == [s("B")]


def test_queries_from_many_threads_each_read_their_own_partition(dynamodb: Any, table_name: str) -> None:
    # given eight partitions of three items each (a report reads several days at once)
    for p in range(8):
        for n in range(3):
            dynamodb.put_item(TableName=table_name, Item={"PK": s(f"P#{p}"), "SK": s(f"{n}")})

    def read(p: int) -> list[str]:
        found = []
        for _ in range(50):
            answer = dynamodb.query(
                TableName=table_name,
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues={":pk": s(f"P#{p}")},
            )
            found.append(",".join(sorted(item["PK"]["S"] for item in answer["Items"])))
        return found

    # when eight threads query their partitions at the same time
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(read, range(8)))
    # then every answer holds exactly its own partition's items
    assert results == [[",".join([f"P#{p}"] * 3)] * 50 for p in range(8)]


def age_records(records: list[Any], by: timedelta) -> None:
    for record in records:
        record.record["dynamodb"]["ApproximateCreationDateTime"] -= by


def test_thousands_of_writes_leave_only_the_table_and_its_retained_stream_in_memory(
    dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the local stack's retention, and a reader polling the stream as the pump does
    monkeypatch.setattr(embedded_dynamodb, "_retention", embedded_dynamodb.STREAM_RETENTION)
    embedded_dynamodb.set_stream_retention(timedelta(minutes=5))
    reader = StreamPump(dynamodb, table_name, consumers=[])
    shard = backend().get_table(table_name).stream_shard
    # when 3,000 writes update 50 items over and over (each a new item version and stream record),
    # and all but the last 100 records, read already, have aged past the retention
    for n in range(3_000):
        dynamodb.put_item(TableName=table_name, Item={"PK": s(f"V#{n % 50}"), "SK": s("A"), "n": s(str(n))})
        if n % 100 == 99:
            reader.drain()
        if n == 2_899:
            age_records(shard.items, timedelta(minutes=6))
    assert reader.records_delivered == 3_000
    gc.collect()
    # then moto tracks none of those objects, and what lives is the table's items and the kept records
    for model in embedded_dynamodb.untracked_models():
        assert model.instances_tracked == []  # type: ignore[attr-defined]
    live = Counter(type(thing).__name__ for thing in gc.get_objects())
    assert len(shard.items) == 100
    assert live["StreamRecord"] <= 100
    assert live["Item"] <= 50 + 10
    assert live["ShardIterator"] <= 2 * (3_000 // 100 + 1)  # this quarter hour's polls, at most two each


def test_an_index_query_answers_as_moto_s_own_with_the_table_grown(
    dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a table of 3,000 items, a third of them in GSI1 under ten keys (some without GSI1SK,
    # which GSI1 then leaves out), in no particular order
    for n in range(3_000):
        item = {"PK": s(f"P#{n % 97}"), "SK": s(f"{n:05d}")}
        if n % 3 == 0:
            item["GSI1PK"] = s(f"V#{n % 10}")
            if n % 7:
                item["GSI1SK"] = s(f"C#{(n * 37) % 1000:04d}")
        dynamodb.put_item(TableName=table_name, Item=item)

    def pages(forward: bool, limit: int) -> list[list[dict[str, Any]]]:
        found, start = [], None
        while True:
            answer = dynamodb.query(
                TableName=table_name,
                IndexName="GSI1",
                KeyConditionExpression="GSI1PK = :v AND begins_with(GSI1SK, :c)",
                ExpressionAttributeValues={":v": s("V#3"), ":c": s("C#")},
                ScanIndexForward=forward,
                Limit=limit,
                **({"ExclusiveStartKey": start} if start else {}),
            )
            found.append(answer["Items"])
            start = answer.get("LastEvaluatedKey")
            if not start:
                return found

    # when the same queries are answered by the partition-reading query and by moto's own
    ours = [pages(forward, limit) for forward in (True, False) for limit in (7, 1000)]
    table_class = type(dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(table_name))
    monkeypatch.setattr(table_class, "query", table_class.query.__wrapped__)
    motos = [pages(forward, limit) for forward in (True, False) for limit in (7, 1000)]
    # then every page holds the same items in the same order
    assert ours == motos
    assert sum(len(page) for page in ours[1]) == len([n for n in range(0, 3000, 3) if n % 10 == 3 and n % 7])
