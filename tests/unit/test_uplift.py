"""Offers by expected gain: the T-learner on holdout outcomes, the policy's bar under the agents'
capacity (what a free offer is worth kept for the visitors expected; the load for models without
a rate), and the decision with a site's uplift model (switch per site, recorded fields, the
holdout drawn independently of the policy, too little data -> the rules)."""

from __future__ import annotations

import json
import math
import random
from datetime import date

import pytest

from klantreis.engagement.config import OpeningHours
from klantreis.engagement.decide import Decider, DecideRequest, in_holdout
from klantreis.engagement.model import default_model
from klantreis.engagement.settings import EngagementSettings
from klantreis.engagement.uplift import (
    FEATURE_SETS,
    GAIN_QUANTILES,
    INPUTS,
    MIN_SESSIONS_PER_ARM,
    RULES,
    Capacity,
    UpliftError,
    UpliftExample,
    UpliftInputs,
    UpliftModel,
    bar,
    capacity_window,
    choose,
    fit_uplift,
    keep_value,
    parse_uplift_model,
)
from tests.factories import anna_journey
from tests.unit.test_decide import OTHER, SITE, World, not_in_holdout, session

ANNA_CART = 329.95


def constant_model(
    uplift: float,
    *,
    bars: tuple[float, float] = (0.0, 100.0),
    offer_cost: float = 0.0,
    enough: bool = True,
    eligible_per_hour: float | None = None,
    acceptance: float | None = None,
) -> UpliftModel:
    """An uplift model whose uplift is the same for everyone (arms differ by their bias only),
    with the training population's gains rising evenly from bars[0] (0%) to bars[1] (100%)."""
    held = 0.4
    offered = held + uplift
    sessions = MIN_SESSIONS_PER_ARM if enough else MIN_SESSIONS_PER_ARM - 1
    low, high = bars
    return UpliftModel.model_validate(
        {
            "format": "klantreis.uplift",
            "version": 1,
            "model_version": f"uplift-test-{uplift}",
            "inputs": list(INPUTS),
            "means": [0.0] * len(INPUTS),
            "scales": [1.0] * len(INPUTS),
            "offered": {"bias": math.log(offered / (1 - offered)), "weights": [0.0] * len(INPUTS)},
            "holdout": {"bias": math.log(held / (1 - held)), "weights": [0.0] * len(INPUTS)},
            "offer_cost": offer_cost,
            "gain_quantiles": [low + (high - low) * k / (GAIN_QUANTILES - 1) for k in range(GAIN_QUANTILES)],
            "training": {
                "offered_sessions": sessions,
                "offered_conversions": 200,
                "holdout_sessions": sessions,
                "holdout_conversions": 100,
                "trained_on": "2026-12-01",
                "l2": 1.0,
            },
            "eligible_per_hour": eligible_per_hour,
            "acceptance": acceptance,
        }
    )


def loaded(load: float) -> Capacity:
    """The capacity as a model without the site's arrival rate sees it: the share of slots in use."""
    return Capacity(free_offers=0.0, expected_arrivals=None, load=load)


class Models:
    """UpliftSource: a model per site (None: the site has none)."""

    def __init__(self, **by_site: UpliftModel) -> None:
        self.by_site = {site.replace("_", "-"): model for site, model in by_site.items()}

    def for_site(self, site_id: str) -> UpliftModel | None:
        return self.by_site.get(site_id)


def world_with(models: Models) -> World:
    world = World()
    world.decider = Decider(
        world.records,
        EngagementSettings(world.settings, 0),
        default_model(),
        uplift=models,
        clock=lambda: world.now,
    )
    return world


def anna_with_cart(world: World, visitor_id: str, value: float, site_id: str = SITE.site_id) -> None:
    events = [{**e, "value": value} if "value" in e else e for e in anna_journey()]
    state = session(visitor_id, events)
    world.records.add_session(state.model_copy(update={"site_id": site_id}))


# ---------------------------------------------------------------------------------- learning
def synthetic(count: int, seed: int = 7) -> list[UpliftExample]:
    """Visitors at checkout: hesitant ones (high risk, middling intent) are moved by a chat, sure
    buyers (high intent, low risk) buy either way; offered or not at random."""
    draw = random.Random(seed)
    found = []
    for _ in range(count):
        hesitant = draw.random() < 0.5
        intent = draw.uniform(0.3, 0.5) if hesitant else draw.uniform(0.7, 0.95)
        risk = draw.uniform(0.6, 0.9) if hesitant else draw.uniform(0.1, 0.3)
        offered = draw.random() < 0.5
        chance = (0.45 if offered else 0.12) if hesitant else 0.8
        inputs = UpliftInputs(intent, risk, draw.uniform(50, 400), "checkout", draw.randint(10, 120))
        found.append(UpliftExample(inputs, offered, draw.random() < chance))
    return found


