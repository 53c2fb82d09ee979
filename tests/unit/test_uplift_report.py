"""The report names the offer policy: gain-ranked offers are counted from their decisions with
their estimated uplift, and the daily row and the page say which policy chose the offers."""

from __future__ import annotations

import pytest

from klantreis.projections.day_counters import funnel_deltas
from klantreis.reports.daily import csv_columns, daily_row, period_total, rows_csv
from klantreis.reports.html import render_html
from tests.unit.test_funnel_counters import decision


def test_a_gain_offer_counts_with_its_estimated_uplift() -> None:
    gained = decision(
        "qualified", qualified=True, first_in_session=True, policy="gain", estimated_uplift=0.124,
        uplift_model="uplift-2026-12-04-abc", expected_gain=40.9, min_gain=10.0, policy_offer=True,
    )  # fmt: skip
    assert funnel_deltas(gained["SK"], None, gained) == {
        "decisions": 1, "qualified": 1, "offers": 1, "offered_sessions": 1,
        "gain_offers": 1, "gain_estimated_uplift": 0.124, "gain_offered_sessions": 1,
    }  # fmt: skip
    # a holdout or a declined decision of the gain policy is no gain offer
    held = decision("holdout", qualified=True, policy="gain", estimated_uplift=0.2, policy_offer=True)
    declined = decision("no_agent", qualified=True, policy="gain", estimated_uplift=0.01, policy_offer=False)
    assert "gain_offers" not in funnel_deltas(held["SK"], None, held)
    assert "gain_offers" not in funnel_deltas(declined["SK"], None, declined)


def test_the_gain_policys_sessions_are_counted_like_with_like() -> None:
    # a session's first gain offer, and a first holdout the gain policy would have offered to
    offered = decision("qualified", qualified=True, first_in_session=True, policy="gain", policy_offer=True)
    held = decision("holdout", qualified=True, first_in_session=True, policy="gain", policy_offer=True)
    assert funnel_deltas(offered["SK"], None, offered)["gain_offered_sessions"] == 1
    assert funnel_deltas(held["SK"], None, held)["gain_holdout_sessions"] == 1
    # a holdout it would not have offered to, a later decision of the session, or the rules' holdout
    # are not compared with the gain policy's offers
    for other in (
        decision("holdout", qualified=True, first_in_session=True, policy="gain", policy_offer=False),
        decision("holdout", qualified=True, first_in_session=False, policy="gain", policy_offer=True),
        decision("holdout", qualified=True, first_in_session=True, policy="rules"),
        decision("qualified", qualified=True, first_in_session=False, policy="gain", policy_offer=True),
    ):
        change = funnel_deltas(other["SK"], None, other)
        assert "gain_holdout_sessions" not in change
        assert "gain_offered_sessions" not in change


def test_the_row_compares_gain_offers_with_the_holdout_it_would_have_offered_to() -> None:
    # given a day on which the gain policy offered 400 sessions (80 bought) and 300 holdout
    # sessions it would have offered to (30 bought), among 500 holdout sessions in all (40 bought)
    counters = {
        "offers": 400, "offered_sessions": 400, "offered_converted_sessions": 80, "gain_offers": 400,
        "holdout_sessions": 500, "holdout_converted_sessions": 40,
        "gain_offered_sessions": 400, "gain_offered_converted_sessions": 80,
        "gain_holdout_sessions": 300, "gain_holdout_converted_sessions": 30,
    }  # fmt: skip
    row = daily_row("2026-12-04", counters)
    # then the like-with-like uplift is 20% - 10%, beside the day's own 20% - 8%
    like = row.gain_uplift_interval
    assert (like.offered_sessions, like.offered_conversions) == (400, 80)
    assert (like.holdout_sessions, like.holdout_conversions) == (300, 30)
    assert row.gain_uplift == like.estimate == pytest.approx(0.10)
    assert like.low is not None
    assert like.high is not None
    assert like.low < 0.10 < like.high
    assert like.significant
    assert row.uplift == pytest.approx(0.12)
    # and a row without gain offers has none
    assert daily_row("2026-12-04", {"offers": 3}).gain_uplift is None
    # the CSV has its columns, the page says it
    columns = csv_columns([row])
    at = columns.index("gain_uplift")
    assert columns[at : at + 7] == [
        "gain_uplift", "gain_uplift_low", "gain_uplift_high", "gain_uplift_significant",
        "gain_uplift_sessions_still_needed_per_group", "gain_offered_conversions", "gain_holdout_conversions",
    ]  # fmt: skip
    flat = dict(zip(columns, rows_csv([row]).splitlines()[1].split(","), strict=True))
    assert (flat["gain_offered_sessions"], flat["gain_holdout_conversions"], flat["gain_uplift"]) == (
        "400", "30", "0.1",
    )  # fmt: skip
    page = render_html("demo", [], row, None, currency="EUR")
    assert "Like with like: gain offers converted 20.0%, the holdout it would have offered to 10.0%" in page


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
