"""Bounce rate, exit rate and page value per page from the site's own history (Google
Analytics' definitions), for the live purchase-propensity features: the
klantreis.engagement.features.PageStatsSource port over the counters the stream consumer keeps
(klantreis.projections.pages; design in docs/decisions.md, "Page statistics").

Per page: bounce rate = bounces / entrances (sessions that entered on it and saw no other page),
exit rate = exits / views, page value = revenue of sessions that bought after viewing it / unique
views; and the page's evidence, how far its own figures replace the prior (empirical Bayes: a
page's own history weighs uv / (uv + PAGE_PRIOR_VIEWS), the site's as a whole entrances /
(entrances + SITE_PRIOR_SESSIONS), nothing before the site's first purchase). Pages without
history have no evidence; the site's pooled figures put a page's on the training scale
(klantreis.engagement.features).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from klantreis.engagement.features import PageMetrics, SitePageStats
from klantreis.journey.page_stats import ENTRANCES, VALUE, VIEWS, capped

READER_MAX_PAGES = 2_000
READER_MAX_SITES = 64
PAGE_PRIOR_VIEWS = 20.0
"""Unique views at which a page's own figures weigh as much as the prior: five purchases on a
page seen in ten sessions move it a third of the way, not all of it."""
SITE_PRIOR_SESSIONS = 200.0
"""Sessions (entrances) at which the site's history as a whole weighs as much as the training
population's: a site's first day leans on the prior, a site with thousands of sessions on itself."""


def page_metrics(counts: Sequence[float], site_weight: float = 0.0) -> PageMetrics:
    """Google Analytics' definitions, kept within their ranges (a page whose early history was
    capped away can show a little more of one counter than of another), and the page's evidence
    on a site whose history weighs `site_weight`."""
    entrances, bounces, exits, views, unique_views, value = (max(v, 0.0) for v in counts)
    return PageMetrics(
        bounce_rate=round(min(bounces / entrances, 1.0), 6) if entrances else 0.0,
        exit_rate=round(min(exits / views, 1.0), 6) if views else 0.0,
        page_value=round(value / unique_views, 6) if unique_views else 0.0,
        evidence=round(site_weight * unique_views / (unique_views + PAGE_PRIOR_VIEWS), 6),
    )


def site_weight(totals: Sequence[float]) -> float:
    """How far the site's history as a whole replaces the training population's. Before a first
    purchase no page has a page value to compare, so the prior keeps all the weight."""
    if totals[VALUE] <= 0:
        return 0.0
    sessions = max(totals[ENTRANCES], 0.0)
    return sessions / (sessions + SITE_PRIOR_SESSIONS)


def site_page_stats(
    pages: Mapping[str, Sequence[float]], totals: Sequence[float], max_pages: int = READER_MAX_PAGES
) -> SitePageStats:
    """The most viewed pages' metrics with their evidence, and the site's pooled figures."""
    viewed = {key: list(counts) for key, counts in pages.items() if counts[VIEWS] > 0}
    kept = capped(viewed, max_pages)
    weight = site_weight(totals)
    return SitePageStats(
        pages={key: page_metrics(counts, weight) for key, counts in kept.items()},
        average=page_metrics(totals),
    )
