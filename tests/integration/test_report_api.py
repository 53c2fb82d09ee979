"""The report API through the report function's handler, in process, against moto: the daily
report (JSON and CSV) and staffing, for the operator of the token's site only."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bench.replay import server_clock_at_sent_at
from klantreis import services
from klantreis.projections.counters_dynamo_store import DynamoCounterStore
from klantreis.reports import names
from klantreis.sites import Site
from klantreis.sites.dynamo_store import DynamoSiteStore
from klantreis_local.runtime import DEMO_SITE_KEY, StreamPump
from report import dependencies
from report.handler import app, lambda_handler
from tests.factories import FakeContext, api_event, batch, event
from track.handler import lambda_handler as track_handler

OPERATOR = {"sub": "ops", "site_id": "demo", "role": "operator"}
AGENT = {"sub": "mirjam", "site_id": "demo", "role": "agent"}
OTHER_OPERATOR = {"sub": "ops", "site_id": "other-shop", "role": "operator"}
WIDGET = {"X-Site-Key": DEMO_SITE_KEY}
_markers = itertools.count(1)


@pytest.fixture(autouse=True)
def _fresh_services() -> Iterator[None]:
    """The report function's cached services hold the client of the moto in use."""
    services.forget()
    yield
    services.forget()


def get(
    path: str, claims: dict[str, str] | None, query: dict[str, str] | None = None
) -> tuple[int, dict[str, str], str]:
    request = api_event("GET", path, claims=claims)
    request["queryStringParameters"] = query
    answer = lambda_handler(request, FakeContext())
    headers = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
    headers.update({k.lower(): v[-1] for k, v in (answer.get("multiValueHeaders") or {}).items()})
    return answer["statusCode"], headers, answer["body"]


def get_json(
    path: str, claims: dict[str, str] | None, query: dict[str, str] | None = None
) -> tuple[int, Any]:
    status, _, body = get(path, claims, query)
    return status, json.loads(body)


def add_counters(dynamodb: Any, table_name: str, site_id: str, day: str, counters: dict[str, float]) -> None:
    store = DynamoCounterStore(dynamodb, table_name)
    assert store.add_once(f"test-{next(_markers)}", {(site_id, day): counters}, 1_800_000_000)


def post_at(moment: datetime, visitor: str, session: str, *events: dict[str, Any]) -> None:
    """A widget batch received at `moment` (the track route's clock pinned there)."""
    with server_clock_at_sent_at() as clock:
        clock.pinned = moment
        body = batch(*events, visitor_id=visitor, session_id=session, sent_at=moment)
        answer = track_handler(api_event("POST", "/v1/events", body=body, headers=WIDGET), FakeContext())
    assert answer["statusCode"] == 200, answer["body"]
    assert json.loads(answer["body"])["accepted"] == len(events)


@pytest.fixture
def other_site(dynamodb: Any, table_name: str) -> Site:
    site = Site(site_id="other-shop", name="Ander", timezone="Europe/Lisbon")
    DynamoSiteStore(dynamodb, table_name).put(site)
    return site


def test_the_operator_gets_one_row_per_local_day_of_the_site(
    demo_site: Site, dynamodb: Any, table_name: str, stream: StreamPump
) -> None:
    # given, on the demo site (Europe/Amsterdam, UTC+1 in November): a visitor who adds boots to
    # the cart and buys them at noon on the 20th, one who leaves a cart behind, and a late
    # visitor at 23:30 UTC on the 20th, which is 00:30 on the 21st in Amsterdam
    noon = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    boots = {"product_id": "b-39", "category": "dameslaarzen", "value": 329.95, "currency": "EUR"}
    post_at(
        noon,
        "anna",
        "s-anna",
        event("product_view", at=noon - timedelta(minutes=3), **boots),
        event("add_to_cart", at=noon - timedelta(minutes=2), **boots),
        event("purchase", at=noon - timedelta(minutes=1), value=329.95, currency="EUR"),
    )
    post_at(noon, "bram", "s-bram", event("add_to_cart", at=noon - timedelta(minutes=5), **boots))
    late = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
    post_at(late, "cees", "s-cees", event("page_view", at=late - timedelta(seconds=5)))
    stream.drain()
    # and four CSAT answers on the 20th, three of them 4-5
    add_counters(dynamodb, table_name, "demo", "2026-11-20", {"surveys": 4, "csat_n": 4, "csat_good": 3})

    # when the operator asks for the 19th to the 22nd
    status, report = get_json("/v1/reports/daily", OPERATOR, {"from": "2026-11-19", "to": "2026-11-22"})

    # then there is a row for every local day, quiet days as zeros
    assert status == 200, report
    assert (report["site_id"], report["from"], report["to"]) == ("demo", "2026-11-19", "2026-11-22")
    assert report["timezone"] == "Europe/Amsterdam"
    rows = {row["date"]: row for row in report["rows"]}
    assert list(rows) == ["2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22"]
    figures = ("sessions", "cart_sessions", "purchases", "revenue", "cart_abandonment_rate", "csat")
    assert {day: tuple(row[f] for f in figures) for day, row in rows.items()} == {
        "2026-11-19": (0, 0, 0, 0.0, None, None),
        "2026-11-20": (2, 2, 1, 329.95, 0.5, 75.0),
        "2026-11-21": (1, 0, 0, 0.0, None, None),  # the late visitor, on Amsterdam's day
        "2026-11-22": (0, 0, 0, 0.0, None, None),
    }
    # and the total is the period's, its rates from the summed counts
    total = report["total"]
    assert total["date"] == "2026-11-19..2026-11-22"
    assert tuple(total[f] for f in figures) == (3, 2, 1, 329.95, 0.5, 75.0)


