"""The services this function uses, built once per Lambda instance on first use."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from klantreis import dynamo
from klantreis.journey.erasure import DynamoVisitorEraser, VisitorEraser
from klantreis.journey.store import DynamoSessionStore
from klantreis.journey.tracker import Limits, Tracker
from klantreis.settings import get_settings
from klantreis.sites import DynamoSiteStore, SiteDirectory


def now() -> datetime:
    """When a batch arrives: its events are moved onto this clock (their day is the site's local
    day of it); tests pin it."""
    return datetime.now(UTC)


@cache
def limits() -> Limits:
    settings = get_settings()
    return Limits(
        max_events=settings.max_batch_events,
        max_batch_bytes=settings.max_batch_bytes,
        max_event_bytes=settings.max_event_bytes,
        retention_days=settings.journey_retention_days,
    )


@cache
def site_directory() -> SiteDirectory:
    settings = get_settings()
    return SiteDirectory(DynamoSiteStore(dynamo.client(), settings.table_name), settings.site_cache_seconds)


@cache
def tracker() -> Tracker:
    return Tracker(DynamoSessionStore(dynamo.client(), get_settings().table_name), limits())


@cache
def eraser() -> VisitorEraser:
    return DynamoVisitorEraser(dynamo.client(), get_settings().table_name)


def reset() -> None:
    """Forgets every built service (tests that change the environment call this)."""
    for factory in (limits, site_directory, tracker, eraser):
        factory.cache_clear()
