"""Erasure of everything held about one visitor (GDPR art. 17).

All of a visitor's items share the partition SITE#{site}#V#{visitor}; items about the visitor
kept elsewhere carry GSI1PK with that same value. Aggregate counters hold no personal data and
stay as they are.
"""

from __future__ import annotations

from typing import Any, Protocol

from botocore.exceptions import ClientError

from klantreis import dynamo, keys


class VisitorEraser(Protocol):
    def erase(self, site_id: str, visitor_id: str) -> int:
        """Deletes every item about the visitor; returns how many were deleted."""
        ...


class DynamoVisitorEraser:
    def __init__(self, dynamodb: Any, table: str, index: str = "GSI1") -> None:
        self._db = dynamodb
        self._table = table
        self._index = index

    def erase(self, site_id: str, visitor_id: str) -> int:
        partition = keys.visitor_pk(site_id, visitor_id)
        values = {":pk": dynamo.to_value(partition)}
        try:
            in_partition = dynamo.query_all(
                self._db,
                TableName=self._table,
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues=values,
                ProjectionExpression="PK, SK",
                ConsistentRead=True,
            )
            elsewhere = dynamo.query_all(
                self._db,
                TableName=self._table,
                IndexName=self._index,
                KeyConditionExpression="GSI1PK = :pk",
                ExpressionAttributeValues=values,
                ProjectionExpression="PK, SK",
            )
            found = {(item["PK"]["S"], item["SK"]["S"]) for item in [*in_partition, *elsewhere]}
            return dynamo.delete_keys(
                self._db, self._table, [dynamo.to_item({"PK": pk, "SK": sk}) for pk, sk in sorted(found)]
            )
        except ClientError as exc:
            raise dynamo.translate(exc) from exc
