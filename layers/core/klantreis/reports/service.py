"""The reports a site's operator reads, and the nightly report job: built from the daily counters
(one Query per local day of the site), through klantreis.reports' pure row, staffing and HTML
functions.

Days are the site's local days, as the counters are: the stream consumer files each delta under
the local day of the event that caused it, so a report never converts time zones itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field

from klantreis.engagement.config import OpeningHours
from klantreis.engagement.ports import EngagementSettingsStore
from klantreis.errors import ValidationFailed
from klantreis.reports.daily import DailyRow, daily_row, days_between, period_total, rows_csv
from klantreis.reports.days import read_days
from klantreis.reports.html import render_html
from klantreis.reports.ports import CountersByDay, DayCounterReader, ReportFiles, ReportStore
from klantreis.reports.staffing import Staffing, staffing
from klantreis.sites import Site

MAX_REPORT_DAYS = 366
CONTEXT_DAYS = 14
"""The nightly report's HTML shows the last 14 days (its charts) and their total."""
STAFFING_WEEKS = 4
NIGHTLY_AFTER_HOUR = 1
"""A site's previous local day is reported once its local time is past 01:00: late stream
batches (the aggregation waits up to 5 minutes) have been counted by then."""
CSV_TYPE = "text/csv; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"


class DailyReport(BaseModel):
    """GET /v1/reports/daily: one row per local day of the site from `from` to `to` (both
    included; a day without activity is a row of zeros), and the period as one row."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    site_id: str
    start: str = Field(alias="from", description="The first local day (YYYY-MM-DD).")
    to: str = Field(description="The last local day (YYYY-MM-DD), included.")
    timezone: str = Field(description="The site's time zone: the days are its local days.")
    currency: str = Field("EUR", description="The site's currency (ISO 4217) of every money figure.")
    rows: list[DailyRow]
    total: DailyRow = Field(description='The whole period as one row (`date` is "from..to").')


def days_before(day: date, days: int) -> date:
    """`days` before `day`, or the first day there is (a range may start in year 1)."""
    return date.fromordinal(max(1, day.toordinal() - days))


def check_range(start: date, end: date) -> None:
    """`from` not after `to`, at most 366 days (422 otherwise): the request alone decides."""
    if end < start:
        raise ValidationFailed(
            "from: must not be after to", details=[{"field": "from", "error": "must not be after to"}]
        )
    days = (end - start).days + 1
    if days > MAX_REPORT_DAYS:
        message = f"at most {MAX_REPORT_DAYS} days per report (asked for {days})"
        raise ValidationFailed(f"to: {message}", details=[{"field": "to", "error": message}])


@dataclass(frozen=True)
class ServiceLevel:
    target_share: float = 0.8
    target_seconds: float = 30.0


class Reports:
    """What the report API answers, from the counters and the site's opening hours."""

    def __init__(
        self,
        counters: DayCounterReader,
        settings: EngagementSettingsStore,
        service_level: ServiceLevel = ServiceLevel(),
    ) -> None:
        self._counters = counters
        self._settings = settings
        self._service_level = service_level

    def counters(self, site: Site, days: Sequence[str]) -> CountersByDay:
        return read_days(self._counters, site.site_id, days)

    def daily(self, site: Site, start: date, end: date) -> DailyReport:
        check_range(start, end)
        first, last = start.isoformat(), end.isoformat()
        days = days_between(first, last)
        by_day = self.counters(site, days)
        return DailyReport(
            site_id=site.site_id,
            start=first,
            to=last,
            timezone=site.timezone,
            currency=site.currency,
            rows=[daily_row(day, by_day[day]) for day in days],
            total=period_total(first, last, by_day),
        )

    def page(self, site: Site, start: date, end: date) -> str:
        """The HTML report of the days from `start` to `end`, as the nightly job writes it for its
        day (staffing over the 4 weeks up to `end`)."""
        check_range(start, end)
        staffing_start = min(start, days_before(end, 7 * STAFFING_WEEKS - 1))
        by_day = self.counters(site, days_between(staffing_start.isoformat(), end.isoformat()))
        return self.page_of(site, start.isoformat(), end.isoformat(), by_day)

    def page_of(self, site: Site, first: str, last: str, by_day: CountersByDay) -> str:
        """The page of `first`..`last` from counters read already (they cover the staffing weeks)."""
        shown = days_between(first, last)
        rows = [daily_row(day, by_day[day]) for day in shown]
        total = period_total(first, last, {day: by_day[day] for day in shown})
        weeks_start = days_before(date.fromisoformat(last), 7 * STAFFING_WEEKS - 1).isoformat()
        staffed = self.staffing_of(site, {day: by_day[day] for day in days_between(weeks_start, last)})
        return render_html(site.name, rows, total, staffed, currency=site.currency)

    def hours(self, site: Site) -> OpeningHours:
        stored = self._settings.get_hours(site.site_id)
        return stored if stored is not None else OpeningHours.webshop_default(site.timezone)

    def staffing(self, site: Site, weeks: int, now: datetime) -> Staffing:
        """The `weeks` weeks up to now: today (the site's local today, up to its current hour)
        last, so the first day of traffic counts while it runs."""
        local_now = now.astimezone(site.zone)
        today = local_now.date()
        days = days_between((today - timedelta(days=7 * weeks - 1)).isoformat(), today.isoformat())
        return self.staffing_of(site, self.counters(site, days), now=local_now)

    def staffing_of(self, site: Site, by_day: CountersByDay, now: datetime | None = None) -> Staffing:
        return staffing(
            by_day,
            self.hours(site),
            now=now,
            target_share=self._service_level.target_share,
            target_seconds=self._service_level.target_seconds,
        )