def test_the_t_learner_finds_who_a_chat_moves() -> None:
    # given randomised holdout outcomes where only hesitant visitors are moved by a chat
    model = fit_uplift(synthetic(8000), trained_on=date(2026, 12, 4))
    # then the estimated uplift is about +0.33 for the hesitant and about 0 for sure buyers
    hesitant = model.uplift(UpliftInputs(0.4, 0.75, 200.0, "checkout", 60))
    sure = model.uplift(UpliftInputs(0.85, 0.2, 200.0, "checkout", 60))
    assert 0.25 <= hesitant <= 0.42
    assert abs(sure) <= 0.08
    assert model.model_version.startswith("uplift-2026-12-04-")
    assert model.training.enough
    # and the model survives its JSON form unchanged
    assert parse_uplift_model(model.model_dump_json()) == model


def test_the_inputs_are_chosen_by_cross_validation_on_the_sites_own_holdout() -> None:
    # given outcomes where only intent and idle time tell who a chat moves (a curve in intent)
    draw = random.Random(11)
    examples = []
    for _ in range(6000):
        intent, idle = draw.random(), draw.randint(0, 400)
        moved = 0.5 * math.exp(-(((intent - 0.4) / 0.15) ** 2)) * min(idle / 200, 1.0)
        offered = draw.random() < 0.7
        inputs = UpliftInputs(intent, draw.uniform(0.3, 0.9), draw.uniform(50, 400), "cart", idle)
        examples.append(UpliftExample(inputs, offered, draw.random() < 0.1 + 0.4 * intent + offered * moved))
    model = fit_uplift(examples, require_enough=False)
    # then both candidates were scored on held-out folds and the better one was kept
    losses = model.training.cv_log_loss
    assert set(losses) == set(FEATURE_SETS)
    assert model.training.feature_set == min(losses, key=lambda name: losses[name])
    assert model.inputs == list(FEATURE_SETS[model.training.feature_set])
    # a set can also be named, and an unknown one is refused
    named = fit_uplift(examples, require_enough=False, feature_set="shape")
    assert (named.inputs, named.training.cv_log_loss) == (list(FEATURE_SETS["shape"]), {})
    assert named.uplift(UpliftInputs(0.4, 0.5, 100.0, "cart", 300)) > named.uplift(
        UpliftInputs(0.9, 0.5, 100.0, "cart", 300)
    )
    with pytest.raises(UpliftError, match="feature_set"):
        fit_uplift(examples, require_enough=False, feature_set="everything")
    # and the model names its inputs: it reads back the same, and a model of unknown inputs is refused
    assert parse_uplift_model(named.model_dump_json()) == named
    with pytest.raises(UpliftError):
        parse_uplift_model(named.model_copy(update={"inputs": ["seconds_on_site"] * 6}).model_dump_json())


def test_too_few_holdout_outcomes_learn_nothing() -> None:
    few = synthetic(MIN_SESSIONS_PER_ARM)  # about half of these per arm
    with pytest.raises(UpliftError, match="not enough holdout outcomes"):
        fit_uplift(few)
    with pytest.raises(UpliftError, match="both arms"):
        fit_uplift([e for e in synthetic(200) if e.offered], require_enough=False)


def test_a_model_without_enough_outcomes_leaves_the_decision_to_the_rules() -> None:
    thin = constant_model(0.3, enough=False)
    assert not thin.training.enough
    assert choose(thin, UpliftInputs(0.4, 0.7, 300.0, "checkout", 30), loaded(0.0)) == RULES
    assert choose(None, UpliftInputs(0.4, 0.7, 300.0, "checkout", 30), loaded(0.0)) == RULES


def test_the_gain_bar_rises_with_the_agents_load() -> None:
    model = constant_model(0.1, bars=(0.0, 100.0))  # gain = 0.1 x cart
    cheap, dear = UpliftInputs(0.4, 0.7, 300.0, "checkout", 30), UpliftInputs(0.4, 0.7, 900.0, "checkout", 30)
    # with free agents both are offered; with most slots taken only the larger gain
    assert choose(model, cheap, loaded(0.0)).offer
    assert choose(model, dear, loaded(0.0)).offer
    busy = choose(model, cheap, loaded(0.8))
    assert (busy.offer, busy.expected_gain, busy.min_gain) == (False, 30.0, 80.0)
    assert choose(model, dear, loaded(0.8)).offer
    # and a chat that is expected to gain nothing is never offered, however idle the agents
    assert not choose(constant_model(0.0), dear, loaded(0.0)).offer
    assert not choose(constant_model(0.05, offer_cost=50.0), dear, loaded(0.0)).offer


