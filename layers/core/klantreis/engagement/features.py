"""A live session in the columns of the UCI online-shoppers data (what the propensity model
reads), and the abandonment risk of the moment. Pure functions over the tracked state.

Bounce rate, exit rate and page value come from the site's own history per page (Google
Analytics' definitions, see docs/model.md), through the `PageStatsSource` port; a page the
site has no history for counts with the site's averages, and a site without history with zeros.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol
from zoneinfo import ZoneInfo

from klantreis.engagement.model import SessionFeatures
from klantreis.journey.page_stats import page_key
from klantreis.journey.session import SessionState, Stage

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "June", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
UCI_PAGE_TYPES = ("administrative", "informational", "product_related")


@dataclass(frozen=True)
class PageMetrics:
    bounce_rate: float = 0.0
    exit_rate: float = 0.0
    page_value: float = 0.0


@dataclass(frozen=True)
class SitePageStats:
    """The site's history per page key (see `page_keys`), and its averages for unknown pages."""

    pages: dict[str, PageMetrics] = field(default_factory=dict)
    average: PageMetrics = field(default_factory=PageMetrics)

    def lookup(self, page_key: str) -> PageMetrics:
        return self.pages.get(page_key, self.average)


class PageStatsSource(Protocol):
    def for_site(self, site_id: str) -> SitePageStats: ...


def page_keys(state: SessionState) -> list[str]:
    """The pages of the session the tracker still holds: every product viewed, the landing page,
    the recent journey and the current page."""
    keys = [f"product:{product_id}" for product_id in state.products]
    urls = [
        state.landing_url,
        *(entry.url for entry in state.journey if entry.product_id is None),
        state.last_page_url,
    ]
    keys += [key for url in urls if (key := page_key(url)) is not None]
    return list(dict.fromkeys(keys))


def special_day_closeness(today: date, special_days: list[date]) -> float:
    """UCI's SpecialDay: 0 unless a special day is 2-12 days ahead, peaking 1.0 a week before
    (delivery lead time), in steps of 0.2 like the data."""
    best = 0.0
    for special in special_days:
        ahead = (special - today).days
        if 2 <= ahead <= 12:
            best = max(best, 0.0, 1.0 - abs(ahead - 7) / 5)
    return round(round(best * 5) / 5, 1)


def session_features(
    state: SessionState,
    stats: SitePageStats,
    *,
    timezone: str,
    special_days: list[date],
) -> SessionFeatures:
    # As in the UCI data (Google Analytics), the page the visitor is on has no duration yet, and
    # the session's date is that of its first event.
    local = state.first_at.astimezone(ZoneInfo(timezone))
    counts = dict.fromkeys(UCI_PAGE_TYPES, 0)
    seconds = dict.fromkeys(UCI_PAGE_TYPES, 0.0)
    for kind, page_stats in state.page_types.items():
        target = kind if kind in counts else "product_related"
        counts[target] += page_stats.views
        seconds[target] += page_stats.seconds
    metrics = [stats.lookup(key) for key in page_keys(state)] or [PageMetrics()]
    return SessionFeatures(
        administrative=counts["administrative"],
        administrative_duration=round(seconds["administrative"], 3),
        informational=counts["informational"],
        informational_duration=round(seconds["informational"], 3),
        product_related=counts["product_related"],
        product_related_duration=round(seconds["product_related"], 3),
        bounce_rates=_mean([m.bounce_rate for m in metrics]),
        exit_rates=_mean([m.exit_rate for m in metrics]),
        page_values=_mean([m.page_value for m in metrics]),
        special_day=special_day_closeness(local.date(), special_days),
        month=MONTHS[local.month - 1],
        visitor_type="Returning_Visitor" if state.returning_visitor else "New_Visitor",
        weekend=local.weekday() >= 5,
    )


_STAGE_BASE = {Stage.BROWSING: 0.30, Stage.CART: 0.50, Stage.CHECKOUT: 0.45, Stage.PURCHASED: 0.0}


def abandonment_risk(state: SessionState, idle_seconds: int, purchase_intent: float) -> float:
    """How likely the visitor leaves without buying now: a base by stage, raised as they sit
    idle (half-way to certain after about a minute), lowered by purchase intent. A transparent
    heuristic until sites have outcomes to fit it on (docs/model.md)."""
    base = _STAGE_BASE[state.stage]
    if base == 0.0:
        return 0.0
    idle_factor = 1.0 - math.exp(-max(idle_seconds, 0) / 80)
    risk = base + (1.0 - base) * idle_factor
    return round(min(1.0, max(0.0, risk * (1.0 - 0.5 * purchase_intent))), 4)


def main_category(state: SessionState) -> str | None:
    """The category the visitor is most about: the cart's most valuable line, else most viewed."""
    if state.cart:
        line = max(state.cart.values(), key=lambda cart_line: cart_line.quantity * cart_line.unit_value)
        if line.category:
            return line.category
    if state.counts_by_category:
        return max(state.counts_by_category.items(), key=lambda item: item[1])[0]
    return None


def session_categories(state: SessionState) -> frozenset[str]:
    in_cart = {line.category for line in state.cart.values() if line.category}
    return frozenset(in_cart | set(state.counts_by_category))


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 6) if values else 0.0
