"""klantreis_local.embedded_dynamodb with `drop_records_once_read` (the local stack's setting): the
stream holds only what a reader has not yet done with, at volume, and every reader still gets
every record in write order: one that lags, one whose batch is in hand, one whose iterator expired;
one whose records went past the retention starts again from the oldest record kept, never on
moto's assertion."""

from __future__ import annotations

import gc
import logging
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodbstreams.models import dynamodbstreams_backends

from klantreis_local import embedded_dynamodb
from klantreis_local.runtime import REGION, StreamPump

WRITES = 5_000
ITEMS = 50


@pytest.fixture
def drop_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """The local stack's stream: records are dropped once every reader is past them."""
    monkeypatch.setattr(embedded_dynamodb, "_drop_read", False)
    embedded_dynamodb.drop_records_once_read()


def shard_of(table_name: str) -> Any:
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION].get_table(table_name).stream_shard


def write(dynamodb: Any, table_name: str, n: int) -> None:
    """Version n of one of ITEMS items: each write a new item version and stream record."""
    dynamodb.put_item(
        TableName=table_name, Item={"PK": {"S": f"V#{n % ITEMS}"}, "SK": {"S": "A"}, "n": {"N": str(n)}}
    )


def collecting(into: list[dict[str, Any]]) -> Callable[[dict[str, Any], Any], None]:
    return lambda event, _: into.extend(event["Records"])


def written_numbers(records: list[dict[str, Any]]) -> list[int]:
    return [int(record["dynamodb"]["NewImage"]["n"]["N"]) for record in records]


def live_stream_records() -> int:
    gc.collect()
    return Counter(type(thing).__name__ for thing in gc.get_objects())["StreamRecord"]


@pytest.mark.usefixtures("drop_read")
def test_thousands_of_writes_leave_only_what_the_slowest_reader_has_not_read(
    dynamodb: Any, table_name: str
) -> None:
    # given the pump, reading every 100 writes, and a second reader that lags, reading every
    # 1,000 writes in batches of 50
    pumped: list[dict[str, Any]] = []
    lagging: list[dict[str, Any]] = []
    pump = StreamPump(dynamodb, table_name, consumers=[collecting(pumped)], batch_size=100)
    laggard = StreamPump(dynamodb, table_name, consumers=[collecting(lagging)], batch_size=50)
    pump.drain()
    laggard.drain()
    shard = shard_of(table_name)
    held = []
    # when 5,000 writes update 50 items over and over
    for n in range(WRITES):
        write(dynamodb, table_name, n)
        if n % 100 == 99:
            pump.drain()
            # then the stream holds exactly what the laggard has not read, nothing the pump has
            assert len(shard.items) == n + 1 - laggard.records_delivered
            held.append(len(shard.items))
        if n == 1_999:
            # and no other stream record is alive
            assert live_stream_records() <= len(shard.items) == 1_000
        if n % 1_000 == 999:
            laggard.drain()
    assert max(held) == 1_000
    # and once both have read everything, nothing is left
    pump.drain()
    laggard.drain()
    assert shard.items == []
    assert live_stream_records() == 0
    # and each got every record, in the order written, the same records
    assert written_numbers(pumped) == list(range(WRITES))
    assert lagging == pumped


@pytest.mark.usefixtures("drop_read")
def test_a_batch_in_hand_stays_in_the_stream_until_its_reader_polls_again(
    dynamodb: Any, table_name: str
) -> None:
    # given a reader whose stream function, while it holds its batch, lets the pump read past it
    pump = StreamPump(dynamodb, table_name, consumers=[])
    shard = shard_of(table_name)
    first_kept_while_in_hand: list[int] = []

    def holding(event: dict[str, Any], _: Any) -> None:
        if not first_kept_while_in_hand:
            write(dynamodb, table_name, 100)
            pump.drain()
            first_kept_while_in_hand.append(shard.starting_sequence_number)

    reader = StreamPump(dynamodb, table_name, consumers=[holding], batch_size=3)
    for n in range(3):
        write(dynamodb, table_name, n)
    first = shard.starting_sequence_number
    # when it reads its first batch of three
    reader.drain()
    # then those three were still in the stream while it held them, and gone once both read on
    assert first_kept_while_in_hand == [first]
    assert reader.records_delivered == 4
    assert shard.items == []


