"""klantreis.reports.ports.ReportStore in memory (held to the port's contract with the DynamoDB
adapter: tests/integration/test_report_store_contract.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from klantreis.reports.daily import DailyRow


class InMemoryReportStore:
    """Each day's row and each alert marker is stored once, as the adapter's conditional puts do.
    `writes` lists every write asked for, in order ("row {day}", "alert {day} {condition}"): a test
    hands the same list to a fake of the files to see what came first."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], DailyRow] = {}
        self.alerts: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self.writes: list[str] = []

    def has_day(self, site_id: str, day: str) -> bool:
        return (site_id, day) in self.rows

    def put_day(self, site_id: str, row: DailyRow, files: Sequence[str], now: datetime) -> bool:
        self.writes.append(f"row {row.date}")
        if (site_id, row.date) in self.rows:
            return False
        self.rows[(site_id, row.date)] = row.model_copy(deep=True)
        return True

    def get_day(self, site_id: str, day: str) -> DailyRow | None:
        row = self.rows.get((site_id, day))
        return row.model_copy(deep=True) if row else None

    def alerted(self, site_id: str, day: str) -> set[str]:
        return set(self.alerts.get((site_id, day), {}))

    def mark_alerted(
        self, site_id: str, day: str, condition: str, figures: dict[str, Any], now: datetime
    ) -> bool:
        self.writes.append(f"alert {day} {condition}")
        marked = self.alerts.setdefault((site_id, day), {})
        if condition in marked:
            return False
        marked[condition] = dict(figures)
        return True
