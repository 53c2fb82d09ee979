"""The rule engine: which of a site's engagement rules a visitor's moment matches (pure)."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from klantreis.engagement.config import EngagementRule, RuleTriggers


@dataclass(frozen=True)
class Moment:
    """What the rules look at when the widget asks whether to offer a chat."""

    stage: str
    """browsing, cart, checkout or purchased (a purchased session matches no rule at all)."""
    cart_value: float = 0.0
    categories: frozenset[str] = field(default_factory=frozenset)
    """Categories in the cart or viewed in the session."""
    url: str | None = None
    idle_seconds: int = 0
    purchase_intent: float = 0.0
    abandonment_risk: float = 0.0


PURCHASED = "purchased"


def triggers_hold(triggers: RuleTriggers, moment: Moment) -> bool:
    """Whether every condition of `triggers` holds at `moment`. A session that has bought is
    never interrupted, so a purchased moment holds for no triggers, not even empty ones."""
    if moment.stage == PURCHASED:
        return False
    if triggers.stages and moment.stage not in triggers.stages:
        return False
    if triggers.min_cart_value is not None and moment.cart_value < triggers.min_cart_value:
        return False
    if triggers.categories and not moment.categories.intersection(triggers.categories):
        return False
    if triggers.url_patterns:
        path = urlsplit(moment.url).path if moment.url else ""
        if not path or not any(fnmatch.fnmatchcase(path, pattern) for pattern in triggers.url_patterns):
            return False
    return (
        moment.idle_seconds >= triggers.min_idle_seconds
        and moment.purchase_intent >= triggers.min_purchase_intent
        and moment.abandonment_risk >= triggers.min_abandonment_risk
    )


def matching_rule(rules: list[EngagementRule], moment: Moment) -> EngagementRule | None:
    """The enabled rule with the highest priority whose triggers all hold (earlier wins ties)."""
    best: EngagementRule | None = None
    for rule in rules:
        if (
            rule.enabled
            and triggers_hold(rule.triggers, moment)
            and (best is None or rule.priority > best.priority)
        ):
            best = rule
    return best
