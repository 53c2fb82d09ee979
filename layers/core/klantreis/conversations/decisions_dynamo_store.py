"""The chat's decision reader in the single table (klantreis.conversations.context.DecisionReader):
apart from the chat adapters because it reads engagement's decision records, which the survey and
the stream's attribution never do (cold start: they import the chat adapters, not these)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from klantreis import dynamo, keys
from klantreis.conversations.ports import DECISIONS_READ
from klantreis.engagement.records import Decision, decision_from_item


class DynamoDecisionReader:
    """DecisionReader in the single table: one Query page of the visitor's partition, newest
    decisions first, filtered to the session."""

    def __init__(self, dynamodb: Any, table: str, *, limit: int = DECISIONS_READ) -> None:
        self._db = dynamodb
        self._table = table
        self._limit = limit

    def latest_decision(self, site_id: str, visitor_id: str, session_id: str) -> Decision | None:
        with dynamo.translated():
            answer = self._db.query(
                TableName=self._table,
                KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
                FilterExpression="session_id = :session",
                ExpressionAttributeValues={
                    ":pk": dynamo.to_value(keys.visitor_pk(site_id, visitor_id)),
                    ":prefix": dynamo.to_value(keys.DECISION_PREFIX),
                    ":session": dynamo.to_value(session_id),
                },
                ScanIndexForward=False,
                Limit=self._limit,
            )
        for item in answer.get("Items", []):
            try:
                return decision_from_item(dynamo.from_item(item))
            except (ValidationError, ValueError):
                continue  # a record the model no longer reads is no score to show
        return None
