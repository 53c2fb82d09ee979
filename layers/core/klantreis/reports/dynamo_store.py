"""The reports' DynamoDB adapters (the ports: klantreis.reports.ports): stored daily rows and alert
markers (`SITE#{site}#REPORT`), survey feedback as it arrives (`SITE#{site}#FEEDBACK`), and agent x
category performance (the PERF items of the site's partition)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from klantreis import dynamo, keys
from klantreis.reports.daily import DailyRow
from klantreis.reports.feedback import Feedback
from klantreis.reports.performance import AgentCategoryPerformance
from klantreis.routing.performance import Performance

ALERT_MARKER_TTL_SECONDS = 35 * 24 * 3600
MIDDLE_YEAR = 5000


class DynamoReportStore:
    """SITE#{site}#REPORT / DAY#{date} (the row as JSON, so it reads back exactly) and
    SITE#{site}#REPORT / ALERT#{date}#{condition}; both written with attribute_not_exists."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def has_day(self, site_id: str, day: str) -> bool:
        answer = self._db.get_item(
            TableName=self._table,
            Key=dynamo.to_item({"PK": keys.report_pk(site_id), "SK": keys.report_day_sk(day)}),
            ProjectionExpression="PK",
            ConsistentRead=True,
        )
        return "Item" in answer

    def get_day(self, site_id: str, day: str) -> DailyRow | None:
        answer = self._db.get_item(
            TableName=self._table,
            Key=dynamo.to_item({"PK": keys.report_pk(site_id), "SK": keys.report_day_sk(day)}),
            ConsistentRead=True,
        )
        item = answer.get("Item")
        return DailyRow.model_validate_json(dynamo.from_item(item)["row"]) if item else None

    def put_day(self, site_id: str, row: DailyRow, files: Sequence[str], now: datetime) -> bool:
        item = {
            "PK": keys.report_pk(site_id),
            "SK": keys.report_day_sk(row.date),
            "site_id": site_id,
            "day": row.date,
            "row": row.model_dump_json(),
            "files": list(files),
            "created_at": now.isoformat(),
        }
        return self._put_once(item)

    def alerted(self, site_id: str, day: str) -> set[str]:
        prefix = keys.report_alert_sk(day, "")
        items = dynamo.query_prefix(
            self._db,
            self._table,
            keys.report_pk(site_id),
            prefix,
            ProjectionExpression="SK",
            ConsistentRead=True,
        )
        return {str(item["SK"]["S"])[len(prefix) :] for item in items}

    def mark_alerted(
        self, site_id: str, day: str, condition: str, figures: dict[str, Any], now: datetime
    ) -> bool:
        item = {
            "PK": keys.report_pk(site_id),
            "SK": keys.report_alert_sk(day, condition),
            "site_id": site_id,
            "day": day,
            "condition": condition,
            "figures": json.dumps(figures, sort_keys=True),
            "created_at": now.isoformat(),
            "expires_at": int(now.timestamp()) + ALERT_MARKER_TTL_SECONDS,
        }
        return self._put_once(item)

    def _put_once(self, item: dict[str, Any]) -> bool:
        answer = dynamo.conditional(
            self._db.put_item,
            TableName=self._table,
            Item=dynamo.to_item(item),
            ConditionExpression="attribute_not_exists(PK)",
        )
        return answer is not None


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


class DynamoPerformanceReader:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def all(self, site_id: str) -> list[AgentCategoryPerformance]:
        """Every agent x category cell of the site, by category then agent."""
        with dynamo.translated():
            items = list(
                dynamo.query_prefix(
                    self._db,
                    self._table,
                    keys.site_pk(site_id),
                    keys.PERF_PREFIX,
                )
            )
        cells = []
        for item in items:
            plain = dynamo.from_item(item)
            # Agent ids hold no `#` (ID_PATTERN); a category may, so the agent is the last part.
            category, _, agent_id = str(plain["SK"]).removeprefix(keys.PERF_PREFIX).rpartition("#")
            cells.append(AgentCategoryPerformance.of(agent_id, category, Performance.from_counts(plain)))
        return sorted(cells, key=lambda cell: (cell.category, cell.agent_id))


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
