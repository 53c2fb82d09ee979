"""The providers of the report function's routes and jobs (`Depends(...)`; tests override them on
the app): each reads the instance's services (`klantreis.services`), built on first use."""

from __future__ import annotations

from datetime import UTC, datetime

from klantreis import services
from klantreis.projections.live_board import LiveBoardStore
from klantreis.reports.alerts import Alerts
from klantreis.reports.ports import AlertWebhook, FeedbackReader, PerformanceReader
from klantreis.reports.service import NightlyReports, Reports
from klantreis.scheduled import SiteLister
from klantreis.sites import SiteStore


def now() -> datetime:
    """The report routes' clock ("today" is the site's local day of it); tests pin it."""
    return datetime.now(UTC)


def site_store() -> SiteStore:
    return services.current().site_store


def site_lister() -> SiteLister:
    """Every site, for the nightly and alert jobs."""
    return services.current().site_lister


def feedback_reader() -> FeedbackReader:
    return services.current().feedback_reader


def performance_reader() -> PerformanceReader:
    return services.current().performance_reader


def reports() -> Reports:
    return services.current().reports


def alert_webhook() -> AlertWebhook:
    return services.current().alert_webhook


def nightly() -> NightlyReports:
    return services.current().nightly_reports


def alerts() -> Alerts:
    return services.current().alerts


def board_store() -> LiveBoardStore:
    """The live board the stream function keeps (functions/aggregate), for the live view's route."""
    return services.current().board_store
