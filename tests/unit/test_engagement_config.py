"""Opening hours and engagement configuration: what is refused, and when a site is open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from klantreis.engagement.config import (
    WEEKDAYS,
    EngagementConfig,
    EngagementRule,
    FrequencyCaps,
    OpeningHours,
    RuleTriggers,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def local(*parts: int, zone: ZoneInfo = AMSTERDAM, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=zone, fold=fold)


def rule(rule_id: str = "r", **fields: Any) -> dict[str, Any]:
    return {"rule_id": rule_id, "name": rule_id, "message": "Hulp nodig?", **fields}


# ---------------------------------------------------------------- opening hours: validation
@pytest.mark.parametrize(
    "interval",
    [
        pytest.param(["25:00", "26:00"], id="hour 25"),
        pytest.param(["08:60", "09:00"], id="minute 60"),
        pytest.param(["8:00", "09:00"], id="one-digit hour"),
        pytest.param(["08:00", "24:01"], id="past 24:00"),
        pytest.param(["08:00"], id="no end"),
        pytest.param(["08:00", "12:00", "13:00"], id="three times"),
        pytest.param(["noon", "13:00"], id="words"),
    ],
)
def test_malformed_times_are_refused(interval: list[str]) -> None:
    with pytest.raises(ValidationError):
        OpeningHours.model_validate({"weekly": {"mon": [interval]}})


@pytest.mark.parametrize(
    "interval",
    [["21:00", "08:00"], ["09:00", "09:00"], ["24:00", "24:00"]],
    ids=["ends before it starts", "empty", "starts at midnight's end"],
)
def test_an_interval_must_end_after_it_starts(interval: list[str]) -> None:
    with pytest.raises(ValidationError, match="end after it starts"):
        OpeningHours.model_validate({"weekly": {"tue": [interval]}})


@pytest.mark.parametrize(
    "intervals",
    [
        [["08:00", "12:00"], ["11:59", "18:00"]],
        [["13:00", "18:00"], ["08:00", "14:00"]],
        [["08:00", "18:00"], ["10:00", "11:00"]],
    ],
    ids=["by a minute", "given out of order", "one inside the other"],
)
def test_overlapping_intervals_are_refused(intervals: list[list[str]]) -> None:
    with pytest.raises(ValidationError, match="overlap"):
        OpeningHours.model_validate({"weekly": {"wed": intervals}})
    with pytest.raises(ValidationError, match="overlap"):
        OpeningHours.model_validate({"exceptions": {"2026-12-24": intervals}})


def test_touching_intervals_are_fine_and_come_back_sorted() -> None:
    hours = OpeningHours.model_validate({"weekly": {"thu": [["13:00", "21:00"], ["08:00", "13:00"]]}})
    assert hours.weekly["thu"] == [("08:00", "13:00"), ("13:00", "21:00")]


@pytest.mark.parametrize("timezone", ["Mars/Olympus", "", "UTC+2", "../etc/passwd"])
def test_unknown_time_zones_are_refused(timezone: str) -> None:
    with pytest.raises(ValidationError, match="time zone"):
        OpeningHours(timezone=timezone)


@pytest.mark.parametrize(
    "body",
    [
        {"weekly": {"monday": []}},
        {"exceptions": {"2026-02-30": []}},
        {"exceptions": {"tomorrow": []}},
        {"holidays": {}},
        {"weekly": {"mon": [["08:00", "09:00"]] * 13}},
    ],
    ids=["unknown day", "no such date", "not a date", "unknown field", "too many intervals"],
)
def test_malformed_hours_are_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        OpeningHours.model_validate(body)


def test_the_contracts_example_is_valid() -> None:
    hours = OpeningHours.model_validate(
        {
            "timezone": "Europe/Amsterdam",
            "weekly": {"mon": [["08:00", "21:00"]], "sun": []},
            "exceptions": {"2026-12-25": []},
        }
    )
    assert hours.is_open(local(2026, 11, 23, 8, 0))  # a Monday
    assert not hours.is_open(local(2026, 11, 24, 12, 0))  # Tuesday is not listed: closed
    assert not hours.is_open(local(2026, 11, 22, 12, 0))  # Sunday, empty: closed


# ---------------------------------------------------------------- opening hours: is_open
def test_webshop_default_is_weekdays_8_to_21_and_weekends_9_to_17() -> None:
    hours = OpeningHours.webshop_default()
    monday, saturday = local(2026, 11, 23), local(2026, 11, 28)
    assert not hours.is_open(monday.replace(hour=7, minute=59))
    assert hours.is_open(monday.replace(hour=8))
    assert hours.is_open(monday.replace(hour=20, minute=59))
    assert not hours.is_open(monday.replace(hour=21))
    assert not hours.is_open(saturday.replace(hour=8, minute=59))
    assert hours.is_open(saturday.replace(hour=9))
    assert not hours.is_open(saturday.replace(hour=17))
    assert set(hours.weekly) == set(WEEKDAYS)


def test_hours_are_read_in_the_sites_time_zone_whatever_zone_the_moment_has() -> None:
    hours = OpeningHours.webshop_default("Europe/Amsterdam")
    # 07:30 UTC on a winter Monday is 08:30 in Amsterdam
    assert hours.is_open(datetime(2026, 11, 23, 7, 30, tzinfo=UTC))
    assert not hours.is_open(datetime(2026, 11, 23, 6, 30, tzinfo=UTC))
    # the same UTC moments in summer are an hour later locally
    assert hours.is_open(datetime(2026, 6, 22, 6, 30, tzinfo=UTC))
    assert not hours.is_open(datetime(2026, 6, 22, 5, 30, tzinfo=UTC))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_hours_follow_the_wall_clock_across_dst_changes() -> None:
    # 2026-03-29 (a Sunday): Amsterdam jumps from 02:00 CET to 03:00 CEST
    spring = OpeningHours.model_validate({"weekly": {"sun": [["03:00", "04:00"]]}})
    assert not spring.is_open(utc(2026, 3, 29, 0, 59))  # 01:59 CET
    assert spring.is_open(utc(2026, 3, 29, 1, 0))  # one real minute later: 03:00 CEST
    assert spring.is_open(utc(2026, 3, 29, 1, 59))
    assert not spring.is_open(utc(2026, 3, 29, 2, 0))  # 04:00 CEST
    # 2026-10-25 (a Sunday): 02:00-03:00 happens twice, so those hours are open for two real hours
    autumn = OpeningHours.model_validate({"weekly": {"sun": [["02:00", "03:00"]]}})
    assert not autumn.is_open(utc(2026, 10, 24, 23, 59))  # 01:59 CEST
    assert autumn.is_open(utc(2026, 10, 25, 0, 30))  # 02:30 CEST
    assert autumn.is_open(utc(2026, 10, 25, 1, 30))  # 02:30 CET
    assert autumn.is_open(local(2026, 10, 25, 2, 30, fold=1))
    assert not autumn.is_open(utc(2026, 10, 25, 2, 0))  # 03:00 CET
    # weekly hours keep their local times on both sides of a change
    weekdays = OpeningHours.webshop_default()
    assert not weekdays.is_open(utc(2026, 3, 27, 6, 59))  # Friday 07:59 CET
    assert weekdays.is_open(utc(2026, 3, 27, 7, 0))  # Friday 08:00 CET
    assert not weekdays.is_open(utc(2026, 3, 30, 5, 59))  # Monday 07:59 CEST
    assert weekdays.is_open(utc(2026, 3, 30, 6, 0))  # Monday 08:00 CEST


def test_a_day_that_ends_at_24_00_is_open_until_its_last_minute() -> None:
    hours = OpeningHours.model_validate({"weekly": {"fri": [["18:00", "24:00"]]}})
    friday = local(2026, 11, 27)
    assert hours.is_open(friday.replace(hour=23, minute=59, second=59))
    assert not hours.is_open(friday + timedelta(days=1))  # Saturday 00:00
    assert not hours.is_open(friday.replace(hour=17, minute=59))


def test_always_open_is_open_at_every_minute_of_the_week() -> None:
    hours = OpeningHours.always_open()
    start = local(2026, 11, 23)
    assert all(hours.is_open(start + timedelta(minutes=m)) for m in range(0, 7 * 24 * 60, 7))


def test_a_closed_exception_closes_a_day_that_is_open_every_week() -> None:
    hours = OpeningHours.model_validate(
        {**OpeningHours.webshop_default().model_dump(), "exceptions": {"2026-12-25": []}}
    )
    assert not hours.is_open(local(2026, 12, 25, 12, 0))  # a Friday
    assert hours.is_open(local(2026, 12, 18, 12, 0))  # the Friday before


def test_special_hours_replace_the_days_weekly_hours() -> None:
    hours = OpeningHours.model_validate(
        {
            "weekly": {"thu": [["08:00", "21:00"]], "sun": []},
            "exceptions": {"2026-12-24": [["09:00", "16:00"]], "2026-12-27": [["12:00", "17:00"]]},
        }
    )
    christmas_eve = local(2026, 12, 24)  # a Thursday
    assert not hours.is_open(christmas_eve.replace(hour=8, minute=30))
    assert hours.is_open(christmas_eve.replace(hour=15, minute=59))
    assert not hours.is_open(christmas_eve.replace(hour=16))
    # an exception opens a Sunday that is closed every week
    assert hours.is_open(local(2026, 12, 27, 12, 0))
    assert not hours.is_open(local(2027, 1, 3, 12, 0))


def test_exceptions_are_dated_in_the_sites_time_zone() -> None:
    hours = OpeningHours.model_validate(
        {"timezone": "Pacific/Auckland", "weekly": {}, "exceptions": {"2026-12-25": [["00:00", "24:00"]]}}
    )
    # 2026-12-24 12:00 UTC is already Christmas Day in Auckland
    assert hours.is_open(datetime(2026, 12, 24, 12, 0, tzinfo=UTC))
    assert not hours.is_open(datetime(2026, 12, 25, 12, 0, tzinfo=UTC))


def test_a_moment_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        OpeningHours.always_open().is_open(datetime(2026, 11, 23, 12, 0))


# ---------------------------------------------------------------- engagement configuration
def test_rule_ids_must_be_unique() -> None:
    with pytest.raises(ValidationError, match="unique"):
        EngagementConfig.model_validate({"rules": [rule("a"), rule("b"), rule("a")]})


@pytest.mark.parametrize(
    "body",
    [
        {"holdout_share": 0.51},
        {"holdout_share": -0.01},
        {"rules": [rule(str(n)) for n in range(51)]},
        {"rules": [rule("has space")]},
        {"rules": [rule("#hash")]},
        {"rules": [rule(priority=-1)]},
        {"rules": [rule(priority=10_001)]},
        {"rules": [rule(message="")]},
        {"rules": [rule(message="x" * 501)]},
        {"rules": [rule(triggers={"min_purchase_intent": 1.01})]},
        {"rules": [rule(triggers={"min_abandonment_risk": -0.1})]},
        {"rules": [rule(triggers={"min_cart_value": -1})]},
        {"rules": [rule(triggers={"min_idle_seconds": 86_401})]},
        {"rules": [rule(triggers={"stages": ["purchased"]})]},
        {"rules": [rule(triggers={"url_patterns": ["checkout*"]})]},
        {"rules": [rule(triggers={"when": "always"})]},
        {"caps": {"per_session": 21}},
        {"caps": {"per_day": -1}},
        {"caps": {"cooldown_after_reject_seconds": 91 * 86_400}},
        {"rules": [], "extra": 1},
    ],
    ids=[
        "holdout above half", "negative holdout", "51 rules", "id with space", "id with separator",
        "negative priority", "priority too high", "empty message", "message too long",
        "intent above 1", "negative risk", "negative cart value", "idle over a day", "purchased stage",
        "pattern not on a path", "unknown trigger", "session cap", "negative day cap",
        "cooldown over 90 days", "unknown field",
    ],
)  # fmt: skip
def test_limits_of_the_configuration(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        EngagementConfig.model_validate(body)


def test_the_widest_valid_configuration_is_accepted() -> None:
    config = EngagementConfig.model_validate(
        {
            "rules": [rule(str(n), priority=10_000, triggers={"url_patterns": ["*/x*"]}) for n in range(50)],
            "holdout_share": 0.5,
            "caps": {"per_session": 20, "per_day": 50, "cooldown_after_reject_seconds": 90 * 86_400},
        }
    )
    assert len(config.rules) == 50


def test_defaults_are_filled_in() -> None:
    config = EngagementConfig.model_validate({"rules": [rule()]})
    assert config.holdout_share == 0.10
    assert config.caps == FrequencyCaps(per_session=1, cooldown_after_reject_seconds=86_400, per_day=2)
    assert config.rules[0] == EngagementRule(
        rule_id="r", name="r", message="Hulp nodig?", enabled=True, priority=100, triggers=RuleTriggers()
    )


def test_the_webshop_default_prefers_hesitation_at_checkout() -> None:
    config = EngagementConfig.webshop_default()
    assert config.holdout_share == 0.10
    by_id = {r.rule_id: r for r in config.rules}
    assert by_id["checkout-hesitation"].priority > by_id["valuable-cart"].priority
    assert by_id["checkout-hesitation"].triggers == RuleTriggers(
        stages=["checkout"], min_cart_value=50, min_idle_seconds=20, min_abandonment_risk=0.4
    )
