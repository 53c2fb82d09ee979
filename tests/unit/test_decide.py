"""The proactive-chat decision with fakes: the gates in the contract's order, each reason, the
holdout, the frequency caps, what is recorded, and offer responses."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from klantreis.agents.ports import AgentProfile
from klantreis.engagement.config import EngagementConfig, FrequencyCaps, OpeningHours
from klantreis.engagement.decide import Decider, DecideRequest, in_holdout, weighing_features
from klantreis.engagement.features import SitePageStats, session_features
from klantreis.engagement.model import default_model
from klantreis.engagement.settings import EngagementSettings
from klantreis.errors import ConcurrentUpdate, Conflict, NotFound, Throttled
from klantreis.journey.events import TrackedEvent
from klantreis.journey.session import SessionFold, SessionState
from klantreis.routing.stats import RoutingStats
from klantreis.sites import Site
from klantreis.useragent import ClientInfo
from tests.factories import T0, anna_journey, event
from tests.fakes import InMemoryEngagementRecords, InMemoryEngagementSettingsStore

SITE = Site(site_id="demo", name="Demo", timezone="Europe/Amsterdam")
OTHER = Site(site_id="other-shop", name="Other")
NOW = T0 + timedelta(minutes=4)  # a Sunday evening in Amsterdam


def session(visitor_id: str, events: list[dict[str, Any]], session_id: str = "s-1") -> SessionState:
    state = SessionState(
        site_id=SITE.site_id, visitor_id=visitor_id, session_id=session_id, first_at=T0, last_at=T0
    )
    SessionFold(state, SITE).apply_all([(i, TrackedEvent.model_validate(e)) for i, e in enumerate(events)])
    return state


def not_in_holdout(prefix: str, share: float = 0.10) -> str:
    return next(f"{prefix}-{n}" for n in range(100) if not in_holdout(SITE.site_id, f"{prefix}-{n}", share))


def in_the_holdout(prefix: str, share: float = 0.10) -> str:
    return next(f"{prefix}-{n}" for n in range(1000) if in_holdout(SITE.site_id, f"{prefix}-{n}", share))


class World:
    """A decider on fakes, with the demo site's agents and open hours, at a settable clock."""

    def __init__(self) -> None:
        self.records = InMemoryEngagementRecords()
        self.settings = InMemoryEngagementSettingsStore()
        self.settings.put_hours(SITE.site_id, OpeningHours.always_open())
        self.now = NOW
        for agent_id, categories in (("mirjam", ["dameslaarzen"]), ("sven", ["sneakers"])):
            self.records.put_agent(
                AgentProfile(
                    site_id=SITE.site_id, agent_id=agent_id, display_name=agent_id, categories=categories,
                    # The consoles stay connected however far a test moves the clock.
                    status="available", last_seen_at=NOW + timedelta(days=30),
                )
            )  # fmt: skip
        self.decider = Decider(
            self.records, EngagementSettings(self.settings, 0), default_model(), clock=lambda: self.now
        )

    def anna(self, visitor_id: str, session_id: str = "s-1") -> None:
        self.records.add_session(session(visitor_id, anna_journey(), session_id))

    def ask(self, visitor_id: str, session_id: str = "s-1", **fields: Any) -> Any:
        fields.setdefault("idle_seconds", 30)
        return self.decider.decide(
            SITE, DecideRequest(visitor_id=visitor_id, session_id=session_id, **fields)
        )

    def agents(self, **changes: Any) -> None:
        for agent in list(self.records.agents[SITE.site_id].values()):
            self.records.put_agent(agent.model_copy(update=changes))


@pytest.fixture
def world() -> World:
    return World()


def test_anna_is_offered_a_chat_and_the_decision_is_recorded(world: World) -> None:
    # given Anna (not in the holdout) at checkout with 329.95 in her cart
    anna = not_in_holdout("anna")
    world.anna(anna)
    # when the widget asks after 30 idle seconds
    answer = world.ask(anna)
    # then she is offered a chat by the checkout rule, routed to her boots' category
    assert (answer.offer, answer.reason, answer.action) == (True, "qualified", "chat")
    assert answer.offer_id
    assert len(answer.offer_id) == 32
    assert answer.message
    assert 0.0 <= answer.score <= 1.0
    (decision,) = world.records.decisions
    assert decision.rule_id == "checkout-hesitation"
    assert decision.would_have_offered
    assert decision.qualified
    assert decision.first_in_session
    assert decision.abandonment_risk is not None
    assert decision.abandonment_risk >= 0.4
    assert decision.score == answer.score
    assert 1 <= len(decision.top_features) <= 3
    offer = world.records.offers[(SITE.site_id, answer.offer_id)]
    assert (offer.category, offer.rule_id, offer.visitor_id) == ("dameslaarzen", "checkout-hesitation", anna)


def test_a_browsing_visitor_and_an_unknown_session_are_not_qualified(world: World) -> None:
    world.records.add_session(session("bram", [event("page_view", url="https://shop.example/")]))
    assert world.ask("bram").reason == "not_qualified"
    assert world.ask("nobody", "s-9").reason == "not_qualified"
    assert [d.reason for d in world.records.decisions] == ["not_qualified", "not_qualified"]
    assert not world.records.offers