def report_keys(site_id: str, day: str) -> tuple[str, str]:
    """The S3 keys of a day's CSV and HTML."""
    return (f"reports/{site_id}/{day}.csv", f"reports/{site_id}/{day}.html")


def due_day(site: Site, now: datetime) -> str | None:
    """The local day the nightly job should report for the site at `now`: yesterday, once the
    site's local time is past 01:00; None before that."""
    local = now.astimezone(site.zone)
    if local.hour < NIGHTLY_AFTER_HOUR:
        return None
    return (local.date() - timedelta(days=1)).isoformat()


class NightlyReports:
    """Per site and local day, once: the day's row stored in the table, its CSV and the HTML
    report (the last 14 days, their total, staffing over 4 weeks) in the reports bucket.

    The files are written first and the row last: the stored row marks the day done, so a run
    that fails half-way is redone whole by the next hourly run; a day already stored is not
    read again (a Get per site and hour is the steady-state cost)."""

    def __init__(self, reports: Reports, store: ReportStore, files: ReportFiles) -> None:
        self._reports = reports
        self._store = store
        self._files = files

    def run(self, site: Site, now: datetime) -> str:
        """`stored`, `exists` (an earlier run stored it) or `not_due` (before 01:00 there)."""
        day = due_day(site, now)
        if day is None:
            return "not_due"
        if self._store.has_day(site.site_id, day):
            return "exists"
        last = date.fromisoformat(day)
        staffing_start = last - timedelta(days=7 * STAFFING_WEEKS - 1)
        by_day = self._reports.counters(site, days_between(staffing_start.isoformat(), day))
        context_start = (last - timedelta(days=CONTEXT_DAYS - 1)).isoformat()
        csv_key, html_key = report_keys(site.site_id, day)
        row = daily_row(day, by_day[day])
        self._files.put(csv_key, rows_csv([row], currency=site.currency), CSV_TYPE)
        self._files.put(html_key, self._reports.page_of(site, context_start, day, by_day), HTML_TYPE)
        stored = self._store.put_day(site.site_id, row, [csv_key, html_key], now)
        return "stored" if stored else "exists"
