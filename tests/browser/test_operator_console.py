"""The operator's side of the console in a real browser: the feedback loop (surveys rate mirjam
high and sven low on `dameslaarzen`, both serving it; the report's agent x category table shows it,
new boot chats go to mirjam and the routing record says why), the report page, the live view with
feedback arriving, the staffing heatmap after a first day of traffic, and every operator page
without serious or critical axe-core violations, console errors or CSP violations (the fixture
fails the test on those). Screenshots go to artifacts/browser/."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from klantreis_local.runtime import DEMO_SITE, DEMO_SITE_KEY
from tests.browser.conftest import Shopper

BOOTS = "dameslaarzen"
SURVEYS_EACH = 8
"""Surveys per agent: with 8 answers each (all 4-5 for mirjam, all 1 for sven) predictive
routing's satisfaction posteriors are Beta(10, 2) and Beta(2, 10), so a Thompson draw for sven
beating mirjam's is a chance of about one in 100,000 per chat."""
WAIT_SECONDS = 30
UI_WAIT_MS = 15_000
WIDGET = {"X-Site-Key": DEMO_SITE_KEY}


def http(
    base: str, method: str, path: str, *, bearer: str | None = None, body: Any = None, widget: bool = False
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", **(WIDGET if widget else {})}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{base}{path}", data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            text = answer.read()
            return answer.status, json.loads(text) if text else None
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"null")


def token(base: str, sub: str, role: str) -> str:
    status, answer = http(base, "GET", f"/dev/token?site_id={DEMO_SITE}&sub={sub}&role={role}")
    assert status == 200, answer
    return str(answer["token"])


def today() -> str:
    return datetime.now(ZoneInfo("Europe/Amsterdam")).date().isoformat()


class Desk:
    """The demo site's agents and operator through the API."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.ops = token(base, "ops", "operator")
        self.agents = {agent: token(base, agent, "agent") for agent in ("mirjam", "sven")}
        self.visitors = 0

    def serve_boots(self, agent_id: str, display_name: str, categories: list[str], mandate: float) -> None:
        profile = {
            "display_name": display_name,
            "categories": categories,
            "max_chats": 2,
            "discount_mandate_percent": mandate,
        }
        status, answer = http(self.base, "PUT", f"/v1/agents/{agent_id}", bearer=self.ops, body=profile)
        assert status == 200, answer

    def status(self, agent_id: str, status: str) -> None:
        code, answer = http(
            self.base,
            "PUT",
            f"/v1/agents/{agent_id}/status",
            bearer=self.agents[agent_id],
            body={"status": status},
        )
        assert code == 200, answer

    def boots_chat(self) -> dict[str, Any]:
        """A new visitor asks about boots; the chat as created."""
        self.visitors += 1
        body = {
            "visitor_id": f"loop-{self.visitors:03d}", "session_id": "s-1", "category": BOOTS,
            "message": "Vallen deze laarzen normaal op maat?",
        }  # fmt: skip
        status, chat = http(self.base, "POST", "/v1/chats", body=body, widget=True)
        assert status == 201, chat
        return dict(chat)

    def end(self, chat: dict[str, Any]) -> None:
        agent = chat["agent"]["agent_id"]
        status, answer = http(
            self.base,
            "POST",
            f"/v1/chats/{chat['chat_id']}/end",
            bearer=self.agents[agent],
            body={"resolved": True},
        )
        assert status == 200, answer

    def survey(self, chat: dict[str, Any], **answers: Any) -> None:
        body = {"chat_id": chat["chat_id"], "token": chat["survey_token"], **answers}
        status, answer = http(self.base, "POST", "/v1/surveys", body=body, widget=True)
        assert status == 201, answer

    def rated_chats(self, agent_id: str, **answers: Any) -> None:
        for _ in range(SURVEYS_EACH):
            chat = self.boots_chat()
            assert (chat["status"], chat["agent"]["agent_id"]) == ("assigned", agent_id), chat
            self.end(chat)
            self.survey(chat, **answers)

    def report(self, day: str) -> dict[str, Any]:
        status, report = http(self.base, "GET", f"/v1/reports/daily?from={day}&to={day}", bearer=self.ops)
        assert status == 200, report
        return dict(report)

    def wait_for_cells(self, day: str, answers: int) -> dict[str, Any]:
        """Today's total once the stream has carried `answers` surveys of each agent on boots."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            total = self.report(day)["total"]
            cells = total["agent_categories"]
            counted = [
                cells.get(agent, {}).get(BOOTS, {}).get("csat_answers", 0) for agent in ("mirjam", "sven")
            ]
            if counted == [answers, answers] or time.monotonic() > deadline:
                return dict(total)
            time.sleep(0.2)


