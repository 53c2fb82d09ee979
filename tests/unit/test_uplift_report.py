"""The report names the offer policy: gain-ranked offers are counted from their decisions with
their estimated uplift, and the daily row and the page say which policy chose the offers."""

from __future__ import annotations

from klantreis.projections.day_counters import funnel_deltas
from klantreis.reports.daily import daily_row, period_total
from klantreis.reports.html import render_html
from tests.unit.test_funnel_counters import decision


def test_a_gain_offer_counts_with_its_estimated_uplift() -> None:
    gained = decision(
        "qualified", qualified=True, first_in_session=True, policy="gain", estimated_uplift=0.124,
        uplift_model="uplift-2026-12-04-abc", expected_gain=40.9, min_gain=10.0, policy_offer=True,
    )  # fmt: skip
    assert funnel_deltas(gained["SK"], None, gained) == {
        "decisions": 1, "qualified": 1, "offers": 1, "offered_sessions": 1,
        "gain_offers": 1, "gain_estimated_uplift": 0.124,
    }  # fmt: skip
    # a holdout or a declined decision of the gain policy is no gain offer
    held = decision("holdout", qualified=True, policy="gain", estimated_uplift=0.2, policy_offer=True)
    declined = decision("no_agent", qualified=True, policy="gain", estimated_uplift=0.01, policy_offer=False)
    assert "gain_offers" not in funnel_deltas(held["SK"], None, held)
    assert "gain_offers" not in funnel_deltas(declined["SK"], None, declined)


def test_the_row_names_the_policy_and_the_mean_estimated_uplift() -> None:
    assert daily_row("2026-12-04", {}).offer_policy is None
    assert daily_row("2026-12-04", {"offers": 3}).offer_policy == "rules"
    gain = daily_row("2026-12-04", {"offers": 4, "gain_offers": 4, "gain_estimated_uplift": 0.5})
    assert (gain.offer_policy, gain.gain_ranked_offers, gain.gain_mean_estimated_uplift) == ("gain", 4, 0.125)
    by_day: dict[str, dict[str, float]] = {
        "2026-12-03": {"offers": 2},
        "2026-12-04": {"offers": 4, "gain_offers": 4, "gain_estimated_uplift": 0.5},
    }
    total = period_total("2026-12-03", "2026-12-04", by_day)
    assert (total.offer_policy, total.gain_ranked_offers) == ("mixed", 4)
    page = render_html("demo", [], total, None, currency="EUR")
    assert "Offers partly by gain (4; estimated uplift +12.5 pp on average)" in page
