"""Replay ../shared/data/rees46_sample.csv and read GET /v1/reports/daily: the report equals what
the file holds (sessions, cart sessions, purchases, revenue, cart-abandonment rate), per local
day of the site, as the contract defines them.

The expectations are computed here from the CSV alone (csv and zoneinfo), not through
bench.rees46's expectations or the system's code: only `unusable` is shared, so both leave out
the same rows (the shipped file has none). The replay goes through the track handler with the
server clock at each batch's `sent_at` (bench.replay) and the stream drained into the counters,
as tests/integration/test_replay.py does.

The replay site is put in Atlantic/Cape_Verde (UTC-1 all year): the file's first hour falls on
its 30 September and the rest on 1 October, so the report's grouping by the site's local day is
checked too, and sessions that cross the local midnight count on both days, as the contract's
per-day definitions say. The file's totals (36 purchases, 10,272.31 USD) hold over both days;
its own UTC day (1,281 sessions, 16 cart sessions, 9/16 abandoned) is checked by the
expectation test below and, through the counters, by test_replay.py. One replay costs ~35 s of
CPU (replay and stream drain), so there is one.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bench.moto_speedup import faster_moto
from bench.rees46 import DATA, SITE_ID, SITE_KEY, load, replay_site, unusable, widget_batches
from bench.replay import replay
from klantreis import services
from klantreis.sites.dynamo_store import DynamoSiteStore
from klantreis_local.runtime import StreamPump
from report.handler import lambda_handler
from tests.factories import FakeContext, api_event

STREAM_BATCH = 1000
"""Records per aggregation call, as test_replay.py (the counts cannot depend on it)."""
OPERATOR = {"sub": "ops", "site_id": SITE_ID, "role": "operator"}
TIMEZONE = "Atlantic/Cape_Verde"


@dataclass
class Day:
    """One local day of the file, by the contract's definitions."""

    sessions: set[str] = field(default_factory=set)
    cart_sessions: set[str] = field(default_factory=set)
    purchase_sessions: set[str] = field(default_factory=set)
    purchases: int = 0
    revenue: Decimal = Decimal(0)

    def figures(self) -> dict[str, Any]:
        abandoned = self.cart_sessions - self.purchase_sessions
        return {
            "sessions": len(self.sessions),
            "cart_sessions": len(self.cart_sessions),
            "purchases": self.purchases,
            "revenue": float(round(self.revenue, 2)),
            "cart_abandonment_rate": len(abandoned) / len(self.cart_sessions) if self.cart_sessions else None,
        }


def file_days(timezone: str) -> dict[str, Day]:
    """Per local day of `timezone`: sessions with an event that day, those with an add_to_cart
    (`cart`) that day, the number of `purchase` events, the sum of their price, and cart
    sessions without a purchase that day over cart sessions."""
    zone = ZoneInfo(timezone)
    days: dict[str, Day] = defaultdict(Day)
    with DATA.open(newline="", encoding="utf-8") as handle:
        for raw in csv.DictReader(handle):
            if unusable(raw):
                continue
            at = datetime.strptime(raw["event_time"], "%Y-%m-%d %H:%M:%S UTC").replace(tzinfo=UTC)
            day = days[at.astimezone(zone).date().isoformat()]
            session = raw["user_session"]
            day.sessions.add(session)
            if raw["event_type"] == "cart":
                day.cart_sessions.add(session)
            elif raw["event_type"] == "purchase":
                day.purchase_sessions.add(session)
                day.purchases += 1
                day.revenue += Decimal(raw["price"])
    return dict(sorted(days.items()))


def figures_of(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in ("sessions", "cart_sessions", "purchases", "revenue")} | {
        "cart_abandonment_rate": row["cart_abandonment_rate"]
    }


def daily_report(start: str, end: str) -> dict[str, Any]:
    request = api_event("GET", "/v1/reports/daily", claims=OPERATOR)
    request["queryStringParameters"] = {"from": start, "to": end}
    answer = lambda_handler(request, FakeContext())
    assert answer["statusCode"] == 200, answer["body"]
    report: dict[str, Any] = json.loads(answer["body"])
    return report


def test_the_file_spans_two_local_days_west_of_utc() -> None:
    # the expectation itself: UTC is one day, the file's; Cape Verde splits it at 01:00 UTC
    assert load().skipped == []
    utc = file_days("UTC")
    assert list(utc) == ["2019-10-01"]
    assert utc["2019-10-01"].figures() == {
        "sessions": 1281, "cart_sessions": 16, "purchases": 36, "revenue": 10272.31,
        "cart_abandonment_rate": 9 / 16,
    }  # fmt: skip
    west = file_days(TIMEZONE)
    assert list(west) == ["2019-09-30", "2019-10-01"]
    assert all(day.sessions for day in west.values())
    assert sum(day.purchases for day in west.values()) == 36


@pytest.mark.slow
def test_the_daily_report_of_the_replayed_file_is_what_the_file_holds(dynamodb: Any, table_name: str) -> None:
    # given the replay site in Cape Verde's time zone, and what the file holds per local day there
    timezone = TIMEZONE
    sites = DynamoSiteStore(dynamodb, table_name)
    sites.put(replay_site().model_copy(update={"timezone": timezone}))
    sites.add_key(SITE_ID, SITE_KEY)
    services.forget()
    expected = {day: figures.figures() for day, figures in file_days(timezone).items()}
    assert list(expected) == ["2019-09-30", "2019-10-01"]

    # when the whole sample is posted as the widget sends it and the stream is counted
    with faster_moto():
        outcome = replay(widget_batches(load().rows))
        StreamPump(dynamodb, table_name, batch_size=STREAM_BATCH).drain()
    assert (outcome.accepted, outcome.rejected) == (3000, [])

    # when the operator reads the report from the day before the file to the day after it
    report = daily_report("2019-09-29", "2019-10-02")

    # then each local day's row is the file's, the other days are empty
    assert report["timezone"] == timezone
    rows = {row["date"]: figures_of(row) for row in report["rows"]}
    assert list(rows) == ["2019-09-29", "2019-09-30", "2019-10-01", "2019-10-02"]
    empty = {"sessions": 0, "cart_sessions": 0, "purchases": 0, "revenue": 0.0, "cart_abandonment_rate": None}
    for day, row in rows.items():
        want = expected.get(day, empty)
        assert {k: v for k, v in row.items() if k != "cart_abandonment_rate"} == {
            k: v for k, v in want.items() if k != "cart_abandonment_rate"
        }, day
        assert row["cart_abandonment_rate"] == pytest.approx(want["cart_abandonment_rate"], abs=1e-6), day
    # and the total is the days' sums, its abandonment rate that of the summed cart sessions
    total = figures_of(report["total"])
    days = file_days(timezone)
    cart = sum(len(day.cart_sessions) for day in days.values())
    abandoned = sum(len(day.cart_sessions - day.purchase_sessions) for day in days.values())
    assert total == pytest.approx(
        {
            "sessions": sum(figures["sessions"] for figures in expected.values()),
            "cart_sessions": cart,
            "purchases": 36,
            "revenue": 10272.31,
            "cart_abandonment_rate": abandoned / cart,
        },
        abs=1e-6,
    )
