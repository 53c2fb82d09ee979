"""The site's calendar of special days, and a site's own model, as decide uses them."""

from __future__ import annotations

from datetime import date, timedelta

from klantreis.engagement.config import EngagementConfig, default_special_days
from klantreis.engagement.decide import Decider
from klantreis.engagement.features import special_day_closeness
from klantreis.engagement.model import default_model, parse_model
from klantreis.engagement.settings import EngagementSettings
from klantreis.engagement.site_models import SiteModels
from tests.factories import constant_model
from tests.fakes import InMemorySiteModelStore
from tests.unit.test_decide import SITE, World, not_in_holdout


def test_the_dutch_retail_calendar() -> None:
    assert default_special_days(2026) == [
        date(2026, 2, 14),
        date(2026, 5, 10),  # Moederdag, 2nd Sunday of May
        date(2026, 6, 21),  # Vaderdag, 3rd Sunday of June
        date(2026, 11, 27),  # Black Friday
        date(2026, 12, 5),
        date(2026, 12, 25),
    ]


def test_closeness_peaks_a_week_before_like_the_uci_data() -> None:
    valentine = date(2027, 2, 14)
    closeness = [special_day_closeness(valentine - timedelta(days=ahead), [valentine]) for ahead in range(15)]
    assert closeness[7] == 1.0
    assert closeness[0] == closeness[1] == closeness[13] == 0.0
    assert all(value in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0) for value in closeness)


def test_a_site_calendar_replaces_the_default_and_december_looks_into_january() -> None:
    own = EngagementConfig(special_days=[date(2026, 4, 27)])
    assert own.special_days_near(date(2026, 4, 20)) == [date(2026, 4, 27)]
    near_new_year = EngagementConfig().special_days_near(date(2026, 12, 30))
    assert date(2027, 2, 14) in near_new_year


def test_decide_scores_with_the_sites_own_model() -> None:
    # given a site whose own model scores every session 0.95
    world = World()
    own = parse_model(constant_model(3.0))
    world.decider = Decider(
        world.records,
        EngagementSettings(world.settings, 0),
        default_model(),
        models=SiteModels(InMemorySiteModelStore({SITE.site_id: own}), default_model()),
        clock=lambda: world.now,
    )
    anna = not_in_holdout("anna")
    world.anna(anna)
    # when Anna's moment is decided
    answer = world.ask(anna)
    # then her purchase intent is that model's score
    assert answer.score == 0.9526  # logistic(3.0)