def test_an_agent_may_not_read_reports(demo_site: Site) -> None:
    query = {"from": "2026-11-19", "to": "2026-11-20"}
    for path, params in [
        ("/v1/reports/daily", query),
        ("/v1/reports/daily.csv", query),
        ("/v1/reports/staffing", None),
    ]:
        status, answer = get_json(path, AGENT, params)
        assert (status, answer["error"]["code"]) == (403, "forbidden"), path


def test_without_a_token_there_is_no_report(demo_site: Site) -> None:
    status, answer = get_json("/v1/reports/daily", None, {"from": "2026-11-19", "to": "2026-11-20"})
    assert (status, answer["error"]["code"]) == (401, "unauthorized")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        pytest.param({"from": "2026-11-20", "to": "2026-11-19"}, "from", id="from after to"),
        pytest.param({"from": "2025-11-19", "to": "2026-11-20"}, "to", id="367 days"),
        pytest.param({"from": "2026-11-19"}, "to", id="no to"),
        pytest.param({"to": "2026-11-19"}, "from", id="no from"),
        pytest.param({"from": "2026-02-30", "to": "2026-03-02"}, "from", id="no such date"),
        pytest.param({"from": "yesterday", "to": "2026-03-02"}, "from", id="not a date"),
    ],
)
def test_bad_ranges_are_refused(demo_site: Site, query: dict[str, str], field: str) -> None:
    for path in ("/v1/reports/daily", "/v1/reports/daily.csv"):
        status, answer = get_json(path, OPERATOR, query)
        assert status == 422, answer
        assert answer["error"]["code"] == "validation_failed"
        assert any(detail["field"].endswith(field) for detail in answer["error"]["details"]), answer


def test_a_whole_leap_year_is_allowed(demo_site: Site) -> None:
    status, report = get_json("/v1/reports/daily", OPERATOR, {"from": "2028-01-01", "to": "2028-12-31"})
    assert status == 200
    assert len(report["rows"]) == 366
    assert report["rows"][-1]["date"] == "2028-12-31"


def test_the_csv_download_holds_the_json_rows(demo_site: Site, dynamodb: Any, table_name: str) -> None:
    # given counters on two days, with an agent's chats on one of them
    add_counters(
        dynamodb, table_name, "demo", "2026-11-20",
        {"sessions": 12, "cart_sessions": 4, "converted_cart_sessions": 1, "purchases": 2, "revenue": 99.5,
         "csat_n": 3, "csat_good": 2, "agent#mirjam#chats": 2},
    )  # fmt: skip
    add_counters(dynamodb, table_name, "demo", "2026-11-21", {"sessions": 5})
    query = {"from": "2026-11-20", "to": "2026-11-22"}
    _, report = get_json("/v1/reports/daily", OPERATOR, query)

    # when the operator downloads the CSV
    status, headers, body = get("/v1/reports/daily.csv", OPERATOR, query)

    # then it is a CSV attachment with one line per JSON row, holding the same figures
    assert status == 200
    assert headers["content-type"].startswith("text/csv")
    assert headers["content-disposition"] == 'attachment; filename="klantreis-demo-2026-11-20-2026-11-22.csv"'
    lines = list(csv.DictReader(io.StringIO(body)))
    assert [line["date"] for line in lines] == [row["date"] for row in report["rows"]]
    for line, row in zip(lines, report["rows"], strict=True):
        for field in ("sessions", "cart_sessions", "purchases", "revenue", "cart_abandonment_rate", "csat"):
            assert line[field] == ("" if row[field] is None else str(row[field])), field
        assert line["agent:mirjam:chats"] == str(row["agents"].get("mirjam", {}).get("chats", ""))
    assert lines[0]["revenue"] == "99.5"
    assert lines[0]["cart_abandonment_rate"] == "0.75"


