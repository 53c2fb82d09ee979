"""The bench's capacity meter bills reads as DynamoDB does: every item a BatchGetItem asks for,
and a Query on every item it reads, not on what its filter leaves."""

from __future__ import annotations

from typing import Any

import boto3

from bench.capacity import CapacityMeter
from klantreis_local.runtime import REGION


def meter_on(dynamodb: Any, table: str) -> CapacityMeter:
    """A meter on `dynamodb`, sizing items through a second, unmetered client of the same backend."""
    return CapacityMeter(dynamodb, boto3.client("dynamodb", region_name=REGION), table)


def put(dynamodb: Any, table: str, pk: str, sk: str, padding: int) -> None:
    item = {"PK": {"S": pk}, "SK": {"S": sk}, "padding": {"S": "x" * padding}}
    dynamodb.put_item(TableName=table, Item=item)


def test_batch_get_item_bills_each_item_and_each_missing_key(dynamodb: Any, table_name: str) -> None:
    # given a 5 KB item, a small one, and a key with no item
    put(dynamodb, table_name, "SITE#a", "BIG#1", 5000)
    put(dynamodb, table_name, "SITE#a", "SMALL#1", 10)
    meter = meter_on(dynamodb, table_name)
    keys = [{"PK": {"S": "SITE#a"}, "SK": {"S": sk}} for sk in ("BIG#1", "SMALL#1", "NONE#1")]
    # when all three are read in one eventually consistent BatchGetItem
    dynamodb.batch_get_item(RequestItems={table_name: {"Keys": keys, "ProjectionExpression": "PK"}})
    # then each item is rounded up on its own (2 units for 5 KB, 1 each for the others), halved
    assert dict(meter.tallies["handler"].rcu) == {"BatchGetItem big": 1.0, "BatchGetItem small": 0.5,
                                                  "BatchGetItem none": 0.5}  # fmt: skip


def test_a_query_is_billed_on_the_items_it_reads_before_its_filter(dynamodb: Any, table_name: str) -> None:
    # given ten 3 KB items in one partition
    for number in range(10):
        put(dynamodb, table_name, "SITE#b", f"ITEM#{number}", 3000)
    meter = meter_on(dynamodb, table_name)
    # when a strongly consistent Query reads them all and its filter keeps none
    found = dynamodb.query(
        TableName=table_name,
        KeyConditionExpression="PK = :pk",
        FilterExpression="padding = :nothing",
        ExpressionAttributeValues={":pk": {"S": "SITE#b"}, ":nothing": {"S": "none"}},
        ConsistentRead=True,
    )
    # then nothing came back, and the ~30 KB read cost ceil(30 KB / 4 KB) units all the same
    assert found["Items"] == []
    read = sum(len(k) for k in ("PK", "SK", "padding")) * 10 + (6 + 6 + 3000) * 10
    assert dict(meter.tallies["handler"].rcu) == {"Query item": float(-(-read // 4096))}


def test_a_limited_query_is_billed_on_the_items_its_limit_reaches(dynamodb: Any, table_name: str) -> None:
    for number in range(10):
        put(dynamodb, table_name, "SITE#c", f"ITEM#{number}", 3000)
    meter = meter_on(dynamodb, table_name)
    dynamodb.query(
        TableName=table_name,
        KeyConditionExpression="PK = :pk",
        FilterExpression="padding = :nothing",
        ExpressionAttributeValues={":pk": {"S": "SITE#c"}, ":nothing": {"S": "none"}},
        Limit=2,
    )
    # two 3 KB items read: 2 units, halved (eventually consistent)
    assert dict(meter.tallies["handler"].rcu) == {"Query item": 1.0}