def test_the_online_bar_keeps_offers_for_better_visitors_only_while_they_are_likely_to_come() -> None:
    # given a site of 60 eligible visitors an hour whose offers are accepted half the time, and
    # training gains spread evenly over 0..100
    model = constant_model(0.1, bars=(0.0, 100.0), eligible_per_hour=60.0, acceptance=0.5)
    # when 4 slots serve chats of 10 minutes on average and 2 of them are busy: a slot frees in
    # about 5 minutes, 5 eligible visitors are expected by then, and the 2 free slots take 4 offers
    window = capacity_window(model, slots=4, busy=2, mean_handle_seconds=600.0)
    assert window == Capacity(free_offers=4.0, expected_arrivals=5.0, load=0.5)
    # then the bar is what the 4th offer would earn if kept for those 5 visitors
    assert bar(model, window) == pytest.approx(30.4, abs=0.5)
    # one slot free (2 offers for 5): higher; every slot busy: only the best gain ever seen
    assert bar(model, capacity_window(model, slots=4, busy=3, mean_handle_seconds=900.0)) == pytest.approx(
        55.9, abs=0.5
    )
    assert bar(model, capacity_window(model, slots=4, busy=4, mean_handle_seconds=600.0)) == 100.0
    # idle agents and few visitors to come: about every positive gain is offered (no slot left unused)
    idle = capacity_window(model, slots=4, busy=0, mean_handle_seconds=120.0)
    assert (idle.free_offers, idle.expected_arrivals) == (8.0, 2.0)
    assert bar(model, idle) < 0.1
    cheap = UpliftInputs(0.4, 0.7, 20.0, "checkout", 30)  # gain 2
    assert choose(model, cheap, idle).offer
    assert not choose(model, cheap, window).offer
    # no agents at all: nothing is offered, and a chat expected to change nothing never is
    assert bar(model, capacity_window(model, slots=0, busy=0, mean_handle_seconds=600.0)) == 100.0
    assert not choose(constant_model(0.0, eligible_per_hour=60.0), cheap, idle).offer


def test_the_kept_value_of_one_offer_is_the_known_solution() -> None:
    # one offer, gains uniform on 0..100, Poisson(n) visitors to come: V(n) = 100 - 200 / (2 + n)
    gains = [float(k) for k in range(101)]
    for expected in (0.5, 5.0, 50.0):
        assert keep_value(gains, 1, expected) == pytest.approx(100 - 200 / (2 + expected), abs=1.0)
    # more free offers, or fewer visitors to come, lower the bar
    assert keep_value(gains, 4, 5.0) < keep_value(gains, 2, 5.0) < keep_value(gains, 1, 5.0)
    assert keep_value(gains, 1, 0.5) < keep_value(gains, 1, 5.0)
    # negative gains are never offered, so they weigh nothing
    assert keep_value([-50.0, *gains[1:]], 1, 5.0) == pytest.approx(keep_value(gains, 1, 5.0))


def test_without_a_rate_the_bar_follows_the_load() -> None:
    # a model trained before the rate was recorded: the bar of the share of slots in use
    model = constant_model(0.1, bars=(0.0, 100.0))
    window = capacity_window(model, slots=4, busy=3, mean_handle_seconds=600.0)
    assert window == Capacity(free_offers=1.0, expected_arrivals=None, load=0.75)
    assert bar(model, window) == pytest.approx(75.0)
    # and a model stored with the old 21 quantiles reads alike
    old = constant_model(0.1).model_dump(mode="json")
    old["gain_quantiles"] = [5.0 * k for k in range(21)]
    assert parse_uplift_model(json.dumps(old)).gain_quantile(0.75) == pytest.approx(75.0)


def test_malformed_models_are_refused() -> None:
    good = constant_model(0.1).model_dump(mode="json")
    for change in ({"inputs": ["x"] * len(INPUTS)}, {"scales": [0.0] * len(INPUTS)},
                   {"gain_quantiles": [1.0, 0.0] + [2.0] * (GAIN_QUANTILES - 2)}):  # fmt: skip
        with pytest.raises(UpliftError):
            parse_uplift_model(json.dumps({**good, **change}))