def test_service_per_agent_and_category_channels_and_chat_revenue_in_json_and_csv(
    demo_site: Site, other_site: Site, dynamodb: Any, table_name: str
) -> None:
    # given a day of the demo site with mirjam's boot chats, their surveys and a conversion
    cell = "agent_category#mirjam#dameslaarzen#"
    add_counters(
        dynamodb, table_name, "demo", "2026-11-20",
        {"chats_started": 2, "chats_converted": 1, "chat_revenue": 296.96, "preferred_channel_answers": 2,
         "channel#phone": 1, "channel#chat": 1, "category_channel#dameslaarzen#phone": 1,
         f"{cell}chats": 2, f"{cell}ces_n": 2, f"{cell}ces_sum": 5, f"{cell}handled": 2,
         f"{cell}handled_resolved": 2, f"{cell}handled_resolved_followed_up": 1, f"{cell}waits": 2,
         f"{cell}wait_seconds_sum": 50, f"{cell}answered_in_time": 1, f"{cell}revenue": 296.96},
    )  # fmt: skip
    query = {"from": "2026-11-20", "to": "2026-11-20"}

    # when the operator reads the report as JSON and as CSV
    status, report = get_json("/v1/reports/daily", OPERATOR, query)
    _, _, body = get("/v1/reports/daily.csv", OPERATOR, query)

    # then each figure is there with its sample, money with its currency
    assert status == 200, report
    total = report["total"]
    boots = total["agent_categories"]["mirjam"]["dameslaarzen"]
    assert (boots["ces"], boots["ces_answers"], boots["first_contact_resolution"], boots["handled"]) == (
        2.5, 2, 0.5, 2,
    )  # fmt: skip
    assert (boots["mean_wait_seconds"], boots["service_level"], boots["waits"]) == (25.0, 0.5, 2)
    assert (total["chat_revenue"], report["currency"], total["chat_conversion_rate"]) == (296.96, "EUR", 0.5)
    assert total["preferred_channels"] == {"chat": 1, "phone": 1}
    assert total["preferred_channels_by_category"] == {"dameslaarzen": {"phone": 1}}
    [line] = list(csv.DictReader(io.StringIO(body)))
    assert (line["chat_revenue"], line["currency"]) == ("296.96", "EUR")
    assert line["agent_category:mirjam:dameslaarzen:first_contact_resolution"] == "0.5"
    assert line["preferred_channel:phone"] == "1"
    # and another site's operator sees none of it
    _, other = get_json("/v1/reports/daily", OTHER_OPERATOR, query)
    assert other["total"]["agent_categories"] == other["total"]["preferred_channels"] == {}
    assert (other["total"]["chat_revenue"], other["currency"]) == (0.0, other_site.currency)


def test_another_sites_operator_sees_only_their_own_site(
    demo_site: Site, other_site: Site, dynamodb: Any, table_name: str
) -> None:
    # given activity on the demo site only
    add_counters(
        dynamodb, table_name, "demo", "2026-11-20", {"sessions": 40, "purchases": 3, "revenue": 120.0}
    )
    # when the other shop's operator asks for the same days (naming the demo site changes nothing)
    query = {"from": "2026-11-20", "to": "2026-11-20", "site_id": "demo"}
    status, report = get_json("/v1/reports/daily", OTHER_OPERATOR, query)
    # then they get their own site's (empty) figures in their own time zone
    assert status == 200
    assert (report["site_id"], report["timezone"]) == ("other-shop", "Europe/Lisbon")
    assert [(row["sessions"], row["purchases"], row["revenue"]) for row in report["rows"]] == [(0, 0, 0.0)]
    # while the demo operator sees the demo's
    _, own = get_json("/v1/reports/daily", OPERATOR, query)
    assert [(row["sessions"], row["purchases"], row["revenue"]) for row in own["rows"]] == [(40, 3, 120.0)]