def test_consent_comes_first_then_bots(world: World) -> None:
    anna = not_in_holdout("anna")
    world.anna(anna)
    assert world.ask(anna, consent=False, bot_client=True).reason == "no_consent"
    assert world.ask(anna, bot_client=True).reason == "bot"
    # without consent nothing of the session is read or weighed
    assert world.records.snapshots == 0
    assert world.records.decisions[0].score is None
    assert not world.records.decisions[0].top_features


def test_a_session_tracked_from_a_bot_is_not_offered(world: World) -> None:
    state = session("crawler", anna_journey())
    state.client = ClientInfo(browser="other", bot=True)
    world.records.add_session(state)
    assert world.ask("crawler").reason == "bot"


def test_gates_in_order_hours_then_agents_then_caps(world: World) -> None:
    anna = not_in_holdout("anna")
    world.anna(anna)
    world.settings.put_config(
        SITE.site_id,
        EngagementConfig.webshop_default().model_copy(update={"caps": FrequencyCaps(per_session=0)}),
    )
    world.agents(status="offline")
    world.settings.put_hours(SITE.site_id, OpeningHours(weekly={}))
    assert world.ask(anna).reason == "outside_hours"
    world.settings.put_hours(SITE.site_id, OpeningHours.always_open())
    assert world.ask(anna).reason == "no_agent"
    world.agents(status="available")
    assert world.ask(anna).reason == "capped"
    # every blocked decision still names the rule that qualified the visitor
    assert {d.rule_id for d in world.records.decisions} == {"checkout-hesitation"}
    assert all(d.qualified and not d.would_have_offered for d in world.records.decisions)


def test_outside_the_weekly_hours_and_on_a_closed_exception_day(world: World) -> None:
    anna = not_in_holdout("anna")
    world.anna(anna)
    # NOW is Sunday 20:04 in Amsterdam: the web-shop default closes weekends at 17:00
    world.settings.put_hours(SITE.site_id, OpeningHours.webshop_default())
    assert world.ask(anna).reason == "outside_hours"
    local_day = NOW.astimezone(SITE.zone).date()
    world.settings.put_hours(
        SITE.site_id, OpeningHours.always_open().model_copy(update={"exceptions": {local_day: []}})
    )
    assert world.ask(anna).reason == "outside_hours"


@pytest.mark.parametrize(
    "changes",
    [{"status": "offline"}, {"status": "away"}, {"active_chats": 2}, {"categories": ["sneakers"]}],
    ids=["offline", "away", "full", "other-category"],
)
def test_no_agent_for_the_category_with_free_capacity(world: World, changes: dict[str, Any]) -> None:
    anna = not_in_holdout("anna")
    world.anna(anna)
    world.agents(**changes)
    assert world.ask(anna).reason == "no_agent"


def test_a_rule_category_routes_to_its_agents(world: World) -> None:
    anna = not_in_holdout("anna")
    world.anna(anna)
    rules = EngagementConfig.webshop_default()
    rules = rules.model_copy(
        update={"rules": [r.model_copy(update={"category": "sneakers"}) for r in rules.rules]}
    )
    world.settings.put_config(SITE.site_id, rules)
    world.records.put_agent(
        world.records.agents[SITE.site_id]["sven"].model_copy(update={"status": "offline"})
    )
    assert world.ask(anna).reason == "no_agent"


def test_reject_then_ask_again_is_capped_until_the_cooldown_ends(world: World) -> None:
    anna = not_in_holdout("anna")
    world.anna(anna, "s-1")
    world.anna(anna, "s-2")
    offered = world.ask(anna, "s-1")
    world.decider.respond(SITE, offered.offer_id, "rejected")
    # a new session the same day: the cooldown after a reject holds across sessions
    assert world.ask(anna, "s-2").reason == "capped"
    world.now = NOW + timedelta(days=1, minutes=1)
    assert world.ask(anna, "s-2").reason == "qualified"


def test_one_offer_per_session_and_a_daily_maximum(world: World) -> None:
    anna = not_in_holdout("anna")
    for session_id in ("s-1", "s-2", "s-3"):
        world.anna(anna, session_id)
    assert world.ask(anna, "s-1").reason == "qualified"
    assert world.ask(anna, "s-1").reason == "capped"  # per session: 1
    assert world.ask(anna, "s-2").reason == "qualified"
    assert world.ask(anna, "s-3").reason == "capped"  # per day: 2
    world.now = NOW + timedelta(days=1)
    assert world.ask(anna, "s-3").reason == "qualified"
    assert [d.first_in_session for d in world.records.decisions if d.reason == "qualified"] == [
        True,
        True,
        True,
    ]


