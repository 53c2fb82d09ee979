"""The providers of the report function's scheduled jobs (jobs.py), reading the instance's services
(`klantreis.services`). Apart from the routes' providers so that neither the API imports the
alerts nor the jobs import the routes' readers (cold start)."""

from __future__ import annotations

from klantreis import services
from klantreis.reports.alerts import Alerts
from klantreis.reports.ports import AlertWebhook
from klantreis.reports.service import NightlyReports
from klantreis.scheduled import SiteLister


def site_lister() -> SiteLister:
    """Every site, for the nightly and alert jobs."""
    return services.current().site_lister


def nightly() -> NightlyReports:
    return services.current().nightly_reports


def alerts() -> Alerts:
    return services.current().alerts


def alert_webhook() -> AlertWebhook:
    return services.current().alert_webhook
