"""Staffing per hour of the week, and where the opening hours miss the shoppers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest

from klantreis.engagement.config import WEEKDAYS, OpeningHours
from klantreis.reports import stats
from klantreis.reports.names import hourly_counter
from klantreis.reports.staffing import (
    CLOSED,
    PARTLY_CLOSED,
    Staffing,
    StaffingHour,
    observed_days,
    open_share,
    staffing,
)

OFFICE_HOURS = OpeningHours(weekly={day: [("09:00", "17:00")] for day in WEEKDAYS[:5]})
"""Weekdays 09-17, closed in the evenings and all weekend."""
FIRST_MONDAY = date(2026, 11, 2)
DayBuilder = Callable[[date], dict[str, float]]


def hours(values: dict[int, dict[str, float]]) -> dict[str, float]:
    return {
        hourly_counter(hour, metric): value
        for hour, metrics in values.items()
        for metric, value in metrics.items()
    }


def shoppers_day(day: date) -> dict[str, float]:
    """Shoppers mostly online in the evening, and all afternoon at weekends; chats only when open
    (one chat per ten sessions, 10 minutes each)."""
    weekend = day.weekday() >= 5
    sessions = dict.fromkeys(range(9, 17), 10.0)
    sessions.update(dict.fromkeys(range(19, 23), 60.0))
    if weekend:
        sessions.update(dict.fromkeys(range(12, 19), 50.0))
    values: dict[int, dict[str, float]] = {}
    for hour, count in sessions.items():
        is_open = not weekend and 9 <= hour < 17
        chats = count / 10 if is_open else 0.0
        values[hour] = {"sessions": count, "chats": chats, "ended": chats, "handle_seconds": chats * 600}
    return hours(values)


def weeks_of(days: int, builder: DayBuilder = shoppers_day) -> dict[str, dict[str, float]]:
    every = [FIRST_MONDAY + timedelta(days=offset) for offset in range(days)]
    return {day.isoformat(): builder(day) for day in every}


def slot(plan: Staffing, weekday: int, hour: int) -> StaffingHour:
    found = plan.hours[weekday * 24 + hour]
    assert (found.weekday, found.hour) == (weekday, hour)
    return found


def test_evening_and_weekend_shoppers_are_flagged_when_only_office_hours_are_open() -> None:
    # when
    plan = staffing(weeks_of(14), OFFICE_HOURS)
    # then
    assert plan.days == 14
    assert plan.weeks == 2.0
    assert len(plan.hours) == 168
    monday_evening = slot(plan, 0, 20)
    assert (monday_evening.weekday, monday_evening.hour) == (0, 20)
    assert not monday_evening.open
    assert monday_evening.missed == CLOSED
    saturday_afternoon = slot(plan, 5, 14)
    assert saturday_afternoon.missed == CLOSED
    monday_morning = slot(plan, 0, 10)
    assert monday_morning.open
    assert monday_morning.missed is None
    assert slot(plan, 0, 3).missed is None  # nobody online at night
    # most sessions fall outside office hours
    weekday_sessions = 8 * 10 + 4 * 60
    weekend_sessions = 3 * 10 + 7 * 50 + 4 * 60  # 09-12, 12-19, 19-23
    closed_weekday = 4 * 60
    assert plan.closed_demand_share == pytest.approx(
        (5 * closed_weekday + 2 * weekend_sessions) / (5 * weekday_sessions + 2 * weekend_sessions), abs=1e-6
    )
    assert plan.closed_demand_share is not None
    assert plan.closed_demand_share > 0.5


def test_closed_hours_estimate_the_chats_opening_would_bring() -> None:
    plan = staffing(weeks_of(7), OFFICE_HOURS)
    assert plan.chats_per_session == pytest.approx(0.1)
    assert plan.handle_seconds == 600.0
    monday_evening = slot(plan, 0, 20)
    assert monday_evening.arrivals_per_hour == 0.0
    assert monday_evening.agents_needed == 0
    assert monday_evening.expected_arrivals_if_open == pytest.approx(6.0)
    assert monday_evening.agents_needed_if_open == stats.agents_needed(6.0, 600, concurrency=2.0)
    assert monday_evening.agents_needed_if_open > 0
    assert plan.peak is not None
    assert plan.peak.expected_arrivals_if_open == pytest.approx(6.0)
    assert not plan.peak.open


def test_open_hours_use_the_observed_arrivals_and_handle_time() -> None:
    plan = staffing(weeks_of(7), OFFICE_HOURS)
    monday_morning = slot(plan, 0, 10)
    assert monday_morning.arrivals_per_hour == 1.0
    assert monday_morning.handle_seconds == 600.0
    assert monday_morning.agents_needed == stats.agents_needed(1.0, 600, concurrency=2.0)
    assert monday_morning.expected_arrivals_if_open == 1.0


def test_always_open_misses_nobody() -> None:
    plan = staffing(weeks_of(7), OpeningHours.always_open())
    assert all(hour.missed is None for hour in plan.hours)
    assert plan.closed_demand_share == 0.0


def test_a_half_open_hour_is_partly_closed() -> None:
    half = OpeningHours(weekly={day: [("09:00", "20:30")] for day in WEEKDAYS})
    plan = staffing(weeks_of(7), half)
    evening = slot(plan, 0, 20)
    assert evening.open_share == 0.5
    assert evening.open
    assert evening.missed == PARTLY_CLOSED


def test_a_dated_exception_counts_as_closed_that_day() -> None:
    # given everything open, except a closed Monday
    hours_with_holiday = OpeningHours(
        weekly={day: [("00:00", "24:00")] for day in WEEKDAYS}, exceptions={FIRST_MONDAY: []}
    )
    by_day = weeks_of(7)
    # when
    plan = staffing(by_day, hours_with_holiday)
    # then the Monday's sessions are closed demand; the weekly grid stays open
    monday = sum(
        value for name, value in by_day[FIRST_MONDAY.isoformat()].items() if name.endswith("#sessions")
    )
    week = sum(value for day in by_day.values() for name, value in day.items() if name.endswith("#sessions"))
    assert plan.closed_demand_share == pytest.approx(monday / week, abs=1e-6)
    assert slot(plan, 0, 20).open


def constant_day(chats: float, handle: float = 600) -> DayBuilder:
    def build(day: date) -> dict[str, float]:
        return hours(
            {12: {"sessions": chats * 10, "chats": chats, "ended": chats, "handle_seconds": chats * handle}}
        )

    return build


def test_agents_needed_rises_with_arrivals() -> None:
    # given the same Wednesday noon with more and more chats
    plans = [
        staffing(weeks_of(7, constant_day(chats)), OpeningHours.always_open()) for chats in (2, 10, 40, 120)
    ]
    # when
    needed = [slot(plan, 2, 12).agents_needed for plan in plans]
    # then
    assert needed == sorted(needed)
    assert needed[0] < needed[-1]


def test_concurrency_halves_the_load() -> None:
    by_day = weeks_of(7, constant_day(60))
    one = slot(staffing(by_day, OpeningHours.always_open(), concurrency=1.0), 2, 12)
    two = slot(staffing(by_day, OpeningHours.always_open(), concurrency=2.0), 2, 12)
    # 60 chats/h at 600 s: 10 Erlangs one chat at a time, 5 with two at once
    assert one.agents_needed == stats.agents_needed(60, 600)
    assert two.agents_needed == stats.agents_needed(60, 300)
    assert two.agents_needed < one.agents_needed


def test_means_are_over_the_days_of_each_weekday() -> None:
    # given two Wednesdays, one busy and one quiet
    by_day = {
        "2026-11-04": hours({12: {"chats": 30, "ended": 30, "handle_seconds": 30 * 600, "sessions": 300}}),
        "2026-11-11": hours({12: {"chats": 10, "ended": 10, "handle_seconds": 10 * 300, "sessions": 100}}),
    }
    # when
    wednesday_noon = slot(staffing(by_day, OpeningHours.always_open()), 2, 12)
    # then
    assert wednesday_noon.days == 2
    assert wednesday_noon.arrivals_per_hour == 20.0
    assert wednesday_noon.sessions_per_hour == 200.0
    assert wednesday_noon.handle_seconds == 525.0  # weighted by chats: 21,000 s / 40 chats


def test_no_data_gives_an_empty_plan() -> None:
    plan = staffing({}, OFFICE_HOURS)
    assert plan.days == 0
    assert plan.peak is None
    assert plan.closed_demand_share is None
    assert all(hour.agents_needed == 0 and hour.missed is None for hour in plan.hours)


def test_open_share_of_an_hour() -> None:
    assert open_share([("09:00", "17:00")], 9) == 1.0
    assert open_share([("09:00", "17:00")], 17) == 0.0
    assert open_share([("09:15", "09:45")], 9) == 0.5
    assert open_share([("00:00", "24:00")], 23) == 1.0


def test_a_first_day_of_traffic_fills_the_week_with_its_hours_estimated() -> None:
    # given a period of two weeks whose only traffic is today (a Wednesday) at noon, now 15:10
    first = FIRST_MONDAY
    today = first + timedelta(days=9)
    by_day = {(first + timedelta(days=n)).isoformat(): {} for n in range(14)}
    by_day[today.isoformat()] = hours({12: {"sessions": 30, "chats": 3, "ended": 3, "handle_seconds": 1800}})
    now = datetime(today.year, today.month, today.day, 15, 10)
    # when
    plan = staffing(by_day, OpeningHours.always_open(), now=now)
    # then one day is observed (the empty days before it and the days after now are not)
    assert (plan.days, plan.first_day, plan.last_day, plan.last_hour) == (
        1, today.isoformat(), today.isoformat(), 15,
    )  # fmt: skip
    noon = slot(plan, today.weekday(), 12)
    assert (noon.days, noon.estimated, noon.arrivals_per_hour, noon.handle_seconds) == (1, False, 3.0, 600.0)
    # every other weekday's noon is estimated from it; today's evening is not observed yet
    monday_noon = slot(plan, 0, 12)
    assert (monday_noon.days, monday_noon.estimated, monday_noon.arrivals_per_hour) == (0, True, 3.0)
    assert monday_noon.agents_needed == noon.agents_needed >= 1
    evening = slot(plan, today.weekday(), 20)
    assert (evening.days, evening.estimated, evening.arrivals_per_hour) == (0, False, 0.0)
    assert plan.peak is not None


def test_observed_days_start_at_the_first_traffic_and_end_now() -> None:
    by_day = {
        "2026-11-02": {},
        "2026-11-03": hours({9: {"sessions": 1}}),
        "2026-11-04": {},
        "2026-11-05": {},
    }
    assert observed_days(by_day) == [
        (date(2026, 11, 3), 23),
        (date(2026, 11, 4), 23),
        (date(2026, 11, 5), 23),
    ]
    assert observed_days(by_day, datetime(2026, 11, 4, 8, 0)) == [
        (date(2026, 11, 3), 23),
        (date(2026, 11, 4), 8),
    ]
    assert observed_days({"2026-11-02": {}}) == []
