"""Hourly alerts per site: today's counters so far (the site's local day) against the trailing
7 days. Two conditions:

- `csat_drop`: today's CSAT (% of answers 4-5) is more than `csat_drop_points` percentage points
  below the trailing 7 days' CSAT, with at least `min_surveys` CSAT answers today;
- `service_level`: the share of today's assigned chats answered within `service_level_seconds`
  is below `service_level_target`, with at least `min_assigned_chats` assigned chats today.

A site gets one message (SNS, and the webhook when one is set) per run with every condition that
is new today; a condition alerted once is not alerted again that day (a marker item per site,
day and condition). The message goes out before the markers are written: a run that fails to
publish marks nothing and the next run tries again, so an alert is late rather than lost.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from klantreis.reports import names, stats
from klantreis.reports.daily import days_between, sum_counters
from klantreis.reports.days import read_days
from klantreis.reports.ports import AlertPublisher, AlertWebhook, DayCounterReader, ReportStore
from klantreis.sites import Site

CSAT_DROP = "csat_drop"
SERVICE_LEVEL = "service_level"
TRAILING_DAYS = 7
SUBJECT_MAX = 100
"""SNS: at most 100 printable ASCII characters, no line breaks."""


@dataclass(frozen=True)
class AlertThresholds:
    csat_drop_points: float = 10.0
    min_surveys: int = 5
    service_level_target: float = 0.8
    service_level_seconds: float = 30.0
    min_assigned_chats: int = 10


@dataclass(frozen=True)
class Alert:
    condition: str
    figures: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        f = self.figures
        if self.condition == CSAT_DROP:
            return (
                f"CSAT {f['csat_today']:.0f}% today ({f['csat_answers_today']} answers) vs "
                f"{f['csat_trailing']:.0f}% over the last {TRAILING_DAYS} days "
                f"(alert above a {f['drop_threshold_points']:g}-point drop)"
            )
        return (
            f"service level {100 * f['service_level_today']:.0f}% of {f['chats_assigned_today']} chats "
            f"answered within {f['seconds']:g} s today (target {100 * f['target']:.0f}%)"
        )


def _get(counters: Mapping[str, float], name: str) -> float:
    return float(counters.get(name, 0.0))


def _share(counters: Mapping[str, float], seconds: float) -> float | None:
    waits = [_get(counters, bucket) for bucket in names.WAIT_BUCKETS]
    return stats.share_within(waits, names.WAIT_BUCKET_EDGES, seconds)


def _rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def evaluate(
    today: Mapping[str, float], trailing: Mapping[str, float], thresholds: AlertThresholds
) -> list[Alert]:
    """The conditions that hold for today's counters against the trailing days' summed counters."""
    alerts: list[Alert] = []
    answers = _get(today, "csat_n")
    csat_today = stats.csat_share(_get(today, "csat_good"), answers)
    csat_trailing = stats.csat_share(_get(trailing, "csat_good"), _get(trailing, "csat_n"))
    if (
        answers >= thresholds.min_surveys
        and csat_today is not None
        and csat_trailing is not None
        and csat_trailing - csat_today > thresholds.csat_drop_points
    ):
        alerts.append(
            Alert(
                CSAT_DROP,
                {
                    "csat_today": _rounded(csat_today, 2),
                    "csat_answers_today": round(answers),
                    "csat_trailing": _rounded(csat_trailing, 2),
                    "csat_answers_trailing": round(_get(trailing, "csat_n")),
                    "drop_points": _rounded(csat_trailing - csat_today, 2),
                    "drop_threshold_points": thresholds.csat_drop_points,
                },
            )
        )
    assigned = _get(today, "chats_assigned")
    seconds = thresholds.service_level_seconds
    level = _share(today, seconds)
    if (
        assigned >= thresholds.min_assigned_chats
        and level is not None
        and level < thresholds.service_level_target
    ):
        alerts.append(
            Alert(
                SERVICE_LEVEL,
                {
                    "service_level_today": _rounded(level),
                    "chats_assigned_today": round(assigned),
                    "service_level_trailing": _rounded(_share(trailing, seconds)),
                    "chats_assigned_trailing": round(_get(trailing, "chats_assigned")),
                    "target": thresholds.service_level_target,
                    "seconds": seconds,
                },
            )
        )
    return alerts


def subject(site: Site, alerts: list[Alert]) -> str:
    """`Klantreis alert: <site name>: CSAT drop, service level missed`, as SNS takes it."""
    what = ", ".join("CSAT drop" if a.condition == CSAT_DROP else "service level missed" for a in alerts)
    ascii_name = unicodedata.normalize("NFKD", site.name).encode("ascii", "ignore").decode("ascii")
    name = re.sub(r"[^\x21-\x7e]+", " ", ascii_name).strip() or site.site_id
    text = f"Klantreis alert: {name}: {what}"
    return text if len(text) <= SUBJECT_MAX else text[: SUBJECT_MAX - 3] + "..."


def message(site: Site, day: str, alerts: list[Alert], now: datetime) -> dict[str, Any]:
    return {
        "site_id": site.site_id,
        "site_name": site.name,
        "day": day,
        "timezone": site.timezone,
        "checked_at": now.isoformat(),
        "alerts": [{"condition": a.condition, **a.figures} for a in alerts],
    }


def webhook_text(site: Site, day: str, alerts: list[Alert]) -> str:
    lines = [f"Klantreis alert for {site.name} ({site.site_id}), {day}:"]
    lines += [f"- {alert.describe()}" for alert in alerts]
    return "\n".join(lines)


class Alerts:
    def __init__(
        self,
        counters: DayCounterReader,
        store: ReportStore,
        publisher: AlertPublisher,
        webhook: AlertWebhook,
        thresholds: AlertThresholds = AlertThresholds(),
    ) -> None:
        self._counters = counters
        self._store = store
        self._publisher = publisher
        self._webhook = webhook
        self._thresholds = thresholds

    def check(self, site: Site, now: datetime) -> tuple[str, list[Alert]]:
        """The site's local today and the conditions that hold so far today."""
        today = now.astimezone(site.zone).date()
        first = (today - timedelta(days=TRAILING_DAYS)).isoformat()
        by_day = read_days(self._counters, site.site_id, days_between(first, today.isoformat()))
        trailing = sum_counters(counters for day, counters in by_day.items() if day != today.isoformat())
        return today.isoformat(), evaluate(by_day[today.isoformat()], trailing, self._thresholds)

    def run(self, site: Site, now: datetime) -> list[str]:
        """The conditions alerted now (none that were alerted earlier today)."""
        day, alerts = self.check(site, now)
        if not alerts:
            return []
        already = self._store.alerted(site.site_id, day)
        new = [alert for alert in alerts if alert.condition not in already]
        if not new:
            return []
        body = json.dumps(message(site, day, new, now), sort_keys=True)
        self._publisher.publish(subject(site, new), body)
        self._webhook.post(webhook_text(site, day, new))
        for alert in new:
            self._store.mark_alerted(site.site_id, day, alert.condition, alert.figures, now)
        return [alert.condition for alert in new]