def test_staffing_says_something_after_a_first_day_of_traffic(
    demo_site: Site, dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a site whose first traffic is today: the clock at 14:30 in Amsterdam, and four chats
    # and 20 sessions at 10:00 today (the site's local day), two of them ended after 10 minutes
    now = datetime(2026, 11, 26, 14, 30, tzinfo=demo_site.zone)
    monkeypatch.setitem(app.dependency_overrides, dependencies.now, lambda: now.astimezone(UTC))
    today = now.date()
    add_counters(
        dynamodb, table_name, "demo", today.isoformat(),
        {names.hourly_counter(10, "sessions"): 20, names.hourly_counter(10, "chats"): 4,
         names.hourly_counter(10, "ended"): 2, names.hourly_counter(10, "handle_seconds"): 1200},
    )  # fmt: skip

    # when the operator asks for the staffing of the last two weeks
    status, plan = get_json("/v1/reports/staffing", OPERATOR, {"weeks": "2"})

    # then today counts (up to its current hour), not the empty days before the first traffic
    assert status == 200, plan
    assert (plan["days"], plan["first_day"], plan["last_day"], plan["last_hour"]) == (
        1, today.isoformat(), today.isoformat(), 14,
    )  # fmt: skip
    assert (plan["target_share"], plan["target_seconds"]) == (0.8, 30)
    assert len(plan["hours"]) == 168
    ten = plan["hours"][today.weekday() * 24 + 10]
    assert (ten["weekday"], ten["hour"], ten["days"], ten["estimated"]) == (today.weekday(), 10, 1, False)
    assert ten["arrivals_per_hour"] == 4.0
    assert ten["handle_seconds"] == 600.0
    assert ten["agents_needed"] >= 1
    assert ten["open"] is True  # the demo site is open all week
    assert plan["peak"]["hour"] == 10
    # the other weekdays' 10:00 are estimated from today's; hours after now are not observed yet
    other = plan["hours"][((today.weekday() + 1) % 7) * 24 + 10]
    assert (other["estimated"], other["days"], other["arrivals_per_hour"]) == (True, 0, 4.0)
    later = plan["hours"][today.weekday() * 24 + 16]
    assert (later["days"], later["estimated"], later["arrivals_per_hour"]) == (0, False, 0.0)


def test_staffing_of_the_weeks_before_leaves_out_days_before_the_first_traffic(
    demo_site: Site, dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given traffic at 10:00 on the same weekday one and two weeks ago, none since
    now = datetime(2026, 11, 26, 0, 30, tzinfo=demo_site.zone)
    monkeypatch.setitem(app.dependency_overrides, dependencies.now, lambda: now.astimezone(UTC))
    for weeks_ago, chats in ((2, 6), (1, 2)):
        day = (now.date() - timedelta(days=7 * weeks_ago)).isoformat()
        add_counters(dynamodb, table_name, "demo", day, {names.hourly_counter(10, "chats"): chats})
    # when
    status, plan = get_json("/v1/reports/staffing", OPERATOR, {"weeks": "3"})
    # then the means are over the days from the first traffic on: 15 days, two of that weekday
    assert status == 200, plan
    assert plan["days"] == 15
    ten = plan["hours"][now.weekday() * 24 + 10]
    assert (ten["days"], ten["arrivals_per_hour"]) == (2, 4.0)


def test_staffing_uses_the_webshop_hours_of_a_site_without_its_own(other_site: Site) -> None:
    status, plan = get_json("/v1/reports/staffing", OTHER_OPERATOR)
    assert status == 200
    assert (plan["days"], plan["first_day"], plan["peak"]) == (0, None, None)  # no traffic yet
    monday = plan["hours"][:24]
    assert [hour["open"] for hour in monday] == [8 <= h < 21 for h in range(24)]


@pytest.mark.parametrize("weeks", ["0", "27", "four"])
def test_staffing_weeks_out_of_range_are_refused(demo_site: Site, weeks: str) -> None:
    status, answer = get_json("/v1/reports/staffing", OPERATOR, {"weeks": weeks})
    assert (status, answer["error"]["code"]) == (422, "validation_failed")


def test_the_html_report_of_a_range_is_the_nightly_page_for_the_operator(
    demo_site: Site, dynamodb: Any, table_name: str
) -> None:
    # given CSAT answers on one day
    add_counters(dynamodb, table_name, "demo", "2026-11-20", {"surveys": 4, "csat_n": 4, "csat_good": 3})
    # when the operator asks for the page of three days
    status, headers, page = get(
        "/v1/reports/daily.html", OPERATOR, {"from": "2026-11-19", "to": "2026-11-21"}
    )
    # then it is the report page of that range, styled by itself and allowed nothing else
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert page.lower().startswith("<!doctype html>")
    assert "2026-11-19 to 2026-11-21" in page
    assert "Demo schoenenwinkel" in page
    assert "script-src" not in headers["content-security-policy"]
    assert headers["content-security-policy"].startswith("default-src 'none'")
    assert headers["x-content-type-options"] == "nosniff"


def test_the_html_report_is_the_sites_operators_only(demo_site: Site, other_site: Site) -> None:
    query = {"from": "2026-11-19", "to": "2026-11-21"}
    assert get("/v1/reports/daily.html", AGENT, query)[0] == 403
    assert get("/v1/reports/daily.html", None, query)[0] == 401
    status, _, other = get("/v1/reports/daily.html", OTHER_OPERATOR, query)
    assert status == 200
    assert "Demo schoenenwinkel" not in other
    assert get("/v1/reports/daily.html", OPERATOR, {"from": "2026-11-21", "to": "2026-11-19"})[0] == 422
