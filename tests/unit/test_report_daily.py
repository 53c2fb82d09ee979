"""The daily report row from counters, the period total and the CSV export."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from klantreis.reports import names
from klantreis.reports.daily import (
    DailyRow,
    csv_columns,
    daily_row,
    daily_rows,
    days_between,
    period_total,
    rows_csv,
)

CONTRACT_FIELDS = (
    "date",
    "sessions",
    "cart_sessions",
    "checkout_sessions",
    "purchases",
    "revenue",
    "cart_abandonment_rate",
    "offers",
    "offers_accepted",
    "chats",
    "chat_conversions",
    "holdout_sessions",
    "holdout_conversion_rate",
    "offered_conversion_rate",
    "uplift",
    "csat",
    "nps",
    "ces",
    "first_contact_resolution",
    "median_wait_seconds",
)


NESTED = {
    "uplift_interval",
    "gain_uplift_interval",
    "agents",
    "categories",
    "agent_categories",
    "preferred_channels",
    "preferred_channels_by_category",
}


def day_counters(**overrides: float) -> dict[str, float]:
    """A busy day: 200 sessions, 40 with a cart (10 of them bought), 100 offered sessions of which
    15 converted, 20 held out of which 2 converted, surveys, waits and two agents."""
    counters: dict[str, float] = {
        "sessions": 200,
        "cart_sessions": 40,
        "checkout_sessions": 20,
        "purchase_sessions": 12,
        "converted_cart_sessions": 10,
        "purchases": 13,
        "revenue": 2_345.678,
        "offers": 110,
        "offered_sessions": 100,
        "holdout_sessions": 20,
        "offered_converted_sessions": 15,
        "holdout_converted_sessions": 2,
        "offers_accepted": 30,
        "chats_started": 32,
        "chats_converted": 8,
        "chats_assigned": 30,
        "wait_seconds_sum": 600,
        "chats_ended": 25,
        "chats_handled": 25,
        "chats_resolved": 20,
        "chats_resolved_followed_up": 5,
        "handle_seconds_sum": 7_500,
        "surveys": 10,
        "csat_n": 8,
        "csat_good": 6,
        "csat_sum": 32,
        "nps_n": 10,
        "nps_promoters": 5,
        "nps_detractors": 3,
        "ces_n": 4,
        "ces_sum": 10,
        # waits: 10 in 1-5 s, 10 in 5-10 s, 5 in 20-30 s, 5 in 30-45 s
        names.wait_bucket_of(3): 10,
        names.wait_bucket_of(8): 10,
        names.wait_bucket_of(25): 5,
        names.wait_bucket_of(40): 5,
        names.agent_counter("mirjam", "chats"): 20,
        names.agent_counter("mirjam", "conversions"): 6,
        names.agent_counter("mirjam", "csat_n"): 5,
        names.agent_counter("mirjam", "csat_good"): 4,
        names.agent_counter("mirjam", "nps_n"): 4,
        names.agent_counter("mirjam", "nps_promoters"): 3,
        names.agent_counter("mirjam", "nps_detractors"): 1,
        names.agent_counter("sven", "chats"): 10,
        names.agent_counter("sven", "conversions"): 2,
        names.category_counter("dameslaarzen", "chats"): 18,
        names.category_counter("dameslaarzen", "conversions"): 5,
        names.category_counter("dameslaarzen", "csat_n"): 2,
        names.category_counter("dameslaarzen", "csat_good"): 1,
        names.category_counter("wol#zijde", "chats"): 3,
        names.hourly_counter(20, "sessions"): 50,
        # issue 11: effort, first-contact resolution, waits and revenue per breakdown, channels
        "chat_revenue": 2_070.0,
        "preferred_channel_answers": 6,
        names.channel_counter("chat"): 2,
        names.channel_counter("phone"): 3,
        names.channel_counter("whatsapp"): 1,
        names.category_channel_counter("dameslaarzen", "phone"): 3,
        names.category_channel_counter("dameslaarzen", "chat"): 2,
        names.category_channel_counter("wol#zijde", "whatsapp"): 1,
        names.agent_counter("mirjam", "ces_n"): 4,
        names.agent_counter("mirjam", "ces_sum"): 10,
        names.agent_counter("mirjam", "waits"): 20,
        names.agent_counter("mirjam", "wait_seconds_sum"): 300,
        names.agent_counter("mirjam", "answered_in_time"): 18,
        names.agent_counter("mirjam", "handled"): 16,
        names.agent_counter("mirjam", "handled_resolved"): 14,
        names.agent_counter("mirjam", "handled_resolved_followed_up"): 2,
        names.agent_counter("mirjam", "revenue"): 1_500.5,
        names.agent_category_counter("mirjam", "dameslaarzen", "chats"): 12,
        names.agent_category_counter("mirjam", "dameslaarzen", "handled"): 8,
        names.agent_category_counter("mirjam", "dameslaarzen", "handled_resolved"): 7,
        names.agent_category_counter("mirjam", "dameslaarzen", "handled_resolved_followed_up"): 1,
        names.agent_category_counter("mirjam", "wol#zijde", "chats"): 3,
        names.agent_category_counter("sven", "dameslaarzen", "csat_n"): 2,
        names.agent_category_counter("sven", "dameslaarzen", "csat_good"): 0,
    }
    counters.update(overrides)
    return counters


def test_a_row_has_every_contract_field() -> None:
    row = daily_row("2026-11-22", day_counters())
    dumped = row.model_dump()
    for field in CONTRACT_FIELDS:
        assert field in dumped
    for breakdown in (*row.agents.values(), *row.categories.values()):
        assert {"chats", "conversions", "csat", "nps"} <= set(breakdown.model_dump())


def test_row_figures_from_counters() -> None:
    # when
    row = daily_row("2026-11-22", day_counters())
    # then
    assert row.date == "2026-11-22"
    assert (row.sessions, row.cart_sessions, row.checkout_sessions, row.purchases) == (200, 40, 20, 13)
    assert row.revenue == 2_345.68
    assert row.conversion_rate == 0.06
    assert (row.offers, row.offered_sessions, row.offers_accepted) == (110, 100, 30)
    assert (row.chats, row.chats_assigned, row.chat_conversions) == (32, 30, 8)
    assert row.offered_conversion_rate == 0.15
    assert row.holdout_conversion_rate == 0.1
    assert row.uplift == pytest.approx(0.05)
    assert row.surveys == 10
    assert row.csat == 75.0
    assert row.nps == 20.0
    assert row.ces == 2.5
    assert row.mean_wait_seconds == 20.0
    assert row.mean_handle_seconds == 300.0


def test_cart_abandonment_is_cart_sessions_without_a_purchase() -> None:
    row = daily_row("2026-11-22", day_counters())
    assert row.cart_abandonment_rate == 0.75  # 30 of 40 cart sessions did not buy


def test_first_contact_resolution_discounts_follow_ups() -> None:
    row = daily_row("2026-11-22", day_counters())
    assert row.first_contact_resolution == 0.6  # (20 resolved - 5 came back) / 25 ended


def test_waits_from_the_histogram() -> None:
    row = daily_row("2026-11-22", day_counters())
    # 30 waits: the 15th lies halfway into 5-10 s; the 27th two fifths into 30-45 s
    assert row.median_wait_seconds == pytest.approx(7.5)
    assert row.p90_wait_seconds == pytest.approx(36.0)
    assert row.service_level == pytest.approx(25 / 30, abs=1e-6)


def test_the_uplift_interval_is_newcombes() -> None:
    detail = daily_row("2026-11-22", day_counters()).uplift_interval
    assert detail.estimate == pytest.approx(0.05)
    assert detail.low is not None
    assert detail.high is not None
    assert detail.low < 0 < detail.high
    assert not detail.significant
    assert (detail.offered_sessions, detail.offered_conversions) == (100, 15)
    assert (detail.holdout_sessions, detail.holdout_conversions) == (20, 2)
    # 15% vs 10% needs 686 per group (Fleiss); the holdout has 20
    assert detail.sessions_still_needed_per_group == 686 - 20


def test_a_clear_effect_is_significant() -> None:
    row = daily_row(
        "2026-11-22",
        day_counters(
            offered_sessions=5_000,
            offered_converted_sessions=750,
            holdout_sessions=1_000,
            holdout_converted_sessions=50,
        ),
    )
    assert row.uplift_interval.significant
    assert row.uplift_interval.sessions_still_needed_per_group == 0


def test_breakdowns_per_agent_and_category() -> None:
    row = daily_row("2026-11-22", day_counters())
    mirjam = row.agents["mirjam"]
    assert (mirjam.chats, mirjam.conversions, mirjam.csat, mirjam.nps) == (20, 6, 80.0, 50.0)
    sven = row.agents["sven"]
    assert (sven.chats, sven.conversions, sven.csat, sven.nps) == (10, 2, None, None)
    assert row.categories["dameslaarzen"].csat == 50.0
    assert row.categories["wol#zijde"].chats == 3  # a `#` inside a category name stays whole
    assert list(row.agents) == ["mirjam", "sven"]


def test_effort_resolution_wait_and_revenue_per_agent_with_their_samples() -> None:
    mirjam = daily_row("2026-11-22", day_counters()).agents["mirjam"]
    assert (mirjam.ces, mirjam.ces_answers) == (2.5, 4)
    assert (mirjam.first_contact_resolution, mirjam.handled) == (0.75, 16)  # (14 - 2) / 16
    assert (mirjam.mean_wait_seconds, mirjam.service_level, mirjam.waits) == (15.0, 0.9, 20)
    assert mirjam.revenue == 1_500.5


def test_agent_by_category_cells() -> None:
    row = daily_row("2026-11-22", day_counters())
    assert list(row.agent_categories) == ["mirjam", "sven"]
    assert list(row.agent_categories["mirjam"]) == ["dameslaarzen", "wol#zijde"]  # `#` kept whole
    boots = row.agent_categories["mirjam"]["dameslaarzen"]
    assert (boots.chats, boots.first_contact_resolution, boots.handled) == (12, 0.75, 8)
    sven = row.agent_categories["sven"]["dameslaarzen"]
    assert (sven.csat, sven.csat_answers, sven.ces, sven.ces_answers) == (0.0, 2, None, 0)


def test_preferred_channels_overall_and_per_category() -> None:
    row = daily_row("2026-11-22", day_counters())
    assert row.preferred_channel_answers == 6
    assert row.preferred_channels == {"chat": 2, "phone": 3, "whatsapp": 1}
    assert row.preferred_channels_by_category == {
        "dameslaarzen": {"chat": 2, "phone": 3},
        "wol#zijde": {"whatsapp": 1},
    }


def test_revenue_and_conversion_of_chats() -> None:
    row = daily_row("2026-11-22", day_counters())
    assert row.chat_revenue == 2_070.0
    assert row.chat_conversion_rate == 0.25  # 8 of 32 chats


def test_an_empty_day_is_zeros_and_nones() -> None:
    # when
    row = daily_row("2026-11-23", {})
    # then
    dumped = row.model_dump(exclude={"date", *NESTED})
    for field, value in dumped.items():
        assert value in (0, None), field
    assert row.agents == row.categories == row.agent_categories == {}
    assert row.preferred_channels == row.preferred_channels_by_category == {}
    assert row.uplift is None
    assert row.uplift_interval.estimate is None
    assert row.uplift_interval.sessions_still_needed_per_group is None
    assert not row.uplift_interval.significant


def test_counters_may_arrive_as_decimals() -> None:
    row = daily_row("2026-11-22", {"sessions": Decimal(3), "revenue": Decimal("9.95")})  # type: ignore[dict-item]
    assert (row.sessions, row.revenue) == (3, 9.95)


def test_the_period_total_sums_the_days_inside_it() -> None:
    # given
    by_day = {
        "2026-11-21": day_counters(),
        "2026-11-22": day_counters(sessions=100, csat_n=2, csat_good=0),
        "2026-11-23": day_counters(),  # outside the period
    }
    # when
    total = period_total("2026-11-21", "2026-11-22", by_day)
    # then
    assert total.date == "2026-11-21..2026-11-22"
    assert total.sessions == 300
    assert total.purchases == 26
    assert total.revenue == 4_691.36
    assert total.csat == 60.0  # 6 of 10 answers good: a rate of the period, not a mean of rates
    assert total.offered_conversion_rate == 0.15
    assert total.agents["mirjam"].chats == 40
    assert total.uplift_interval.offered_sessions == 200


def test_daily_rows_fill_days_without_counters() -> None:
    rows = daily_rows("2026-11-21", "2026-11-23", {"2026-11-22": day_counters()})
    assert [row.date for row in rows] == ["2026-11-21", "2026-11-22", "2026-11-23"]
    assert [row.sessions for row in rows] == [0, 200, 0]
    assert days_between("2026-03-28", "2026-03-30") == ["2026-03-28", "2026-03-29", "2026-03-30"]
    assert days_between("2026-03-30", "2026-03-28") == []


def parse(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return list(reader.fieldnames or []), list(reader)


def test_csv_has_a_line_per_row_and_a_stable_column_order() -> None:
    # given
    rows = [daily_row("2026-11-21", {}), daily_row("2026-11-22", day_counters())]
    # when
    header, records = parse(rows_csv(rows))
    # then
    assert len(records) == 2
    assert header == csv_columns(rows)
    assert header[:5] == ["date", "sessions", "cart_sessions", "checkout_sessions", "purchase_sessions"]
    assert header.index("uplift_low") == header.index("uplift") + 1
    assert header.index("uplift_high") == header.index("uplift") + 2
    assert "uplift_interval" not in header
    assert header[-1] == "category:wol#zijde:preferred_channel:whatsapp"
    assert "agent_category:mirjam:wol#zijde:first_contact_resolution" in header
    assert "preferred_channel:phone" in header
    agent_columns = [column for column in header if column.startswith("agent:")]
    assert agent_columns[:4] == [
        "agent:mirjam:chats",
        "agent:mirjam:conversions",
        "agent:mirjam:csat",
        "agent:mirjam:nps",
    ]
    assert header == csv_columns(list(reversed(rows)))


def test_csv_round_trips_every_scalar() -> None:
    # given
    row = daily_row("2026-11-22", day_counters())
    # when
    _, records = parse(rows_csv([row]))
    record = records[0]
    # then
    for field, value in row.model_dump(exclude=NESTED).items():
        if value is None:
            assert record[field] == "", field
        elif isinstance(value, str):
            assert record[field] == value
        else:
            assert float(record[field]) == pytest.approx(value), field
    assert float(record["uplift_low"]) == row.uplift_interval.low
    assert float(record["uplift_high"]) == row.uplift_interval.high
    assert record["uplift_significant"] == "false"
    assert int(record["uplift_sessions_still_needed_per_group"]) == 666
    assert int(record["offered_conversions"]) == 15
    assert record["agent:mirjam:chats"] == "20"
    assert float(record["agent:mirjam:nps"]) == 50.0
    assert record["agent:sven:csat"] == ""
    assert record["category:dameslaarzen:conversions"] == "5"
    assert float(record["agent_category:mirjam:dameslaarzen:first_contact_resolution"]) == 0.75
    assert record["preferred_channel:phone"] == "3"
    assert record["category:wol#zijde:preferred_channel:whatsapp"] == "1"
    assert "currency" not in record


def test_csv_names_the_currency_of_its_money_after_the_chat_revenue() -> None:
    header, records = parse(rows_csv([daily_row("2026-11-22", day_counters())], currency="EUR"))
    assert header.index("currency") == header.index("chat_revenue") + 1
    assert (records[0]["currency"], records[0]["chat_revenue"]) == ("EUR", "2070.0")


def test_csv_leaves_an_agent_absent_that_day_empty() -> None:
    rows = [daily_row("2026-11-21", {"sessions": 5}), daily_row("2026-11-22", day_counters())]
    _, records = parse(rows_csv(rows))
    assert records[0]["agent:mirjam:chats"] == ""
    assert records[1]["agent:mirjam:chats"] == "20"


def test_csv_of_no_rows_is_just_the_header() -> None:
    header, records = parse(rows_csv([]))
    assert records == []
    assert header[0] == "date"
    assert set(header) >= set(CONTRACT_FIELDS)


def test_rows_are_json_ready() -> None:
    row = daily_row("2026-11-22", day_counters())
    assert DailyRow.model_validate_json(row.model_dump_json()) == row
