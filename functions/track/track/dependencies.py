"""The providers of the track function's routes (`Depends(...)`; tests override them on the
app): each reads the instance's services (`klantreis.services`), built on first use."""

from __future__ import annotations

from datetime import UTC, datetime

from klantreis import services
from klantreis.journey.ports import VisitorEraser
from klantreis.journey.tracker import Limits, Tracker
from klantreis.sites import SiteDirectory


def now() -> datetime:
    """When a batch arrives: its events are moved onto this clock (their day is the site's local
    day of it); tests pin it."""
    return datetime.now(UTC)


def site_directory() -> SiteDirectory:
    return services.current().site_directory


def tracker() -> Tracker:
    return services.current().tracker


def eraser() -> VisitorEraser:
    return services.current().eraser


def limits() -> Limits:
    return services.current().limits
