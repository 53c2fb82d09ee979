"""The report function's scheduled jobs (EventBridge, every hour; template.yaml):

- `nightly_handler`: each site whose local time is past 01:00 and whose previous local day is not
  stored yet gets that day's report: the row in the table, its CSV and HTML in the reports bucket.
  Hourly, because sites are in different time zones; a stored day is never built again.
- `alerts_handler`: each site's counters so far today against the trailing 7 days; a CSAT drop or
  a missed service level is published once per site, condition and day.

Each site is done on its own: one site's failure is logged and the others still run; the run
then fails, so the errors alarm fires and Lambda's retry of the asynchronous invocation (or the
next hour) redoes only what is missing. Without a bucket or a topic (the local stack) the files
and alerts are skipped with a log line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from klantreis.observability import logger, metrics
from klantreis.sites import Site
from report import dependencies


class JobFailed(Exception):
    """Some sites could not be done (each is logged with its error)."""


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


def for_each_site(job: str, work: Callable[[Site], str]) -> dict[str, int]:
    """Runs `work` for every site; counts its outcomes, and raises JobFailed at the end if any
    site failed (after all others ran)."""
    sites = dependencies.site_store()
    outcomes: Counter[str] = Counter()
    failed: list[str] = []
    for site_id in sites.site_ids():
        site = sites.get(site_id)
        if site is None:
            continue
        try:
            outcome = work(site)
        except Exception:
            # One site's bad data or a throttled call must not keep the other sites' reports
            # from being made; the run still fails below, so the alarm sees it.
            logger.exception(f"{job} failed for a site", extra={"site_id": site_id})
            failed.append(site_id)
            continue
        outcomes[outcome] += 1
    summary = {"sites": sum(outcomes.values()) + len(failed), "failed": len(failed), **outcomes}
    logger.info(f"{job} done", extra=summary)
    if failed:
        metrics.add_metric(name="ReportJobSitesFailed", unit="Count", value=len(failed))
        raise JobFailed(f"{job} failed for {len(failed)} site(s): {', '.join(failed[:20])}")
    return summary


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def nightly_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    now = scheduled_time(event)
    nightly = dependencies.nightly()
    summary = for_each_site("nightly report", lambda site: nightly.run(site, now))
    metrics.add_metric(name="DailyReportsStored", unit="Count", value=summary.get("stored", 0))
    return summary


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def alerts_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    now = scheduled_time(event)
    alerts = dependencies.alerts()
    published = Counter[str]()

    def check(site: Site) -> str:
        conditions = alerts.run(site, now)
        published.update(conditions)
        return "alerted" if conditions else "quiet"

    summary = for_each_site("report alerts", check)
    metrics.add_metric(name="ReportAlertSitesChecked", unit="Count", value=summary["sites"])
    for condition, count in published.items():
        metrics.add_metric(name=f"ReportAlerts_{condition}", unit="Count", value=count)
    return {**summary, **{f"alerts_{name}": count for name, count in published.items()}}
