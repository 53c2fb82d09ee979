"""Properties of the rule engine (klantreis.engagement.rules), checked on generated rules and moments.

What the engine promises, stated precisely:
- A session that has bought (`stage == "purchased"`) matches no rule, not even one without triggers.
- Triggers that restrict nothing (no stages, categories, URL patterns, thresholds) hold for every
  other moment.
- Each trigger only restricts: raising a threshold or adding a condition never turns a moment that
  did not match into one that does; a moment with more idle time, cart value, intent or risk (all
  else equal) never stops matching.
- The chosen rule is enabled and holds; no enabled rule that holds has a higher priority, and one
  with the same priority comes later in the list. Disabled rules are never chosen.
- URL patterns are case-sensitive globs on the path only (no scheme, host, query or fragment);
  a moment without a URL matches no rule that has URL patterns.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from klantreis.engagement import features, model
from klantreis.engagement.config import EngagementConfig, EngagementRule, RuleTriggers
from klantreis.engagement.rules import Moment, matching_rule, triggers_hold
from klantreis.journey.events import BatchEnvelope, TrackedEvent
from klantreis.journey.session import SessionState
from klantreis.journey.tracker import Limits, Tracker
from klantreis.sites import Site
from tests.factories import T0, anna_journey, batch, event
from tests.fakes import InMemorySessionStore

RULE_STAGES = ["browsing", "cart", "checkout"]
CATEGORIES = ["dameslaarzen", "herenschoenen", "sneakers", "tassen"]
PATHS = ["/", "/laarzen", "/laarzen/bruin", "/checkout/1", "/checkout/2", "/cart", "/Laarzen"]
PATTERNS = ["/checkout*", "/laarzen/*", "/cart", "*", "/*/bruin", "/laarzen*", "/x?y"]

scores = st.floats(0.0, 1.0, allow_nan=False)
money = st.floats(0.0, 2_000.0, allow_nan=False)
seconds = st.integers(0, 600)

moments = st.builds(
    Moment,
    stage=st.sampled_from([*RULE_STAGES, "purchased"]),
    cart_value=money,
    categories=st.frozensets(st.sampled_from(CATEGORIES)),
    url=st.one_of(st.none(), st.sampled_from(PATHS).map(lambda path: f"https://shop.example{path}?q=1")),
    idle_seconds=seconds,
    purchase_intent=scores,
    abandonment_risk=scores,
)
open_moments = moments.filter(lambda moment: moment.stage != "purchased")

triggers = st.builds(
    RuleTriggers,
    stages=st.lists(st.sampled_from(RULE_STAGES), unique=True, max_size=2),
    min_cart_value=st.one_of(st.none(), money),
    categories=st.lists(st.sampled_from(CATEGORIES), unique=True, max_size=2),
    url_patterns=st.lists(st.sampled_from(PATTERNS), unique=True, max_size=2),
    min_idle_seconds=seconds,
    min_purchase_intent=scores,
    min_abandonment_risk=scores,
)
# Loose triggers match often, so the properties about choosing among rules see many matches.
loose_triggers = st.builds(
    RuleTriggers,
    stages=st.lists(st.sampled_from(RULE_STAGES), unique=True, max_size=3),
    min_cart_value=st.one_of(st.none(), st.floats(0.0, 100.0)),
    min_idle_seconds=st.integers(0, 60),
    min_abandonment_risk=st.floats(0.0, 0.5),
)


@st.composite
def rule_lists(draw: st.DrawFn, min_size: int = 0) -> list[EngagementRule]:
    size = draw(st.integers(min_size, 8))
    return [
        EngagementRule(
            rule_id=f"rule-{n}",
            name=f"Rule {n}",
            message="Hulp nodig?",
            enabled=draw(st.booleans()),
            priority=draw(st.integers(0, 3)),  # few values, so ties are common
            triggers=draw(st.one_of(loose_triggers, triggers)),
        )
        for n in range(size)
    ]


# ---------------------------------------------------------------- single triggers
@given(moments)
def test_triggers_without_conditions_hold_exactly_for_sessions_that_have_not_bought(moment: Moment) -> None:
    assert triggers_hold(RuleTriggers(), moment) == (moment.stage != "purchased")


@given(triggers, moments.map(lambda m: dataclasses.replace(m, stage="purchased")))
def test_a_session_that_has_bought_matches_nothing(trigger_set: RuleTriggers, moment: Moment) -> None:
    assert not triggers_hold(trigger_set, moment)


@given(
    triggers,
    moments,
    st.sampled_from(["min_cart_value", "min_idle_seconds", "min_purchase_intent", "min_abandonment_risk"]),
    st.floats(0.0, 1.0),
)
def test_raising_a_threshold_never_turns_a_non_match_into_a_match(
    trigger_set: RuleTriggers, moment: Moment, threshold: str, fraction: float
) -> None:
    # given a stricter version of the triggers: one threshold raised part of the way to its maximum
    current = getattr(trigger_set, threshold) or 0
    maximum = {"min_cart_value": 2_000.0, "min_idle_seconds": 600}.get(threshold, 1.0)
    raised: float | int = current + (maximum - current) * fraction
    if threshold == "min_idle_seconds":
        raised = int(raised)
    stricter = trigger_set.model_copy(update={threshold: raised})
    # then whatever the stricter triggers accept, the original accepts too
    if triggers_hold(stricter, moment):
        assert triggers_hold(trigger_set, moment)


@given(triggers, moments, st.data())
def test_adding_a_condition_never_turns_a_non_match_into_a_match(
    trigger_set: RuleTriggers, moment: Moment, data: st.DataObject
) -> None:
    field, choices = data.draw(
        st.sampled_from([("stages", RULE_STAGES), ("categories", CATEGORIES), ("url_patterns", PATTERNS)])
    )
    current: list[Any] = getattr(trigger_set, field)
    # A non-empty list restricts; narrowing it (or making it non-empty) only restricts more.
    narrowed = data.draw(st.lists(st.sampled_from(current or choices), unique=True, min_size=1))
    stricter = trigger_set.model_copy(update={field: narrowed})
    if triggers_hold(stricter, moment):
        assert triggers_hold(trigger_set, moment)


GLOB_EXAMPLES = [
    ("/checkout*", "/checkout/2"),
    ("/laarzen/*", "/laarzen/bruin"),
    ("*", "/"),
    ("/cart", "/cart"),
]


@st.composite
def matching_pairs(draw: st.DrawFn) -> tuple[RuleTriggers, Moment]:
    """Triggers and a moment that meets every one of them (with room to spare, or just)."""
    trigger_set = draw(triggers)
    stage = draw(st.sampled_from(trigger_set.stages or RULE_STAGES))
    categories = draw(st.frozensets(st.sampled_from(CATEGORIES)))
    if trigger_set.categories:
        categories |= {draw(st.sampled_from(trigger_set.categories))}
    url = draw(st.one_of(st.none(), st.sampled_from(PATHS).map(lambda path: f"https://shop.example{path}")))
    if trigger_set.url_patterns:
        # one of the patterns is one the URL matches
        pattern, path = draw(st.sampled_from(GLOB_EXAMPLES))
        trigger_set = trigger_set.model_copy(update={"url_patterns": [pattern, *trigger_set.url_patterns]})
        url = f"https://shop.example{path}?ref=mail"
    moment = Moment(
        stage=stage,
        cart_value=(trigger_set.min_cart_value or 0.0) + draw(money),
        categories=categories,
        url=url,
        idle_seconds=trigger_set.min_idle_seconds + draw(seconds),
        purchase_intent=draw(st.floats(trigger_set.min_purchase_intent, 1.0)),
        abandonment_risk=draw(st.floats(trigger_set.min_abandonment_risk, 1.0)),
    )
    return trigger_set, moment


@given(matching_pairs(), st.floats(0.0, 500.0), st.integers(0, 600), scores, scores)
def test_more_idle_time_cart_value_intent_or_risk_never_stops_a_match(
    pair: tuple[RuleTriggers, Moment], more_value: float, more_idle: int, intent: float, risk: float
) -> None:
    # given triggers that hold at a moment
    trigger_set, moment = pair
    assert triggers_hold(trigger_set, moment)
    # when the visitor idles longer, or has more in the cart, or looks keener or riskier
    keener = dataclasses.replace(
        moment,
        cart_value=moment.cart_value + more_value,
        idle_seconds=moment.idle_seconds + more_idle,
        purchase_intent=max(moment.purchase_intent, intent),
        abandonment_risk=max(moment.abandonment_risk, risk),
    )
    # then they still hold
    assert triggers_hold(trigger_set, keener)


# ---------------------------------------------------------------- choosing among rules
@given(rule_lists(), moments)
def test_the_chosen_rule_holds_and_no_better_enabled_rule_does(
    rules: list[EngagementRule], moment: Moment
) -> None:
    chosen = matching_rule(rules, moment)
    holding = [r for r in rules if r.enabled and triggers_hold(r.triggers, moment)]
    if chosen is None:
        assert holding == []
        return
    assert chosen.enabled
    assert triggers_hold(chosen.triggers, moment)
    position = rules.index(chosen)
    for n, other in enumerate(rules):
        if other in holding:
            assert other.priority <= chosen.priority
            if other.priority == chosen.priority:
                assert n >= position, "an earlier rule of the same priority should have won"


@given(rule_lists(), moments)
def test_disabled_rules_are_never_chosen(rules: list[EngagementRule], moment: Moment) -> None:
    chosen = matching_rule(rules, moment)
    assert chosen is None or chosen.enabled
    all_disabled = [r.model_copy(update={"enabled": False}) for r in rules]
    assert matching_rule(all_disabled, moment) is None
    if chosen is not None:
        # switching the winner off hands the offer to the next best rule, never back to it
        without = [r.model_copy(update={"enabled": False}) if r is chosen else r for r in rules]
        assert matching_rule(without, moment) != chosen


@given(rule_lists(min_size=1), open_moments, st.randoms(use_true_random=False))
def test_with_distinct_priorities_the_order_of_the_list_does_not_matter(
    rules: list[EngagementRule], moment: Moment, random: Any
) -> None:
    distinct = [r.model_copy(update={"priority": n * 10}) for n, r in enumerate(rules)]
    shuffled = list(distinct)
    random.shuffle(shuffled)
    assert matching_rule(shuffled, moment) == matching_rule(distinct, moment)


@given(rule_lists(min_size=2), open_moments)
def test_among_equal_priorities_the_earlier_rule_wins(rules: list[EngagementRule], moment: Moment) -> None:
    same = [r.model_copy(update={"priority": 7, "enabled": True}) for r in rules]
    holding = [r for r in same if triggers_hold(r.triggers, moment)]
    assert matching_rule(same, moment) == (holding[0] if holding else None)


@given(rule_lists(), open_moments, st.integers(1, 4), st.data())
def test_a_lower_priority_rule_added_never_changes_a_match(
    rules: list[EngagementRule], moment: Moment, anchor_priority: int, data: st.DataObject
) -> None:
    # given rules of which one at least matches (a rule without triggers holds at open moments)
    anchor = EngagementRule(rule_id="anchor", name="Anchor", message="Hallo!", priority=anchor_priority)
    rules = [*rules, anchor]
    chosen = matching_rule(rules, moment)
    assert chosen is not None
    # when a rule that would match everyone is added below the winner's priority
    below = data.draw(st.integers(0, chosen.priority - 1))
    extra = EngagementRule(rule_id="catch-all", name="Everyone", message="Hallo!", priority=below)
    # then the winner stays, wherever the new rule is listed
    assert matching_rule([extra, *rules], moment) == chosen
    assert matching_rule([*rules, extra], moment) == chosen


def test_priority_then_list_order_decides() -> None:
    moment = Moment(stage="checkout", cart_value=400, idle_seconds=60, abandonment_risk=0.7)

    def rule(rule_id: str, priority: int, enabled: bool = True) -> EngagementRule:
        return EngagementRule(
            rule_id=rule_id, name=rule_id, message="Hulp?", priority=priority, enabled=enabled
        )

    assert matching_rule([rule("a", 1), rule("b", 5), rule("c", 5)], moment) == rule("b", 5)
    assert matching_rule([rule("c", 5), rule("b", 5)], moment) == rule("c", 5)
    assert matching_rule([rule("a", 1), rule("b", 5, enabled=False)], moment) == rule("a", 1)
    assert matching_rule([], moment) is None


# ---------------------------------------------------------------- URL patterns
url_parts = st.text(alphabet="abcdefghij-0123456789", min_size=1, max_size=12)


@given(url_parts, url_parts, st.sampled_from(["", "?utm=mail", "#reviews", "?a=1#b"]))
def test_a_prefix_glob_matches_every_path_below_it_whatever_the_query(
    section: str, rest: str, suffix: str
) -> None:
    hold = RuleTriggers(url_patterns=[f"/{section}/*"])
    assert triggers_hold(hold, Moment(stage="browsing", url=f"https://shop.example/{section}/{rest}{suffix}"))
    assert not triggers_hold(hold, Moment(stage="browsing", url=f"https://shop.example/{section}"))
    other = f"{section}x"
    assert not triggers_hold(hold, Moment(stage="browsing", url=f"https://shop.example/{other}/{rest}"))


@given(url_parts)
def test_an_exact_pattern_matches_only_its_path_and_case_matters(segment: str) -> None:
    hold = RuleTriggers(url_patterns=[f"/{segment}"])
    assert triggers_hold(hold, Moment(stage="cart", url=f"https://shop.example/{segment}?x=1"))
    assert not triggers_hold(hold, Moment(stage="cart", url=f"https://shop.example/{segment}/more"))
    if segment.upper() != segment:
        assert not triggers_hold(hold, Moment(stage="cart", url=f"https://shop.example/{segment.upper()}"))


@given(st.lists(st.sampled_from(PATTERNS), min_size=1, unique=True), open_moments)
def test_without_a_url_no_url_pattern_holds(patterns: list[str], moment: Moment) -> None:
    assert not triggers_hold(RuleTriggers(url_patterns=patterns), dataclasses.replace(moment, url=None))


def test_the_host_is_not_part_of_the_path() -> None:
    hold = RuleTriggers(url_patterns=["*checkout*"])
    assert not triggers_hold(hold, Moment(stage="checkout", url="https://checkout.shop.example/pay"))
    assert triggers_hold(hold, Moment(stage="checkout", url="https://shop.example/nl/checkout/2"))


# ---------------------------------------------------------------- the contract's reference case
def tracked_session(*events: dict[str, Any]) -> SessionState:
    store = InMemorySessionStore()
    body = batch(*events)
    envelope = BatchEnvelope.model_validate(body)
    parsed = [(i, TrackedEvent.model_validate(e)) for i, e in enumerate(body["events"])]
    Tracker(store, Limits()).track(Site(site_id="demo", name="Demo"), envelope, parsed, T0)
    state = store.get("demo", "anna", "s-1")
    assert state is not None
    return state


def moment_of(state: SessionState, idle_seconds: int) -> Moment:
    stats = features.SitePageStats()
    session = features.session_features(state, stats, timezone="Europe/Amsterdam", special_days=[])
    intent = model.score(session)
    return Moment(
        stage=str(state.stage),
        cart_value=state.cart_value,
        categories=features.session_categories(state),
        url=state.last_page_url,
        idle_seconds=idle_seconds,
        purchase_intent=intent,
        abandonment_risk=features.abandonment_risk(state, idle_seconds, intent),
    )


def test_the_default_rules_offer_anna_a_chat_at_checkout() -> None:
    # given Anna: b-39 viewed three times, in the cart, checkout step 2, idle for 30 seconds
    moment = moment_of(tracked_session(*anna_journey(T0 - timedelta(minutes=4))), idle_seconds=30)
    # then she is at checkout with 329.95 in the cart and a risk of about 0.6
    assert (moment.stage, moment.cart_value) == ("checkout", 329.95)
    assert 0.5 < moment.abandonment_risk < 0.7
    # and the default rule for hesitation at checkout offers her a chat
    chosen = matching_rule(EngagementConfig.webshop_default().rules, moment)
    assert chosen is not None
    assert chosen.rule_id == "checkout-hesitation"


def test_the_default_rules_leave_a_visitor_with_one_page_view_alone() -> None:
    moment = moment_of(tracked_session(event("page_view", at=T0 - timedelta(minutes=1))), idle_seconds=30)
    assert moment.stage == "browsing"
    assert matching_rule(EngagementConfig.webshop_default().rules, moment) is None
