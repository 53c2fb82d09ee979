"""The report function's scheduled jobs (EventBridge, every hour; template.yaml):

- `nightly_handler`: each site whose local time is past 01:00 and whose previous local day is not
  stored yet gets that day's report: the row in the table, its CSV and HTML in the reports bucket.
  Hourly, because sites are in different time zones; a stored day is never built again.
- `alerts_handler`: each site's counters so far today against the trailing 7 days; a CSAT drop or
  a missed service level is published once per site, condition and day.

Each site is done on its own (`klantreis.scheduled.for_each_site`): one site's failure is logged
and the others still run; the run then fails, so the errors alarm fires and Lambda's retry of the
asynchronous invocation (or the next hour) redoes only what is missing. Without a bucket or a
topic (the local stack) the files and alerts are skipped with a log line.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from klantreis.observability import logger, metrics
from klantreis.scheduled import JobFailed, for_each_site
from klantreis.sites import Site
from report import job_dependencies

__all__ = ["JobFailed", "alerts_handler", "nightly_handler", "scheduled_time"]

FAILED_METRIC = "ReportJobSitesFailed"


def scheduled_time(event: dict[str, Any]) -> datetime:
    """The moment EventBridge scheduled this run (`time`), so a late or retried invocation works
    on the hour it was meant for; now when the event carries none."""
    raw = event.get("time") if isinstance(event, dict) else None
    if isinstance(raw, str):
        try:
            moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            logger.warning("scheduled event with an unreadable time; using now", extra={"time": raw})
        else:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.now(UTC)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def nightly_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    now = scheduled_time(event)
    nightly = job_dependencies.nightly()
    run = for_each_site(
        "nightly report",
        job_dependencies.site_lister(),
        lambda site: {nightly.run(site, now): 1},
        FAILED_METRIC,
    )
    metrics.add_metric(name="DailyReportsStored", unit="Count", value=run.counts["stored"])
    run.raise_if_failed()
    return run.summary()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def alerts_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    now = scheduled_time(event)
    alerts = job_dependencies.alerts()
    published = Counter[str]()

    def check(site: Site) -> dict[str, int]:
        conditions = alerts.run(site, now)
        published.update(conditions)
        return {"alerted" if conditions else "quiet": 1}

    run = for_each_site("report alerts", job_dependencies.site_lister(), check, FAILED_METRIC)
    summary = run.summary()
    metrics.add_metric(name="ReportAlertSitesChecked", unit="Count", value=summary["sites"])
    for condition, count in published.items():
        metrics.add_metric(name=f"ReportAlerts_{condition}", unit="Count", value=count)
    run.raise_if_failed()
    return {**summary, **{f"alerts_{name}": count for name, count in published.items()}}
