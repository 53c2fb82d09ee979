"""What the reports need of storage and the outside world: the days' counters, stored daily rows
and alert markers, survey feedback and agent performance (the DynamoDB adapters:
klantreis.reports.dynamo_store), report files and alert channels (S3, SNS, a webhook:
klantreis.reports.channels). The jobs and routes see only these ports, so tests can hand in fakes
where moto cannot reach (a webhook, a failing channel)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from klantreis.reports.daily import DailyRow
from klantreis.reports.feedback import Feedback
from klantreis.reports.performance import AgentCategoryPerformance

CountersByDay = dict[str, dict[str, float]]


class DayCounterReader(Protocol):
    def day_counters(self, site_id: str, day: str) -> dict[str, float]:
        """Every counter of the day (klantreis.projections.dynamo_store.DynamoCounterStore, which
        the stream functions write)."""
        ...


class ReportStore(Protocol):
    def has_day(self, site_id: str, day: str) -> bool: ...

    def put_day(self, site_id: str, row: DailyRow, files: Sequence[str], now: datetime) -> bool:
        """Stores the day's row once; False if it was stored already (by an earlier run)."""
        ...

    def get_day(self, site_id: str, day: str) -> DailyRow | None: ...

    def alerted(self, site_id: str, day: str) -> set[str]:
        """The conditions already alerted for the site's day."""
        ...

    def mark_alerted(
        self, site_id: str, day: str, condition: str, figures: dict[str, Any], now: datetime
    ) -> bool:
        """Records that `condition` was alerted for the day; False if it was already."""
        ...


class FeedbackReader(Protocol):
    def recent(
        self, site_id: str, *, since: datetime | None, agent_id: str | None, limit: int
    ) -> list[Feedback]:
        """Newest first; only surveys received after `since`, only of `agent_id`, if given."""
        ...


class PerformanceReader(Protocol):
    def all(self, site_id: str) -> list[AgentCategoryPerformance]:
        """Every agent x category cell of the site, by category then agent."""
        ...


class ReportFiles(Protocol):
    def put(self, key: str, body: str, content_type: str) -> None: ...


class AlertPublisher(Protocol):
    def publish(self, subject: str, message: str) -> None: ...


class AlertWebhook(Protocol):
    def post(self, text: str) -> bool:
        """Sends `text`; False (logged) when the webhook could not be reached or refused it."""
        ...