# ---------------------------------------------------------------------------------- deciding
def test_the_switch_is_per_site_and_recorded_in_each_decision() -> None:
    # given an uplift model for the demo site only
    world = world_with(Models(demo=constant_model(0.12)))
    anna = not_in_holdout("anna")
    olga = next(f"olga-{n}" for n in range(100) if not in_holdout(OTHER.site_id, f"olga-{n}", 0.10))
    world.anna(anna)
    anna_with_cart(world, olga, ANNA_CART, site_id=OTHER.site_id)
    world.settings.put_hours(OTHER.site_id, OpeningHours.always_open())
    for agent in list(world.records.agents[SITE.site_id].values()):
        world.records.put_agent(agent.model_copy(update={"site_id": OTHER.site_id}))
    # when both sites decide on the same journey
    demo = world.decider.decide(SITE, _ask(anna))
    elsewhere = world.decider.decide(OTHER, _ask(olga))
    # then both are offered, the demo site by expected gain and the other by its rules
    assert (demo.offer, elsewhere.offer) == (True, True)
    by_site = {d.site_id: d for d in world.records.decisions}
    gained, ruled = by_site[SITE.site_id], by_site[OTHER.site_id]
    assert (gained.policy, gained.uplift_model, gained.policy_offer) == ("gain", "uplift-test-0.12", True)
    assert gained.estimated_uplift == pytest.approx(0.12, abs=1e-4)
    assert gained.expected_gain == pytest.approx(0.12 * ANNA_CART, abs=0.01)
    assert gained.min_gain == 0.0
    assert (gained.cart_value, gained.stage, gained.idle_seconds) == (ANNA_CART, "checkout", 30)
    assert ruled.policy == "rules"
    assert (ruled.uplift_model, ruled.estimated_uplift, ruled.expected_gain, ruled.policy_offer) == (
        None, None, None, None,
    )  # fmt: skip
    assert ruled.cart_value == ANNA_CART


def _ask(visitor_id: str) -> DecideRequest:
    return DecideRequest(visitor_id=visitor_id, session_id="s-1", idle_seconds=30)


def test_a_site_without_enough_outcomes_decides_by_its_rules() -> None:
    world = world_with(Models(demo=constant_model(-0.3, enough=False)))
    anna = not_in_holdout("anna")
    world.anna(anna)
    answer = world.ask(anna)
    assert (answer.offer, answer.reason) == (True, "qualified")
    assert world.records.decisions[0].policy == "rules"


def test_no_gain_is_not_qualified_and_a_small_gain_waits_for_free_agents() -> None:
    world = world_with(Models(demo=constant_model(0.1, bars=(0.0, 60.0))))  # Anna's gain: 33
    anna, bea, cor = (not_in_holdout(name) for name in ("anna", "bea", "cor"))
    anna_with_cart(world, anna, ANNA_CART)
    anna_with_cart(world, bea, 900.0)
    # when two of the category agent's three slots are taken (bar 40)
    world.agents(max_chats=3, active_chats=2)
    assert world.ask(anna).reason == "no_agent"
    assert world.ask(bea).reason == "qualified"  # gain 90: offered where it earns most
    declined = world.records.decisions[0]
    assert (declined.policy, declined.policy_offer, declined.min_gain) == ("gain", False, 40.0)
    assert declined.qualified
    assert not declined.would_have_offered
    assert declined.offer_id is None
    # and with free agents Anna's offer goes ahead
    world.agents(active_chats=0)
    assert world.ask(anna).reason == "qualified"
    # and a chat expected to change nothing is not qualified, however idle the agents
    idle = world_with(Models(demo=constant_model(0.0)))
    anna_with_cart(idle, cor, ANNA_CART)
    assert idle.ask(cor).reason == "not_qualified"
    assert idle.records.decisions[0].expected_gain == 0.0


@pytest.mark.parametrize("uplift", [-0.3, 0.0, 0.5])
def test_the_holdout_is_the_same_whatever_the_policy(uplift: float) -> None:
    # given the same 120 rule-eligible visitors decided by rules, and by a model that offers to
    # all of them (uplift 0.5), to none (0.0), or finds every chat harmful (-0.3)
    visitors = [f"v-{n}" for n in range(120)]

    def held_out(world: World) -> list[str]:
        for visitor in visitors:
            world.anna(visitor)
            world.ask(visitor)
        return [d.visitor_id for d in world.records.decisions if d.reason == "holdout"]

    by_rules = held_out(World())
    gain_world = world_with(Models(demo=constant_model(uplift)))
    by_gain = held_out(gain_world)
    # then the holdout holds exactly the same visitors, none of them offered
    assert by_gain == by_rules
    assert by_gain == [v for v in visitors if in_holdout(SITE.site_id, v, 0.10)]
    assert len(by_gain) >= 5
    # each holdout decision still says what the policy would have done (like-with-like analysis)
    held = [d for d in gain_world.records.decisions if d.reason == "holdout"]
    assert {(d.policy, d.policy_offer) for d in held} == {("gain", uplift > 0)}