def test_holdout_is_deterministic_and_about_ten_percent() -> None:
    visitors = [f"v-{n}" for n in range(2_000)]
    held = [v for v in visitors if in_holdout("demo", v, 0.10)]
    assert 0.08 <= len(held) / len(visitors) <= 0.12
    assert held == [v for v in visitors if in_holdout("demo", v, 0.10)]
    assert not any(in_holdout("demo", v, 0.0) for v in visitors)
    # the share is per site: another site's holdout is another set of visitors
    assert held != [v for v in visitors if in_holdout("other-shop", v, 0.10)]


def test_no_holdout_visitor_is_ever_offered(world: World) -> None:
    # given 2,000 visitors like Anna and agents who never run out of capacity
    world.agents(max_chats=20)
    visitors = [f"v-{n}" for n in range(2_000)]
    for visitor in visitors:
        world.anna(visitor)
    # when each asks
    answers = {visitor: world.ask(visitor) for visitor in visitors}
    # then 10% +- 2% are held out, recorded as "would have offered", and none of them is offered
    held = {v for v, a in answers.items() if a.reason == "holdout"}
    assert 0.08 <= len(held) / len(visitors) <= 0.12
    assert held == {v for v in visitors if in_holdout(SITE.site_id, v, 0.10)}
    assert not any(answers[v].offer or answers[v].offer_id for v in held)
    assert all(answers[v].reason == "qualified" for v in set(visitors) - held)
    holdout_decisions = [d for d in world.records.decisions if d.reason == "holdout"]
    assert all(d.would_have_offered and d.offer_id is None for d in holdout_decisions)
    assert {o.visitor_id for o in world.records.offers.values()}.isdisjoint(held)


def test_a_holdout_visitor_is_capped_like_an_offered_one(world: World) -> None:
    held = in_the_holdout("anna")
    world.anna(held)
    assert world.ask(held).reason == "holdout"
    assert world.ask(held).reason == "capped"


def test_offer_responses(world: World) -> None:
    anna = not_in_holdout("anna")
    world.anna(anna)
    offer_id = world.ask(anna).offer_id
    with pytest.raises(NotFound):
        world.decider.respond(SITE, "0" * 32, "accepted")
    with pytest.raises(NotFound):
        world.decider.respond(OTHER, offer_id, "accepted")
    assert world.decider.respond(SITE, offer_id, "accepted").response == "accepted"
    assert world.decider.respond(SITE, offer_id, "accepted").response == "accepted"  # idempotent
    with pytest.raises(Conflict):
        world.decider.respond(SITE, offer_id, "rejected")
    # an accepted offer starts no cooldown
    assert world.records.states[(SITE.site_id, anna)].rejected_at is None


def test_a_lost_race_on_the_state_is_decided_again(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    anna = not_in_holdout("anna")
    world.anna(anna)
    record = world.records.record
    calls: list[bool] = []

    def racing(*args: Any) -> None:
        calls.append(True)
        if len(calls) == 1:
            raise ConcurrentUpdate("another decision won")
        record(*args)

    monkeypatch.setattr(world.records, "record", racing)
    assert world.ask(anna).reason == "qualified"
    assert len(calls) == 2

    def always_racing(*args: Any) -> None:
        raise ConcurrentUpdate("another decision won")

    monkeypatch.setattr(world.records, "record", always_racing)
    world.anna(anna, "s-2")
    with pytest.raises(Throttled):
        world.ask(anna, "s-2")


def test_the_features_that_weighed_most() -> None:
    state = session("anna", anna_journey())
    features = session_features(state, SitePageStats(), timezone="UTC", special_days=[])
    top = weighing_features(default_model(), features)
    assert 1 <= len(top) <= 3
    assert [abs(f.effect) for f in top] == sorted((abs(f.effect) for f in top), reverse=True)
    assert all(f.feature in default_model().features for f in top)


def test_busy_agents_still_qualify_when_the_expected_wait_is_within_the_rules_limit(world: World) -> None:
    # given Anna, and mirjam (the only dameslaarzen agent) busy with her two chats; chats end after
    # 100 s on average and one dameslaarzen chat is waiting already
    anna = not_in_holdout("anna")
    world.anna(anna)
    world.agents(active_chats=2, max_chats=2)
    world.records.routing[SITE.site_id] = RoutingStats(
        queued={"dameslaarzen": 1}, ended=10, handle_seconds=1_000
    )
    # when she asks, with the default rules' 60 s limit: position 2 x 100 s / 2 slots = 100 s
    assert world.ask(anna).reason == "no_agent"
    # then a rule that accepts a longer wait offers the chat (she will be queued)
    rules = EngagementConfig.webshop_default()
    rules = rules.model_copy(
        update={"rules": [r.model_copy(update={"max_expected_wait_seconds": 120}) for r in rules.rules]}
    )
    world.settings.put_config(SITE.site_id, rules)
    assert world.ask(anna).reason == "qualified"


def test_no_agent_when_nobody_present_serves_the_category_even_with_an_empty_queue(world: World) -> None:
    anna = not_in_holdout("anna")
    world.anna(anna)
    world.agents(last_seen_at=NOW - timedelta(minutes=10))  # consoles silent: counted offline
    assert world.ask(anna).reason == "no_agent"