@pytest.mark.usefixtures("drop_read")
def test_a_reader_whose_iterator_expired_picks_up_after_its_last_record(
    dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the pump has read 10 records, and 10 more wait
    clock = [1_000.0]
    monkeypatch.setattr(embedded_dynamodb, "_monotonic", lambda: clock[0])
    delivered: list[dict[str, Any]] = []
    pump = StreamPump(dynamodb, table_name, consumers=[collecting(delivered)])
    for n in range(10):
        write(dynamodb, table_name, n)
    pump.drain()
    for n in range(10, 20):
        write(dynamodb, table_name, n)
    # when it was held up past its iterators' 15 minutes, and they are gone
    clock[0] += embedded_dynamodb.SHARD_ITERATOR_LIFETIME_SECONDS
    dynamodbstreams_backends[DEFAULT_ACCOUNT_ID][REGION].shard_iterators.clear()
    pump.drain()
    # then it reads on after the last record it delivered: nothing lost, nothing twice
    assert written_numbers(delivered) == list(range(20))
    assert shard_of(table_name).items == []


@pytest.mark.usefixtures("drop_read")
def test_a_reader_given_up_holds_nothing_back_and_starts_again_from_what_is_kept(
    dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # given two readers at the end of the stream; then ten more records, which one reads at once
    # and the other not for more than an iterator's lifetime
    clock = [1_000.0]
    monkeypatch.setattr(embedded_dynamodb, "_monotonic", lambda: clock[0])
    delivered: list[dict[str, Any]] = []
    late = StreamPump(dynamodb, table_name, consumers=[collecting(delivered)])
    pump = StreamPump(dynamodb, table_name, consumers=[])
    write(dynamodb, table_name, 0)
    late.drain()
    pump.drain()
    for n in range(1, 11):
        write(dynamodb, table_name, n)
    clock[0] += embedded_dynamodb.SHARD_ITERATOR_LIFETIME_SECONDS
    pump.drain()
    # then the late one no longer holds the ten back
    assert shard_of(table_name).items == []
    # and when it comes back, with records written since, it reads from the oldest kept record,
    # saying what it missed, without moto's assertion
    write(dynamodb, table_name, 11)
    with caplog.at_level(logging.ERROR, logger="klantreis_local"):
        late.drain()
    assert written_numbers(delivered) == [0, 11]
    assert "trimmed before they were read" in caplog.text
    # and the position it could not read from holds nothing back either
    pump.drain()
    assert shard_of(table_name).items == []


def test_a_reader_past_the_retention_starts_again_from_the_oldest_record_kept(
    dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a short retention and a reader that read one record and then fell behind it
    monkeypatch.setattr(embedded_dynamodb, "_retention", embedded_dynamodb.STREAM_RETENTION)
    embedded_dynamodb.set_stream_retention(timedelta(minutes=5))
    delivered: list[dict[str, Any]] = []
    reader = StreamPump(dynamodb, table_name, consumers=[collecting(delivered)])
    write(dynamodb, table_name, 0)
    reader.drain()
    for n in range(1, 5):
        write(dynamodb, table_name, n)
    shard = shard_of(table_name)
    for record in shard.items[:3]:
        record.record["dynamodb"]["ApproximateCreationDateTime"] -= timedelta(minutes=6)
    # when the next write trims the three expired records (two of them unread) and it reads on
    write(dynamodb, table_name, 5)
    reader.drain()
    # then it gets what is kept, in order, instead of failing on moto's `start >= 0`
    assert written_numbers(delivered) == [0, 3, 4, 5]


def test_a_failed_transaction_that_trims_old_records_leaves_none_of_its_own(
    dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given three records past the retention
    monkeypatch.setattr(embedded_dynamodb, "_retention", embedded_dynamodb.STREAM_RETENTION)
    embedded_dynamodb.set_stream_retention(timedelta(minutes=5))
    for n in range(3):
        write(dynamodb, table_name, n)
    shard = shard_of(table_name)
    for record in shard.items:
        record.record["dynamodb"]["ApproximateCreationDateTime"] -= timedelta(minutes=6)
    # when a transaction writes two items (its first write trims the old three) and then fails
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table_name, "Item": {"PK": {"S": "T#1"}, "SK": {"S": "A"}}}},
                {"Put": {"TableName": table_name, "Item": {"PK": {"S": "T#1"}, "SK": {"S": "B"}}}},
                {
                    "Put": {
                        "TableName": table_name,
                        "Item": {"PK": {"S": "V#0"}, "SK": {"S": "A"}},
                        "ConditionExpression": "attribute_not_exists(PK)",
                    }
                },
            ]
        )
    # then the stream holds none of its records, and the next write follows the old ones
    assert shard.items == []
    write(dynamodb, table_name, 3)
    delivered: list[dict[str, Any]] = []
    StreamPump(dynamodb, table_name, consumers=[collecting(delivered)]).drain()
    assert written_numbers(delivered) == [3]
