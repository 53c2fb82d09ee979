"""The report store's contract (klantreis.reports.ports.ReportStore), run against the DynamoDB
adapter and the in-memory fake alike (tests/contract.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from klantreis.reports.daily import DailyRow
from klantreis.reports.dynamo_store import DynamoReportStore
from klantreis.reports.ports import ReportStore
from tests.contract import both
from tests.fakes.reports import InMemoryReportStore

store = both(DynamoReportStore, InMemoryReportStore)

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
FILES = ["reports/demo/2026-11-21.csv", "reports/demo/2026-11-21.html"]


def test_a_days_row_is_stored_once_and_reads_back_exactly(store: ReportStore) -> None:
    # given a day without a row
    row = DailyRow(date="2026-11-21", sessions=9, purchases=2, revenue=329.95, conversion_rate=0.222222)
    assert not store.has_day("demo", "2026-11-21")
    assert store.get_day("demo", "2026-11-21") is None
    # when its row is put, and put again by a later run with other figures
    assert store.put_day("demo", row, FILES, NOW) is True
    assert store.put_day("demo", row.model_copy(update={"sessions": 10}), FILES, NOW) is False
    # then the first row stands, for that site only
    assert store.has_day("demo", "2026-11-21")
    assert store.get_day("demo", "2026-11-21") == row
    assert not store.has_day("other", "2026-11-21")


def test_a_condition_is_alerted_once_per_day(store: ReportStore) -> None:
    assert store.alerted("demo", "2026-11-21") == set()
    assert store.mark_alerted("demo", "2026-11-21", "csat_drop", {"csat": 61.5}, NOW) is True
    assert store.mark_alerted("demo", "2026-11-21", "csat_drop", {"csat": 60.0}, NOW) is False
    assert store.mark_alerted("demo", "2026-11-21", "service_level", {"within": 0.7}, NOW) is True
    assert store.alerted("demo", "2026-11-21") == {"csat_drop", "service_level"}
    assert store.alerted("demo", "2026-11-22") == set()
    assert store.alerted("other", "2026-11-21") == set()
