"""The live board's DynamoDB adapter (the port: klantreis.projections.live_board.LiveBoardStore), in
a module of its own so the live function loads none of the other projections' adapters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from klantreis import dynamo, keys
from klantreis.projections.live_board import LiveBoard, board_from_item, board_item


class DynamoLiveBoardStore:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def get(self, site_id: str, *, consistent: bool = False) -> LiveBoard:
        answer = self._db.get_item(
            TableName=self._table,
            Key=dynamo.to_item({"PK": keys.site_pk(site_id), "SK": keys.LIVE_BOARD}),
            ConsistentRead=consistent,
        )
        item = answer.get("Item")
        return board_from_item(dynamo.from_item(item)) if item else LiveBoard(site_id=site_id)

    def put(self, board: LiveBoard, now: datetime) -> None:
        request: dict[str, Any] = {
            "TableName": self._table,
            "Item": dynamo.to_item(board_item(board, board.version + 1, now)),
        }
        if board.version == 0:
            request["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            request["ConditionExpression"] = "version = :expected"
            request["ExpressionAttributeValues"] = {":expected": dynamo.to_value(board.version)}
        try:
            self._db.put_item(**request)
        except ClientError as exc:
            raise dynamo.translate(exc) from exc
