"""The report function's own logic with fakes: the report range, the nightly job's due day and
order of writes, alert conditions and their SNS subject."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from klantreis.engagement.config import OpeningHours
from klantreis.errors import ValidationFailed
from klantreis.reports.alerts import CSAT_DROP, SERVICE_LEVEL, Alert, AlertThresholds, evaluate, subject
from klantreis.reports.days import read_days
from klantreis.reports.service import NightlyReports, Reports, check_range, due_day
from klantreis.sites import Site
from tests.fakes.reports import InMemoryReportStore

AMSTERDAM = Site(site_id="demo", name="Demo schoenenwinkel", timezone="Europe/Amsterdam")


class FakeCounters:
    def __init__(self, days: dict[str, dict[str, float]] | None = None) -> None:
        self.days = days or {}
        self.asked: list[tuple[str, str]] = []

    def day_counters(self, site_id: str, day: str) -> dict[str, float]:
        self.asked.append((site_id, day))
        return dict(self.days.get(day, {}))


class FakeSettings:
    def get_hours(self, site_id: str) -> OpeningHours | None:
        return None


class FakeFiles:
    def __init__(self, log: list[str], fail: bool = False) -> None:
        self.log = log
        self.fail = fail
        self.bodies: dict[str, str] = {}

    def put(self, key: str, body: str, content_type: str) -> None:
        if self.fail:
            raise OSError("bucket unreachable")
        self.log.append(f"file {key}")
        self.bodies[key] = body


@pytest.mark.parametrize(
    ("start", "end", "ok"),
    [
        (date(2026, 11, 20), date(2026, 11, 20), True),
        (date(2028, 1, 1), date(2028, 12, 31), True),  # 366 days
        (date(2026, 11, 21), date(2026, 11, 20), False),
        (date(2025, 1, 1), date(2026, 1, 2), False),  # 367 days
    ],
)
def test_a_report_covers_one_to_366_days(start: date, end: date, ok: bool) -> None:
    if ok:
        check_range(start, end)
    else:
        with pytest.raises(ValidationFailed):
            check_range(start, end)


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        ("2026-11-22T23:59:00+00:00", None),  # 00:59 on the 23rd in Amsterdam
        ("2026-11-23T00:00:00+00:00", "2026-11-22"),  # 01:00
        ("2026-11-22T12:00:00+00:00", "2026-11-21"),
        ("2026-03-29T00:30:00+00:00", "2026-03-28"),  # 01:30, just before the clocks go forward
    ],
)
def test_the_previous_local_day_is_due_from_one_oclock(utc: str, expected: str | None) -> None:
    assert due_day(AMSTERDAM, datetime.fromisoformat(utc)) == expected


def test_days_are_read_each_once_and_all_answered() -> None:
    counters = FakeCounters({"2026-11-20": {"sessions": 3}})
    read = read_days(counters, "demo", ["2026-11-19", "2026-11-20", "2026-11-20", "2026-11-21"])
    assert read == {"2026-11-19": {}, "2026-11-20": {"sessions": 3}, "2026-11-21": {}}
    assert sorted(counters.asked) == [("demo", "2026-11-19"), ("demo", "2026-11-20"), ("demo", "2026-11-21")]


def test_the_nightly_job_writes_the_files_before_the_row_that_marks_the_day_done() -> None:
    store = InMemoryReportStore()
    files = FakeFiles(store.writes)
    nightly = NightlyReports(
        Reports(FakeCounters({"2026-11-21": {"sessions": 9}}), FakeSettings()), store, files
    )
    now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    assert nightly.run(AMSTERDAM, now) == "stored"
    assert store.writes == [
        "file reports/demo/2026-11-21.csv",
        "file reports/demo/2026-11-21.html",
        "row 2026-11-21",
    ]
    assert store.rows[("demo", "2026-11-21")].sessions == 9
    assert nightly.run(AMSTERDAM, now) == "exists"
    assert len(store.writes) == 3


def test_a_failed_file_leaves_the_day_to_the_next_run() -> None:
    store = InMemoryReportStore()
    nightly = NightlyReports(
        Reports(FakeCounters(), FakeSettings()), store, FakeFiles(store.writes, fail=True)
    )
    with pytest.raises(OSError, match="bucket"):
        nightly.run(AMSTERDAM, datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
    assert store.rows == {}


WEEK = {"csat_n": 100.0, "csat_good": 90.0, "chats_assigned": 70.0, "wait_b00": 70.0}


@pytest.mark.parametrize(
    ("today", "conditions"),
    [
        ({"csat_n": 5, "csat_good": 3}, [CSAT_DROP]),  # 60% vs 90%
        ({"csat_n": 4, "csat_good": 0}, []),  # too few answers
        ({"csat_n": 10, "csat_good": 8}, []),  # exactly 10 points: not more than 10
        ({"chats_assigned": 10, "wait_b00": 7, "wait_b06": 3}, [SERVICE_LEVEL]),  # 70% within 30 s
        ({"chats_assigned": 10, "wait_b00": 8, "wait_b06": 2}, []),  # 80%: the target
        ({"chats_assigned": 9, "wait_b06": 9}, []),  # too few chats
        ({"csat_n": 5, "csat_good": 0, "chats_assigned": 10, "wait_b13": 10}, [CSAT_DROP, SERVICE_LEVEL]),
    ],
)
def test_alert_conditions(today: dict[str, float], conditions: list[str]) -> None:
    assert [alert.condition for alert in evaluate(today, WEEK, AlertThresholds())] == conditions


def test_no_csat_history_is_no_drop() -> None:
    assert evaluate({"csat_n": 10, "csat_good": 0}, {}, AlertThresholds()) == []


def test_the_subject_is_short_printable_ascii() -> None:
    site = Site(site_id="s", name="Schoenen & Zo — Amsterdam\u00e9 " + "x" * 120, timezone="UTC")
    text = subject(site, [Alert(CSAT_DROP), Alert(SERVICE_LEVEL)])
    assert len(text) <= 100
    assert text.startswith("Klantreis alert: Schoenen & Zo Amsterdame xxx")
    assert text.endswith("...")
    assert all(32 <= ord(char) < 127 for char in text)
