"""Bounce rate, exit rate and page value per page from the site's own history (Google
Analytics' definitions), for the live purchase-propensity features: the
klantreis.engagement.features.PageStatsSource port over the counters the stream consumer keeps
(klantreis.projections.pages; design in docs/decisions.md, "Page statistics").

Per page: bounce rate = bounces / entrances (sessions that entered on it and saw no other page),
exit rate = exits / views, page value = revenue of sessions that bought after viewing it / unique
views. Pages without history count with the site's figures over all its pages.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from klantreis.cache import TtlCache
from klantreis.engagement.features import PageMetrics, SitePageStats
from klantreis.errors import Throttled
from klantreis.journey.page_stats import VIEWS, capped, load_counts

READER_MAX_PAGES = 2_000
READER_MAX_SITES = 64


def page_metrics(counts: Sequence[float]) -> PageMetrics:
    """Google Analytics' definitions, kept within their ranges (a page whose early history was
    capped away can show a little more of one counter than of another)."""
    entrances, bounces, exits, views, unique_views, value = (max(v, 0.0) for v in counts)
    return PageMetrics(
        bounce_rate=round(min(bounces / entrances, 1.0), 6) if entrances else 0.0,
        exit_rate=round(min(exits / views, 1.0), 6) if views else 0.0,
        page_value=round(value / unique_views, 6) if unique_views else 0.0,
    )


def site_page_stats(
    pages: Mapping[str, Sequence[float]], totals: Sequence[float], max_pages: int = READER_MAX_PAGES
) -> SitePageStats:
    """The most viewed pages' metrics, and the site's as the average for every other page."""
    viewed = {key: list(counts) for key, counts in pages.items() if counts[VIEWS] > 0}
    kept = capped(viewed, max_pages)
    return SitePageStats(
        pages={key: page_metrics(counts) for key, counts in kept.items()}, average=page_metrics(totals)
    )


class DynamoPageStatsSource:
    """klantreis.engagement.features.PageStatsSource from the table: per site, the snapshot and
    the deltas after it (two requests), kept in memory for `ttl_seconds`. On a read error a stale
    copy is served if there is one."""

    def __init__(
        self,
        dynamodb: Any,
        table: str,
        ttl_seconds: float = 300.0,
        *,
        max_pages: int = READER_MAX_PAGES,
        max_sites: int = READER_MAX_SITES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = dynamodb
        self._table = table
        self._max_pages = max_pages
        self._cache: TtlCache[SitePageStats] = TtlCache(ttl_seconds, max_entries=max_sites, clock=clock)

    def for_site(self, site_id: str) -> SitePageStats:
        return self._cache.get(site_id, self.load, stale_on=(ClientError, Throttled))

    def load(self, site_id: str) -> SitePageStats:
        pages, totals = load_counts(self._db, self._table, site_id)
        return site_page_stats(pages, totals, self._max_pages)
