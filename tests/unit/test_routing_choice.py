"""The routing choice (klantreis.routing.choice) and the performance counters it reads
(klantreis.routing.performance).

What the choice promises:
- predictive: an agent who has shown better outcomes in the category wins most chats, but a new
  agent without data still gets a fair share (exploration); thin data stays near the team
  average (shrinkage); rounded ties go to the longest idle, then agent id.
- skills_only: most free slots, then longest idle; longest_idle: smallest idle_since. Neither
  draws from the random stream.
- Always one of the candidates, every candidate scored, best first; no candidates is an error.
"""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from klantreis.routing.choice import (
    DEFAULT_CONVERSION,
    DEFAULT_SATISFACTION,
    Candidate,
    choose,
)
from klantreis.routing.performance import PERFORMANCE_COUNTERS, Performance, survey_counts, team_total

AVERAGE = Performance(chats=200, conversions=40, ended=200, csat_n=100, csat_good=75, csat_sum=390)
STRONG = Performance(chats=10, conversions=2, csat_n=10, csat_good=9)
WEAK = Performance(chats=10, conversions=2, csat_n=10, csat_good=6)


class ConstantDraws(random.Random):
    """Every Beta draw is the same number, so sampled scores tie exactly."""

    def betavariate(self, alpha: float, beta: float) -> float:
        return 0.5


def candidate(agent_id: str, idle_since: float = 0.0, free_slots: int = 1, **counts: float) -> Candidate:
    return Candidate(agent_id, idle_since, free_slots, Performance.from_counts(counts))


# ---------------------------------------------------------------------------- performance
def test_from_counts_ignores_other_attributes_and_reads_decimals() -> None:
    # given a stored item with keys and DynamoDB Decimals
    item = {"PK": "SITE#s", "chats": Decimal(3), "csat_sum": Decimal("9.0"), "csat_n": 2}

    # when
    perf = Performance.from_counts(item)  # type: ignore[arg-type]

    # then missing counters are 0 and the known ones are read
    assert perf == Performance(chats=3, csat_sum=9.0, csat_n=2)
    assert set(perf.as_counts()) == set(PERFORMANCE_COUNTERS)
    assert Performance.from_counts(perf.as_counts()) == perf


def test_derived_figures_are_none_without_data_and_add_up_across_agents() -> None:
    # given two agents
    mirjam = Performance.from_counts(
        {"chats": 4, "conversions": 1, "ended": 2, "handle_seconds": 600, **survey_counts(5, 10, 2)}
    )
    joost = Performance.from_counts({"chats": 1, **survey_counts(2, 0, 6)})

    # when
    team = team_total([mirjam, joost])

    # then nothing is invented for an empty record, and the team weighs every survey once
    empty = Performance()
    assert (empty.csat, empty.nps, empty.ces, empty.conversion_rate, empty.mean_handle_seconds) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert team.csat == 0.5
    assert team.nps == 0.0
    assert team.ces == 4.0
    assert team.conversion_rate == 0.2
    assert team.mean_handle_seconds == 300.0
    assert team_total([]) == Performance()


def test_survey_counts_classify_answers_and_reject_out_of_range() -> None:
    # given / when / then: 4-5 is good CSAT, 9-10 promoter, 0-6 detractor, 7-8 neither
    assert survey_counts(5, None, None) == {"csat_n": 1, "csat_good": 1, "csat_sum": 5.0}
    assert survey_counts(3, 8, None) == {
        "csat_n": 1,
        "csat_good": 0,
        "csat_sum": 3.0,
        "nps_n": 1,
        "nps_promoters": 0,
        "nps_detractors": 0,
    }
    assert survey_counts(None, 6, 7) == {
        "nps_n": 1,
        "nps_promoters": 0,
        "nps_detractors": 1,
        "ces_n": 1,
        "ces_sum": 7.0,
    }
    assert survey_counts(None, None, None) == {}
    for bad in ({"csat": 0}, {"csat": 6}, {"nps": 11}, {"ces": 0}):
        with pytest.raises(ValueError, match="must be an integer"):
            survey_counts(bad.get("csat"), bad.get("nps"), bad.get("ces"))


# ---------------------------------------------------------------------------- predictive
def test_stronger_agent_wins_most_chats_in_the_category() -> None:
    # given a strong and a weak agent, 10 surveys each; the weak one has been idle longer
    team = team_total([AVERAGE, STRONG, WEAK])
    candidates = [
        Candidate("weak", idle_since=100.0, free_slots=2, performance=WEAK),
        Candidate("strong", idle_since=200.0, free_slots=2, performance=STRONG),
    ]
    rng = random.Random(1)

    # when choosing 1000 times
    chosen = [choose(candidates, team, rng=rng).agent_id for _ in range(1000)]

    # then the strong agent gets at least 80 %, and the weak one still some (exploration)
    assert chosen.count("strong") >= 800
    assert chosen.count("weak") > 0


def test_new_agent_without_data_still_gets_a_fair_share() -> None:
    # given a proven agent exactly at the team average and a brand-new agent
    candidates = [
        Candidate("veteran", idle_since=100.0, free_slots=2, performance=AVERAGE),
        Candidate("new", idle_since=200.0, free_slots=2, performance=Performance()),
    ]
    rng = random.Random(2)

    # when
    chosen = [choose(candidates, AVERAGE, rng=rng).agent_id for _ in range(1000)]

    # then the new agent is explored, not starved
    assert 300 <= chosen.count("new") <= 700


