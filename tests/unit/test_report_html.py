"""The nightly report page: self-contained, escaped, and with its charts."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from html.parser import HTMLParser

from klantreis.engagement.config import WEEKDAYS, OpeningHours
from klantreis.reports import names
from klantreis.reports.daily import DailyRow, daily_rows, period_total, rows_csv
from klantreis.reports.html import render_html
from klantreis.reports.staffing import Staffing, staffing

EVIL = '<script>alert("x")</script>'
EVIL_AGENT = "x<img src=https://evil.example/a.png onerror=alert(1)>"
EVIL_CATEGORY = '"><svg onload=alert(1)>'


def counters(day: int) -> dict[str, float]:
    return {
        "sessions": 200 + 10 * day,
        "cart_sessions": 40,
        "checkout_sessions": 20,
        "purchase_sessions": 10 + day,
        "converted_cart_sessions": 9,
        "purchases": 11 + day,
        "revenue": 1_000.0 + day,
        "offers": 100,
        "offered_sessions": 90,
        "offered_converted_sessions": 14,
        "holdout_sessions": 12,
        "holdout_converted_sessions": 1,
        "offers_accepted": 25,
        "chats_started": 27,
        "chats_converted": 6,
        "chats_assigned": 25,
        "chats_ended": 24,
        "chats_resolved": 20,
        "csat_n": 10,
        "csat_good": 8,
        "nps_n": 10,
        "nps_promoters": 6,
        "nps_detractors": 2,
        names.wait_bucket(0): 20,
        names.wait_bucket(6): 5,
        names.agent_counter("mirjam", "chats"): 15,
        names.agent_counter("mirjam", "csat_n"): 6,
        names.agent_counter("mirjam", "csat_good"): 5,
        names.agent_counter("mirjam", "nps_n"): 6,
        names.agent_counter("mirjam", "nps_promoters"): 1,
        names.agent_counter("mirjam", "nps_detractors"): 4,
        names.agent_counter(EVIL_AGENT, "chats"): 10,
        names.agent_counter(EVIL_AGENT, "csat_n"): 4,
        names.agent_counter(EVIL_AGENT, "csat_good"): 2,
        names.category_counter(EVIL_CATEGORY, "chats"): 5,
        names.category_counter(EVIL_CATEGORY, "nps_n"): 3,
        names.category_counter(EVIL_CATEGORY, "csat_n"): 2,
        names.category_counter(EVIL_CATEGORY, "csat_good"): 1,
        names.category_counter(EVIL_CATEGORY, "nps_promoters"): 3,
        names.hourly_counter(20, "sessions"): 60,
        names.hourly_counter(10, "sessions"): 20,
        names.hourly_counter(10, "chats"): 3,
        names.hourly_counter(10, "ended"): 3,
        names.hourly_counter(10, "handle_seconds"): 1_500,
    }


def report(with_staffing: bool = True) -> tuple[list[DailyRow], DailyRow, Staffing | None]:
    start = date(2026, 11, 16)
    by_day = {(start + timedelta(days=i)).isoformat(): counters(i) for i in range(14)}
    first, last = min(by_day), max(by_day)
    rows = daily_rows(first, last, by_day)
    total = period_total(first, last, by_day)
    office = OpeningHours(weekly={day: [("09:00", "17:00")] for day in WEEKDAYS[:5]})
    return rows, total, staffing(by_day, office) if with_staffing else None


def page(site_name: str = "Schoenen & Zo") -> str:
    rows, total, plan = report()
    return render_html(site_name, rows, total, plan, currency="EUR")


def test_every_user_string_is_escaped() -> None:
    # when
    text = page(site_name=EVIL)
    # then nothing from data becomes markup
    assert "<script" not in text
    assert "<img" not in text
    assert (
        "onload=alert" not in text.replace("&quot;", '"').split("<svg onload")[0] or "<svg onload" not in text
    )
    assert "<svg onload" not in text
    assert "&lt;script&gt;" in text
    assert "x&lt;img src=https://evil.example/a.png onerror=alert(1)&gt;" in text
    assert "&quot;&gt;&lt;svg onload=alert(1)&gt;" in text


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)


def parsed(text: str) -> _Tags:
    parser = _Tags()
    parser.feed(text)
    parser.close()
    return parser


def test_the_page_is_self_contained() -> None:
    # when
    text = page()
    tags = parsed(text)
    # then: no scripts, no linked or embedded assets, no fetched CSS
    assert text.startswith("<!DOCTYPE html>")
    assert "<script" not in text.lower()
    assert not {"script", "link", "img", "iframe", "object", "embed", "image", "use"} & set(tags.tags)
    assert not [value for name, value in tags.attributes if name in ("src", "href", "xlink:href")]
    assert not [value for _, value in tags.attributes if value and re.search(r"https?:|//", value)]
    assert "@import" not in text
    assert "url(" not in text
    assert "<style>" in text


def test_the_parsed_page_has_only_our_tags_and_no_event_handlers() -> None:
    parser = parsed(page(site_name=EVIL))
    allowed = {
        "html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "p", "div", "b", "span",
        "svg", "text", "rect", "line", "circle", "g", "table", "tr", "th", "td",
    }  # fmt: skip
    assert set(parser.tags) <= allowed
    assert not [name for name, _ in parser.attributes if name.startswith("on")]


def test_the_charts_are_inline_svg() -> None:
    text = page()
    for heading in (
        "Funnel",
        "Conversion per day",
        "Uplift of proactive chat",
        "Satisfaction per agent",
        "Satisfaction per category",
        "Staffing",
    ):
        assert f"<h2>{heading}</h2>" in text
    assert text.count("<svg") >= 9  # 2 funnels, conversion, uplift, 2 x (CSAT, NPS), staffing
    assert 'aria-label="Uplift with its 95% interval"' in text
    assert 'aria-label="Staffing per hour of the week"' in text
    assert '<meta name="viewport"' in text


def test_the_uplift_text_gives_the_interval() -> None:
    _, total, _ = report()
    text = page()
    detail = total.uplift_interval
    assert detail.estimate is not None
    assert detail.low is not None
    assert f"uplift {detail.estimate * 100:+.1f} pp" in text
    assert f"95% interval {detail.low * 100:+.1f} pp" in text


def test_staffing_flags_closed_evenings() -> None:
    text = page()
    assert 'class="missed"' in text
    assert "closed while shoppers are online" in text


def test_without_staffing_or_data_the_page_still_renders() -> None:
    # given an empty period
    rows = daily_rows("2026-11-16", "2026-11-17", {})
    total = period_total("2026-11-16", "2026-11-17", {})
    # when
    text = render_html("demo", rows, total, None, currency="EUR")
    # then
    assert "<h2>Staffing</h2>" not in text
    assert "No uplift yet" in text
    assert "No surveys yet" in text
    assert render_html("demo", [], total, None, currency="EUR").count("<svg") >= 2


def test_every_chart_is_well_formed_svg() -> None:
    charts = re.findall(r"<svg .*?</svg>", page(site_name=EVIL), re.DOTALL)
    assert len(charts) >= 9
    for chart in charts:
        root = ET.fromstring(chart)
        assert root.tag == "svg"
        assert root.get("viewBox")


def test_the_offer_funnel_has_its_own_steps_blocked_reasons_and_money_its_currency() -> None:
    # given a day of 40 decisions: 20 qualified, 10 offered, 4 accepted, 3 rejected, 2 ignored,
    # and offers blocked for being outside the hours and for no free agent; 30 chats in all
    day = {
        "decisions": 40, "qualified": 20, "offers": 10, "offers_accepted": 4, "offers_rejected": 3,
        "offers_ignored": 2, "blocked_outside_hours": 6, "blocked_no_agent": 4, "chats_started": 30,
        "revenue": 2070.0,
    }  # fmt: skip
    rows = daily_rows("2026-12-01", "2026-12-01", {"2026-12-01": day})
    total = period_total("2026-12-01", "2026-12-01", {"2026-12-01": day})
    # when the page is rendered for a site in euros
    text = render_html("demo", rows, total, None, currency="EUR")
    # then the offers' funnel runs qualified -> offered -> accepted, never into all chats
    assert "4 (20%)" in text  # accepted of the qualified, not of the chats
    assert "372%" not in text
    assert "(150%)" not in text  # 30 chats are not a step of 20 qualified
    assert "Rejected 3, ignored 2" in text
    assert "outside hours 6" in text
    assert "no agent 4" in text
    assert "EUR 2,070.00" in text
    # and the row reports the same figures
    assert (total.qualified, total.offers_rejected, total.offers_ignored) == (20, 3, 2)
    assert (total.blocked_outside_hours, total.blocked_no_agent, total.offer_acceptance_rate) == (6, 4, 0.4)
    header = rows_csv(rows).splitlines()[0].split(",")
    assert {"offers_rejected", "offers_ignored", "blocked_no_agent", "blocked_capped"} <= set(header)


def test_chat_revenue_service_per_agent_and_category_and_preferred_channels() -> None:
    # given a day with revenue attributed to chats, service figures of mirjam on boots and
    # surveys naming channels
    day = {
        "chats_started": 4, "chats_converted": 2, "chat_revenue": 659.9,
        names.agent_category_counter("mirjam", "dameslaarzen", "chats"): 4,
        names.agent_category_counter("mirjam", "dameslaarzen", "ces_n"): 2,
        names.agent_category_counter("mirjam", "dameslaarzen", "ces_sum"): 5,
        names.agent_category_counter("mirjam", "dameslaarzen", "handled"): 4,
        names.agent_category_counter("mirjam", "dameslaarzen", "handled_resolved"): 3,
        names.agent_category_counter("mirjam", "dameslaarzen", "waits"): 4,
        names.agent_category_counter("mirjam", "dameslaarzen", "wait_seconds_sum"): 48,
        names.agent_category_counter("mirjam", "dameslaarzen", "revenue"): 659.9,
        "preferred_channel_answers": 3,
        names.channel_counter("phone"): 2,
        names.channel_counter("chat"): 1,
        names.category_channel_counter("dameslaarzen", "phone"): 2,
    }  # fmt: skip
    rows = daily_rows("2026-12-01", "2026-12-01", {"2026-12-01": day})
    total = period_total("2026-12-01", "2026-12-01", {"2026-12-01": day})
    # when
    text = render_html("demo", rows, total, None, currency="EUR")
    # then the money has its currency, each figure its sample
    assert "<b>EUR 659.90</b><span>revenue attributed to chats</span>" in text
    assert "<td>mirjam \u00d7 dameslaarzen</td><td>4</td>" in text
    assert "<td>2.5 (n=2)</td><td>75% (n=4)</td><td>12 s (n=4)</td><td>EUR 659.90</td>" in text
    assert "3 surveys named one." in text
    assert "<p>dameslaarzen: phone 2</p>" in text
    assert "2 (67%)" in text


def test_the_heatmap_says_how_much_it_has_seen() -> None:
    by_day = {"2026-12-01": {names.hourly_counter(10, "chats"): 2.0}}
    plan = staffing(by_day, OpeningHours.always_open())
    text = render_html("demo", [], period_total("2026-12-01", "2026-12-01", by_day), plan, currency="EUR")
    assert "Observed: 1 days from 2026-12-01 to 2026-12-01 (up to 23:59)." in text
    assert "estimated from the same hour of the days seen" in text
