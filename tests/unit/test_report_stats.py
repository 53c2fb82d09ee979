"""The report statistics against published values and independent computations."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest

from klantreis.reports import stats
from klantreis.reports.names import WAIT_BUCKET_EDGES


# ------------------------------------------------------------------------------------- Wilson
@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        # Newcombe RG (1998), "Two-sided confidence intervals for the single proportion:
        # comparison of seven methods", Stat Med 17:857-872, Table I, method 3 (score, no CC).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
    ],
)
def test_wilson_matches_newcombes_published_intervals(
    successes: int, n: int, low: float, high: float
) -> None:
    # when
    result = stats.wilson_interval(successes, n)
    # then
    assert result == pytest.approx((low, high), abs=5e-5)


def test_wilson_without_observations_knows_nothing() -> None:
    assert stats.wilson_interval(0, 0) == (0.0, 1.0)


# ----------------------------------------------------------------------------------- Newcombe
@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # Newcombe RG (1998), "Interval estimation for the difference between independent
        # proportions: comparison of eleven methods", Stat Med 17:873-890, Table II, method 10.
        ((56, 70, 48, 80), (0.2, 0.0524, 0.3339)),
        ((9, 10, 3, 10), (0.6, 0.1705, 0.8090)),
        ((5, 56, 0, 29), (0.0893, -0.0381, 0.1926)),
        ((0, 10, 0, 20), (0.0, -0.1611, 0.2775)),
        ((0, 10, 0, 10), (0.0, -0.2775, 0.2775)),
        ((10, 10, 0, 20), (1.0, 0.6791, 1.0)),
        ((10, 10, 0, 10), (1.0, 0.6075, 1.0)),
    ],
)
def test_newcombe_method_10_matches_the_published_examples(
    counts: tuple[int, int, int, int], expected: tuple[float, float, float]
) -> None:
    # when
    result = stats.newcombe_difference(*counts)
    # then
    assert result == pytest.approx(expected, abs=5e-5)


def test_the_uplift_interval_covers_a_known_effect_in_about_95_percent_of_repetitions() -> None:
    # given two binomial groups with a known difference of 0.04
    rng = random.Random(20261122)
    p1, p2, n = 0.12, 0.08, 2_000
    repetitions = 1_000
    # when
    covered = 0
    for _ in range(repetitions):
        x1 = sum(rng.random() < p1 for _ in range(n))
        x2 = sum(rng.random() < p2 for _ in range(n))
        _, low, high = stats.newcombe_difference(x1, n, x2, n)
        covered += low <= p1 - p2 <= high
    # then
    assert 930 <= covered <= 970


# -------------------------------------------------------------------------------- sample size
def test_sample_size_per_group_for_ten_versus_twelve_percent() -> None:
    # Fleiss' formula (pooled variance under H0, no continuity correction), worked by hand:
    # p̄ = 0.11; (1.959964 * sqrt(2 * 0.11 * 0.89) + 0.841621 * sqrt(0.09 + 0.1056))^2 / 0.02^2
    # = (0.867254 + 0.372222)^2 / 0.0004 = 3840.9 -> 3,841 per group.
    assert stats.sessions_needed_per_group(0.10, 0.12) == 3_841
    assert stats.sessions_needed_per_group(0.12, 0.10) == 3_841


def test_sample_size_grows_with_power_and_shrinks_with_the_effect() -> None:
    base = stats.sessions_needed_per_group(0.10, 0.12)
    stronger = stats.sessions_needed_per_group(0.10, 0.12, power=0.9)
    larger_effect = stats.sessions_needed_per_group(0.10, 0.15)
    assert base is not None
    assert stronger is not None
    assert larger_effect is not None
    assert stronger > base > larger_effect


def test_no_sample_size_without_a_difference() -> None:
    assert stats.sessions_needed_per_group(0.1, 0.1) is None
    assert stats.sessions_needed_per_group(0.0, 0.0) is None
    assert stats.remaining_sessions_needed(0.0, 0.0, 100, 100) is None


def test_remaining_sessions_count_the_smaller_group() -> None:
    assert stats.remaining_sessions_needed(0.12, 0.10, 9_000, 1_000) == 3_841 - 1_000
    assert stats.remaining_sessions_needed(0.12, 0.10, 9_000, 5_000) == 0


# ----------------------------------------------------------------------------------- histogram
EDGES = (10.0, 20.0, 30.0)


def test_median_interpolates_inside_its_bucket() -> None:
    # 4 in 0-10, 4 in 10-20, 2 in 20-30: the 5th of 10 lies a quarter into 10-20
    assert stats.histogram_quantile([4, 4, 2, 0], EDGES, 0.5) == pytest.approx(12.5)


def test_the_first_bucket_starts_at_zero() -> None:
    assert stats.histogram_quantile([10, 0, 0, 0], EDGES, 0.5) == pytest.approx(5.0)
    assert stats.histogram_quantile([10, 0, 0, 0], EDGES, 0.9) == pytest.approx(9.0)


def test_a_quantile_in_the_open_bucket_is_its_lower_edge() -> None:
    assert stats.histogram_quantile([1, 0, 0, 9], EDGES, 0.9) == 30.0


def test_p90_of_uniform_waits() -> None:
    # 10 waits in each 10-second bucket up to 30 s: p90 at rank 27 -> 20 + 10 * 7/10
    assert stats.histogram_quantile([10, 10, 10, 0], EDGES, 0.9) == pytest.approx(27.0)


def test_an_empty_histogram_has_no_quantile_and_no_share() -> None:
    assert stats.histogram_quantile([0, 0, 0, 0], EDGES, 0.5) is None
    assert stats.share_within([0, 0, 0, 0], EDGES, 30) is None


def test_share_within_is_exact_at_an_edge_and_linear_between() -> None:
    counts = [4, 4, 2, 10]
    assert stats.share_within(counts, EDGES, 20) == pytest.approx(8 / 20)
    assert stats.share_within(counts, EDGES, 30) == pytest.approx(10 / 20)
    assert stats.share_within(counts, EDGES, 15) == pytest.approx(6 / 20)
    assert stats.share_within(counts, EDGES, 0) == 0.0


def test_the_thirty_second_service_level_is_a_histogram_edge() -> None:
    assert 30 in WAIT_BUCKET_EDGES


# ------------------------------------------------------------------------------------ Erlang C
def classic_erlang_c(agents: int, traffic: float) -> float:
    """The textbook formula with factorials and powers, as an independent check, in exact
    rational arithmetic (floats overflow A^N past ~140 agents):
    (A^N / N! * N / (N - A)) / (sum_{k<N} A^k / k! + A^N / N! * N / (N - A))."""
    a = Fraction(traffic)
    top = a**agents / math.factorial(agents) * agents / (agents - a)
    return float(top / (sum(a**k / math.factorial(k) for k in range(agents)) + top))


@pytest.mark.parametrize(
    ("agents", "traffic", "waiting"),
    [
        # Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example":
        # 200 calls/hour x 180 s = 10 Erlangs; with 11 agents P(wait) = 68.21%. The 12-14 agent
        # values are that example's next steps, checked against `classic_erlang_c`.
        (11, 10.0, 0.6821),
        (12, 10.0, 0.4494),
        (13, 10.0, 0.2853),
        (14, 10.0, 0.1741),
        # M/M/3 with A = 2: (8/6 * 3) / (1 + 2 + 2 + 4) = 4/9 exactly.
        (3, 2.0, 4 / 9),
    ],
)
def test_erlang_c_matches_published_values(agents: int, traffic: float, waiting: float) -> None:
    assert stats.erlang_c(agents, traffic) == pytest.approx(waiting, abs=5e-5)


@pytest.mark.parametrize(("agents", "traffic"), [(1, 0.5), (5, 4.2), (30, 24.0), (60, 55.5), (150, 140.0)])
def test_erlang_c_agrees_with_the_classic_formula(agents: int, traffic: float) -> None:
    assert stats.erlang_c(agents, traffic) == pytest.approx(classic_erlang_c(agents, traffic), rel=1e-9)


def test_erlang_c_is_stable_for_hundreds_of_agents() -> None:
    # the classic form in floats overflows here (A^N for A = 900, N = 950)
    waiting = stats.erlang_c(950, 900.0)
    assert waiting == pytest.approx(classic_erlang_c(950, 900.0), rel=1e-9)
    assert 0.0 < waiting < 1.0


def test_erlang_c_at_or_over_capacity_always_waits() -> None:
    assert stats.erlang_c(10, 10.0) == 1.0
    assert stats.erlang_c(9, 10.0) == 1.0
    assert stats.erlang_c(3, 0.0) == 0.0
    assert stats.service_level(10, 10.0, 180, 20) == 0.0


def test_service_level_of_the_worked_example() -> None:
    # 1 - P(wait) * exp(-(N - A) * 20 / 180): 13 agents just miss 80/20, 14 reach it
    assert stats.service_level(13, 10.0, 180, 20) == pytest.approx(
        1 - 0.28526 * math.exp(-3 * 20 / 180), abs=1e-4
    )
    assert stats.service_level(13, 10.0, 180, 20) < 0.8 < stats.service_level(14, 10.0, 180, 20)


def test_agents_needed_for_the_worked_example_is_fourteen() -> None:
    # 200 calls/hour, 180 s handle time, 80% within 20 s: 14 agents (before shrinkage)
    assert stats.agents_needed(200, 180, target_share=0.8, target_seconds=20) == 14


def test_agents_needed_for_360_an_hour_at_240_seconds() -> None:
    # 24 Erlangs. By `classic_erlang_c`: 28 agents give SL(20 s) = 1 - 0.3331 * e^(-4/12) = 76.1%,
    # 29 agents give 1 - 0.2423 * e^(-5/12) = 84.0%: 29 is the fewest that reach 80/20.
    assert stats.agents_needed(360, 240, target_share=0.8, target_seconds=20) == 29


def test_concurrency_shortens_the_effective_handle_time() -> None:
    # two chats at once at 360 s each load an agent like one 180-s chat
    assert stats.agents_needed(200, 360, target_seconds=20, concurrency=2.0) == stats.agents_needed(
        200, 180, target_seconds=20
    )


def test_no_arrivals_need_no_agents_and_the_search_is_capped() -> None:
    assert stats.agents_needed(0, 300) == 0
    assert stats.agents_needed(10_000_000, 300, max_agents=50) == 50


# --------------------------------------------------------------------------------- surveys
def test_scores_from_known_answers() -> None:
    # given ten NPS answers: 10, 10, 9, 9, 8, 7, 6, 3, 0, 9 -> 5 promoters, 3 detractors
    nps_answers = [10, 10, 9, 9, 8, 7, 6, 3, 0, 9]
    promoters = sum(a >= 9 for a in nps_answers)
    detractors = sum(a <= 6 for a in nps_answers)
    # and eight CSAT answers, five of them 4-5; and four CES answers
    csat_answers = [5, 4, 4, 3, 2, 5, 1, 4]
    ces_answers = [2, 3, 7, 4]
    # then
    assert stats.nps(promoters, detractors, len(nps_answers)) == 20.0
    assert stats.csat_share(sum(a >= 4 for a in csat_answers), len(csat_answers)) == 62.5
    assert stats.ces_mean(sum(ces_answers), len(ces_answers)) == 4.0
    assert stats.nps(0, 4, 4) == -100.0
    assert stats.nps(4, 0, 4) == 100.0


def test_scores_without_answers_are_none() -> None:
    assert stats.nps(0, 0, 0) is None
    assert stats.csat_share(0, 0) is None
    assert stats.ces_mean(0, 0) is None