def test_thin_data_shrinks_towards_the_team_and_much_data_speaks_for_itself() -> None:
    # given a team at 75 % CSAT and 20 % conversion
    thin = candidate("thin", csat_n=1, csat_good=1, chats=1, conversions=1)
    proven = candidate("proven", idle_since=1.0, csat_n=200, csat_good=200, chats=200, conversions=100)

    # when
    scores = {s.agent_id: s for s in choose([thin, proven], AVERAGE, rng=random.Random(3)).scores}

    # then one happy survey moves the estimate only a little from the team's
    assert scores["thin"].expected_satisfaction == pytest.approx((0.75 * 4 + 1) / 5, abs=1e-4)
    assert scores["thin"].expected_conversion == pytest.approx((0.2 * 4 + 1) / 5, abs=1e-4)
    assert scores["thin"].evidence == 2
    # and 200 surveys are the agent's own figure
    assert scores["proven"].expected_satisfaction > 0.98
    assert scores["proven"].expected_conversion == pytest.approx((0.2 * 4 + 100) / 204, abs=1e-4)


def test_team_without_data_uses_the_default_prior() -> None:
    # given / when
    choice = choose([candidate("a")], Performance(), rng=random.Random(4))

    # then
    assert choice.scores[0].expected_satisfaction == DEFAULT_SATISFACTION
    assert choice.scores[0].expected_conversion == DEFAULT_CONVERSION
    assert choice.reason == "only candidate"


def test_ties_go_to_the_longest_idle_then_agent_id() -> None:
    # given identical sampled scores
    rng = ConstantDraws()
    candidates = [candidate("b", idle_since=300.0), candidate("c", idle_since=100.0), candidate("a", 100.0)]

    # when
    choice = choose(candidates, AVERAGE, rng=rng)

    # then the two idle since 100 beat the other; between them the agent id decides
    assert choice.agent_id == "a"
    assert choice.reason == "tie: longest idle"
    assert [s.agent_id for s in choice.scores] == ["a", "c", "b"]


def test_clear_winner_is_recorded_with_its_reason() -> None:
    # given
    candidates = [
        candidate("weak", 0.0, csat_n=100, csat_good=10),
        candidate("strong", 9.0, csat_n=100, csat_good=99),
    ]

    # when
    choice = choose(candidates, AVERAGE, rng=random.Random(5))

    # then
    assert choice.agent_id == "strong"
    assert choice.strategy == "predictive"
    assert choice.reason == "highest sampled outcome"
    assert choice.scores[0].score > choice.scores[1].score


# ---------------------------------------------------------------------------- baselines
def test_skills_only_takes_most_free_slots_then_longest_idle() -> None:
    # given
    rng = random.Random(6)
    state = rng.getstate()
    candidates = [candidate("busy", 1.0, free_slots=1), candidate("x", 50.0, 2), candidate("y", 20.0, 2)]

    # when
    choice = choose(candidates, AVERAGE, strategy="skills_only", rng=rng)

    # then performance plays no part and nothing is drawn
    assert choice.agent_id == "y"
    assert choice.reason == "tie: longest idle"
    assert [s.agent_id for s in choice.scores] == ["y", "x", "busy"]
    assert rng.getstate() == state
    assert choose(candidates[:2], AVERAGE, strategy="skills_only", rng=rng).reason == "most free slots"


def test_longest_idle_ignores_performance_and_slots() -> None:
    # given a strong agent with more slots who was busy recently
    candidates = [
        candidate("strong", 500.0, free_slots=3, csat_n=100, csat_good=100),
        candidate("idle", 10.0, free_slots=1, csat_n=100, csat_good=0),
    ]

    # when
    choice = choose(candidates, AVERAGE, strategy="longest_idle", rng=random.Random(7))

    # then
    assert choice.agent_id == "idle"
    assert choice.reason == "longest idle"


def test_no_candidates_or_unknown_strategy_is_an_error() -> None:
    with pytest.raises(ValueError, match="no candidates"):
        choose([], AVERAGE, rng=random.Random(8))
    with pytest.raises(ValueError, match="unknown routing strategy"):
        choose([candidate("a")], AVERAGE, strategy="random", rng=random.Random(8))  # type: ignore[arg-type]


performances = st.builds(
    lambda chats, conv, n, good: Performance(
        chats=chats, conversions=min(conv, chats), csat_n=n, csat_good=min(good, n)
    ),
    st.integers(0, 500),
    st.integers(0, 500),
    st.integers(0, 500),
    st.integers(0, 500),
)
candidate_lists = st.lists(
    st.builds(
        Candidate,
        agent_id=st.text("abcdef", min_size=1, max_size=4),
        idle_since=st.floats(0, 2e9, allow_nan=False),
        free_slots=st.integers(1, 5),
        performance=performances,
    ),
    min_size=1,
    max_size=6,
)


@given(
    candidates=candidate_lists,
    team=performances,
    strategy=st.sampled_from(["predictive", "skills_only", "longest_idle"]),
    seed=st.integers(0, 2**32),
)
def test_choice_is_always_one_of_the_candidates(
    candidates: list[Candidate], team: Performance, strategy: str, seed: int
) -> None:
    # when
    choice = choose(candidates, team, strategy=strategy, rng=random.Random(seed))  # type: ignore[arg-type]

    # then
    assert choice.agent_id in {c.agent_id for c in candidates}
    assert choice.agent_id == choice.scores[0].agent_id
    assert len(choice.scores) == len(candidates)
    assert [s.score for s in choice.scores] == sorted((s.score for s in choice.scores), reverse=True)
    assert all(0 < s.expected_satisfaction < 1 and 0 < s.expected_conversion < 1 for s in choice.scores)
