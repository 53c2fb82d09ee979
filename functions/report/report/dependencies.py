"""The providers of the report function's routes (`Depends(...)`; tests override them on the app):
each reads the instance's services (`klantreis.services`), built on first use. The scheduled
jobs' providers are in `job_dependencies`, so the API imports nothing of the alerts."""

from __future__ import annotations

from datetime import UTC, datetime

from klantreis import services
from klantreis.projections.live_board import LiveBoardStore
from klantreis.reports.ports import FeedbackReader, PerformanceReader
from klantreis.reports.service import Reports
from klantreis.sites import SiteStore


def now() -> datetime:
    """The report routes' clock ("today" is the site's local day of it); tests pin it."""
    return datetime.now(UTC)


def site_store() -> SiteStore:
    return services.current().site_store


def feedback_reader() -> FeedbackReader:
    return services.current().feedback_reader


def performance_reader() -> PerformanceReader:
    return services.current().performance_reader


def reports() -> Reports:
    return services.current().reports


def board_store() -> LiveBoardStore:
    """The live board the stream function keeps (functions/aggregate), for the live view's route."""
    return services.current().board_store
