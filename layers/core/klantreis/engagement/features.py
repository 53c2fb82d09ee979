"""A live session in the columns of the UCI online-shoppers data (what the propensity model
reads), and the abandonment risk of the moment. Pure functions over the tracked state.

Bounce rate, exit rate and page value come from the site's own history per page (Google
Analytics' definitions, see docs/model.md), through the `PageStatsSource` port, each page with
its evidence (0-1): how far its own history may replace the prior. The purchase intent is the
evidence-weighted mix of the full model on the page statistics (put on the training file's scale)
and the prior model, which knows no page statistics and scores a session as the training
population says (`purchase_intent`). A new site has no evidence and scores with the prior alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol
from zoneinfo import ZoneInfo

from klantreis.engagement.model import PropensityModel, SessionFeatures
from klantreis.journey.page_stats import page_key
from klantreis.journey.session import SessionState, Stage

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "June", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
UCI_PAGE_TYPES = ("administrative", "informational", "product_related")

TRAINING_MEANS = {"bounce_rate": 0.0223, "exit_rate": 0.0431, "page_value": 5.9436}
"""BounceRates, ExitRates and PageValues averaged over the training file's sessions. A site's
figures are put on this scale (page figure / the site's pooled figure x this): GA's page-level
rates of a live site (bounce about 0.5) and the UCI columns (0.02) differ in level, and page
values are in the site's own currency and order sizes."""


@dataclass(frozen=True)
class PageMetrics:
    bounce_rate: float = 0.0
    exit_rate: float = 0.0
    page_value: float = 0.0
    evidence: float = 0.0
    """0-1: the weight of this page's own history against the prior (0: none, or unknown page)."""


@dataclass(frozen=True)
class SitePageStats:
    """The site's history per page key (see `page_keys`), and its pooled figures over all pages
    (GA's definitions over the site's totals), which put a page's figures on the training scale."""

    pages: dict[str, PageMetrics] = field(default_factory=dict)
    average: PageMetrics = field(default_factory=PageMetrics)

    def lookup(self, page_key: str) -> PageMetrics:
        """An unknown page has no evidence: the prior speaks for it."""
        return self.pages.get(page_key, NO_HISTORY)

    def on_training_scale(self, metrics: PageMetrics) -> PageMetrics:
        """The page's figures relative to the site's pooled ones, times the training means."""

        def scaled(name: str, ceiling: float) -> float:
            pooled = float(getattr(self.average, name))
            if pooled <= 0:
                return 0.0
            return min(ceiling, float(getattr(metrics, name)) / pooled * TRAINING_MEANS[name])

        return PageMetrics(
            bounce_rate=scaled("bounce_rate", 1.0),
            exit_rate=scaled("exit_rate", 1.0),
            page_value=scaled("page_value", float("inf")),
            evidence=metrics.evidence,
        )


NO_HISTORY = PageMetrics()


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
    # Each checkout step is a checkout page GA counts as administrative; a widget that reports
    # only the checkout_step event (no page_view) still has the visitor on those pages.
    counts["administrative"] = max(counts["administrative"], state.checkout_step)
    history = _history(state, stats)
    return SessionFeatures(
        administrative=counts["administrative"],
        administrative_duration=round(seconds["administrative"], 3),
        informational=counts["informational"],
        informational_duration=round(seconds["informational"], 3),
        product_related=counts["product_related"],
        product_related_duration=round(seconds["product_related"], 3),
        bounce_rates=history.bounce_rate,
        exit_rates=history.exit_rate,
        page_values=history.page_value,
        special_day=special_day_closeness(local.date(), special_days),
        month=MONTHS[local.month - 1],
        visitor_type="Returning_Visitor" if state.returning_visitor else "New_Visitor",
        weekend=local.weekday() >= 5,
    )


def _history(state: SessionState, stats: SitePageStats) -> PageMetrics:
    """The session's page statistics on the training scale: the mean over its pages, each page
    weighted by its evidence (pages without history add nothing); the evidence is the mean over
    its pages (every page counts, so a session on unknown pages leans on the prior)."""
    metrics = [stats.lookup(key) for key in page_keys(state)]
    weight = sum(m.evidence for m in metrics)
    if weight <= 0:
        return NO_HISTORY
    scaled = [stats.on_training_scale(m) for m in metrics]
    return PageMetrics(
        bounce_rate=round(sum(m.bounce_rate * m.evidence for m in scaled) / weight, 6),
        exit_rate=round(sum(m.exit_rate * m.evidence for m in scaled) / weight, 6),
        page_value=round(sum(m.page_value * m.evidence for m in scaled) / weight, 6),
        evidence=round(weight / len(metrics), 6),
    )


def history_evidence(state: SessionState, stats: SitePageStats) -> float:
    """How far the session's page statistics are the site's own (0-1): the weight of the full
    model in `purchase_intent`."""
    return _history(state, stats).evidence


def purchase_intent(
    model: PropensityModel, prior: PropensityModel, features: SessionFeatures, evidence: float
) -> float:
    """The expected score under what is known of the page statistics: with weight `evidence`
    they are the site's (the full model on them), otherwise they are unknown and the prior model,
    trained without them, gives the training population's purchase rate for sessions like this.
    Mixing scores, not plugging a shrunk page value into the trees: most pages have no page value
    and the trees split it at 0.02, so a page value pulled towards the average would make every
    session look like a buyer's."""
    if evidence <= 0:
        return prior.score(features)
    if evidence >= 1:
        return model.score(features)
    return evidence * model.score(features) + (1.0 - evidence) * prior.score(features)


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
