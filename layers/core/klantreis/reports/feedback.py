"""The site's survey feedback as it arrives: each survey with its scores, comment, agent and
category, newest first — what operators watch during the day and agents read about themselves."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from klantreis import dynamo, keys
from klantreis.conversations.models import Channel

MIDDLE_YEAR = 5000


class Feedback(BaseModel):
    chat_id: str
    at: datetime
    csat: int | None = None
    nps: int | None = None
    ces: int | None = None
    preferred_channel: Channel | None = None
    comment: str | None = None
    agent_id: str | None = None
    agent_name: str | None = None
    category: str | None = None


def _after(since: datetime | None) -> str | None:
    """The lowest sort key after `since`: past every chat id of that moment, so the newest survey
    seen is left out. A moment within a day of year 1 or 9999 has no UTC form: before every
    survey (no bound) or after every one."""
    if since is None:
        return None
    try:
        return since.astimezone(UTC).isoformat() + "#\uffff"
    except OverflowError:
        return None if since.year < MIDDLE_YEAR else "\uffff"


class DynamoFeedbackReader:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def recent(
        self, site_id: str, *, since: datetime | None, agent_id: str | None, limit: int
    ) -> list[Feedback]:
        """Newest first; only surveys received after `since`, only of `agent_id`, if given."""
        query: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": dynamo.to_value(keys.feedback_pk(site_id))},
            "ScanIndexForward": False,
        }
        low = _after(since)
        if low is not None:
            query["KeyConditionExpression"] = "PK = :pk AND SK > :low"
            query["ExpressionAttributeValues"][":low"] = dynamo.to_value(low)
        if agent_id is not None:
            query["FilterExpression"] = "agent_id = :agent"
            query["ExpressionAttributeValues"][":agent"] = dynamo.to_value(agent_id)
        found: list[Feedback] = []
        with dynamo.translated():
            for item in dynamo.query_all(self._db, **query):
                try:
                    found.append(Feedback.model_validate(dynamo.from_item(item)))
                except ValidationError:
                    continue  # an item of an older shape is left out, never a 5xx
                if len(found) >= limit:
                    break
        return found