def sign_in_operator(shopper: Shopper) -> Page:
    page = shopper.page
    page.goto(f"{shopper.base}/console/")
    page.locator("[data-kr='dev-login'] [data-user='ops']").click()
    expect(page.locator("[data-kr='user']")).to_contain_text("operator", timeout=UI_WAIT_MS)
    return page


def open_report(page: Page, base: str, day: str) -> None:
    page.goto(f"{base}/console/#/report/{day}/{day}")
    expect(page.locator(f"[data-kr='report-body'][data-from='{day}']")).to_be_visible(timeout=UI_WAIT_MS)


def no_serious_violations(shopper: Shopper, name: str) -> None:
    violations = shopper.axe("main")
    assert violations == [], f"{name}: {violations}"


def cell_row(page: Page, agent: str) -> Any:
    table = page.locator("[data-kr='service-agent-categories']")
    return table.locator("tbody tr").filter(has_text=agent).filter(has_text=BOOTS)


def test_the_feedback_loop_as_the_operator_sees_it(shopper: Shopper) -> None:
    # given mirjam and sven both serve boots
    desk = Desk(shopper.base)
    desk.serve_boots("sven", "Sven", ["herenschoenen", "sneakers", BOOTS], 10)
    desk.status("mirjam", "available")
    desk.status("sven", "available")
    # when boots chats go to mirjam alone (sven away) and their surveys rate her high...
    desk.status("sven", "away")
    desk.rated_chats("mirjam", csat=5, nps=10, ces=1, preferred_channel="chat")
    # ...and then to sven alone, whose surveys rate him low
    desk.status("sven", "available")
    desk.status("mirjam", "away")
    desk.rated_chats(
        "sven", csat=1, nps=2, ces=6, preferred_channel="phone", comment="Geen antwoord op mijn vraag"
    )
    desk.status("mirjam", "available")
    day = today()
    total = desk.wait_for_cells(day, SURVEYS_EACH)
    assert total["agent_categories"]["mirjam"][BOOTS]["csat"] == 100.0
    assert total["agent_categories"]["sven"][BOOTS]["csat"] == 0.0

    # then the operator's report shows it per agent x category, with the samples
    page = sign_in_operator(shopper)
    open_report(page, shopper.base, day)
    expect(cell_row(page, "mirjam")).to_contain_text(f"100% (n={SURVEYS_EACH})")
    expect(cell_row(page, "mirjam")).to_contain_text(f"+100 (n={SURVEYS_EACH})")
    expect(cell_row(page, "sven")).to_contain_text(f"0% (n={SURVEYS_EACH})")
    expect(cell_row(page, "sven")).to_contain_text(f"-100 (n={SURVEYS_EACH})")
    expect(cell_row(page, "sven")).to_contain_text(f"6.0 (n={SURVEYS_EACH})")  # effort
    expect(page.locator("[data-kr='preferred-channels'] [data-channel='phone']")).to_contain_text(
        str(SURVEYS_EACH)
    )
    page.locator("[data-kr='service-agent-categories']").scroll_into_view_if_needed()
    shopper.screenshot("operator-report-agent-by-category")

    # and new boot chats go to mirjam, the routing record saying why
    for _ in range(2):
        chat = desk.boots_chat()
        assert chat["agent"]["agent_id"] == "mirjam", chat
        status, routing = http(shopper.base, "GET", f"/v1/chats/{chat['chat_id']}/routing", bearer=desk.ops)
        assert status == 200, routing
        record = routing["records"][-1]
        assert (record["outcome"], record["agent_id"], record["strategy"]) == (
            "assigned",
            "mirjam",
            "predictive",
        )
        by_agent = {candidate["agent_id"]: candidate for candidate in record["candidates"]}
        assert set(by_agent) == {"mirjam", "sven"}
        assert by_agent["mirjam"]["expected_satisfaction"] > by_agent["sven"]["expected_satisfaction"]
        assert record["candidates"][0]["agent_id"] == "mirjam"  # the first candidate won
        desk.end(chat)


@pytest.mark.parametrize("page_id", ["report", "live", "staffing"])
def test_operator_pages_pass_axe_and_load_cleanly(shopper: Shopper, page_id: str) -> None:
    page = sign_in_operator(shopper)
    page.goto(f"{shopper.base}/console/#/{page_id}")
    hook = {"report": "report-body", "live": "live-visitors", "staffing": "staffing-heatmap"}[page_id]
    expect(page.locator(f"[data-kr='{hook}']")).to_be_visible(timeout=UI_WAIT_MS)
    no_serious_violations(shopper, page_id)
    shopper.screenshot(f"operator-{page_id}")
