"""Erasure of everything held about one visitor (GDPR art. 17).

All of a visitor's items share the partition SITE#{site}#V#{visitor}; items about the visitor
kept elsewhere (offers, chats, queue entries, discount codes) carry GSI1PK with that same value.
A chat's partition also holds its messages, routing decisions and survey, which carry no GSI1PK:
they go with the chat item, the whole partition at once. Aggregate counters (daily counters,
agent performance, routing statistics) hold no personal data and stay as they are.
"""

from __future__ import annotations

from typing import Any, Protocol

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
        with dynamo.translated():
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
            chats = sorted({pk for pk, sk in found if sk == keys.CHAT and _is_chat(pk, site_id)})
            for chat_partition in chats:
                found |= self._partition(chat_partition)
            # A chat item goes last: its messages, routing decisions and survey are found only
            # through it, so an erasure cut short finds them again when it is repeated.
            ordered = sorted(found, key=lambda key: (key[1] == keys.CHAT and key[0] in chats, key))
            return dynamo.delete_keys(
                self._db, self._table, [dynamo.to_item({"PK": pk, "SK": sk}) for pk, sk in ordered]
            )

    def _partition(self, partition: str) -> set[tuple[str, str]]:
        items = dynamo.query_all(
            self._db,
            TableName=self._table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": dynamo.to_value(partition)},
            ProjectionExpression="PK, SK",
            ConsistentRead=True,
        )
        return {(item["PK"]["S"], item["SK"]["S"]) for item in items}


def _is_chat(partition: str, site_id: str) -> bool:
    """A chat partition of this site (and nothing else that happens to sort as CHAT)."""
    try:
        return keys.parse_chat_pk(partition)[0] == site_id
    except ValueError:
        return False
