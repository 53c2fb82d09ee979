"""The operator's Settings and Decision log pages of the console in chromium, against the local
stack: each settings form refuses bad input at the field it is about (the API's 422 beside the
input, nothing stored) and a good save persists; knowledge-base entries are created, edited and
deleted; the decision log shows a visitor's real decisions and a chat's routing record with the
winner and why; axe-core finds nothing serious or critical on any of these pages, and no page logs
a console error. The deployed sign-in runs against a fake Cognito hosted UI (playwright routes):
code flow with PKCE, a forged callback refused, sign-out revoking the refresh token."""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.error import HTTPError
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from klantreis.engagement.decide import in_holdout
from klantreis_local.runtime import DEMO_SITE, DEMO_SITE_KEY
from klantreis_local.stack import RunningStack
from tests.browser.conftest import ARTIFACTS, HOLDOUT_SHARE, Shopper
from tests.browser.console_helpers import console_tab
from tests.factories import anna_journey, batch, event

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
"""The widget's requests come from a browser (a script's own User-Agent is a bot's to decide)."""
REFUSED = "status of 422"
"""Chromium logs every 4xx answer as a console error; a form's refused save is one by design."""


@dataclass
class Http:
    """The local API as the widget and an operator's scripts call it (urllib, no browser)."""

    stack: RunningStack

    def call(self, method: str, path: str, body: Any = None, *, token: str | None = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json", "Origin": self.stack.base_url, "User-Agent": BROWSER}
        if token is None:
            headers["X-Site-Key"] = DEMO_SITE_KEY
        else:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.stack.base_url}{path}", data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, json.loads(answer.read() or b"null")
        except HTTPError as refused:
            return refused.code, json.loads(refused.read() or b"null")

    def token(self, sub: str, role: str) -> str:
        url = f"{self.stack.base_url}/dev/token?site_id={DEMO_SITE}&sub={sub}&role={role}"
        with urllib.request.urlopen(url, timeout=30) as answer:
            token: str = json.loads(answer.read())["token"]
        return token

    def get(self, path: str) -> Any:
        status, body = self.call("GET", path, token=self.token("ops", "operator"))
        assert status == 200, (path, status, body)
        return body


@dataclass
class Operator:
    """An operator's console tab (a watched tab: console errors and CSP violations fail the test)
    and the settings forms' inputs by their field path (`data-field`)."""

    tab: Shopper

    @property
    def page(self) -> Page:
        return self.tab.page

    @property
    def tolerated(self) -> tuple[str, ...]:
        return self.tab.tolerated

    @tolerated.setter
    def tolerated(self, texts: tuple[str, ...]) -> None:
        self.tab.tolerated = texts

    def go(self, hash_path: str) -> None:
        """Opens a console page afresh: a hash change alone could come before the console listens
        for it (right after sign-in); a load reads the hash at start (the sign-in is kept)."""
        self.page.goto(f"{self.tab.base}/console/{hash_path}")
        self.page.reload()
        self.page.wait_for_load_state("load")

    def hook(self, name: str) -> Locator:
        return self.page.locator(f"[data-kr='{name}']")

    def field(self, path: str) -> Locator:
        return self.page.locator(f"[data-field='{path}']")

    def fill(self, path: str, value: str) -> None:
        self.field(path).locator("input, textarea").first.fill(value)

    def error_at(self, path: str) -> Locator:
        return self.field(path).locator(".field-error")

    def save(self) -> None:
        self.hook("settings-save").click()

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def http(stack: RunningStack) -> Http:
    return Http(stack)


@pytest.fixture
def operator(browser: Browser, stack: RunningStack) -> Iterator[Operator]:
    with console_tab(browser, stack, "ops") as tab:
        yield Operator(tab)


def no_serious_violations(operator: Operator, page_name: str) -> None:
    violations = operator.tab.axe("body")
    assert violations == [], f"{page_name}: {violations}"


def open_checked(operator: Operator, hash_path: str, hook: str, screenshot: str) -> None:
    """Opens a page, waits for its hook, checks it with axe and takes its screenshot."""
    operator.go(hash_path)
    expect(operator.hook(hook)).to_be_visible()
    no_serious_violations(operator, hash_path)
    operator.screenshot(screenshot)


# ---------------------------------------------------------------- settings
def test_opening_hours_refuse_bad_input_at_the_field_and_keep_a_good_save(
    operator: Operator, http: Http
) -> None:
    operator.tolerated = (REFUSED,)
    hours_path = f"/v1/sites/{DEMO_SITE}/opening-hours"
    before = http.get(hours_path)
    open_checked(operator, "#/settings/hours", "settings-hours", "console-settings-hours")
    # when Tuesday has a time past midnight and the zone is unknown
    operator.fill("weekly.tue", "08:00-25:00")
    operator.fill("timezone", "Mars/Olympus")
    operator.save()
    # then each refusal shows at its own input, marked invalid, and the others show none
    expect(operator.error_at("weekly.tue")).to_contain_text("pattern")
    expect(operator.error_at("timezone")).to_contain_text("unknown time zone")
    expect(operator.field("weekly.tue").locator("input")).to_have_attribute("aria-invalid", "true")
    expect(operator.error_at("weekly.wed")).to_have_count(0)
    no_serious_violations(operator, "opening hours with errors")
    operator.screenshot("console-settings-hours-refused")
    assert http.get(hours_path) == before
    # when those are right but Monday ends before it starts (a check of the whole week)
    operator.fill("weekly.tue", "08:00-21:00")
    operator.fill("timezone", "Europe/Amsterdam")
    operator.fill("weekly.mon", "21:00-08:00")
    operator.save()
    # then the week's refusal shows at Monday, and the fixed fields are clear
    expect(operator.error_at("weekly.mon")).to_contain_text("end after it starts")
    expect(operator.error_at("weekly.tue")).to_have_count(0)
    expect(operator.error_at("timezone")).to_have_count(0)
    # and nothing was stored
    assert http.get(hours_path) == before
    # when the operator corrects them, with a closed Sunday and a Christmas exception
    operator.fill("weekly.mon", "08:00-12:00, 13:00-21:00")
    operator.fill("weekly.sun", "")
    operator.hook("hours-add-exception").click()
    operator.hook("hours-exception-date").last.fill("2026-12-25")
    operator.save()
    # then it is saved, the errors are gone, and the API holds exactly that
    expect(operator.hook("settings-saved")).to_be_visible()
    expect(operator.page.locator(".field-error")).to_have_count(0)
    stored = http.get(hours_path)
    assert stored["weekly"]["mon"] == [["08:00", "12:00"], ["13:00", "21:00"]]
    assert stored["weekly"]["tue"] == [["08:00", "21:00"]]
    assert stored["weekly"]["sun"] == []
    assert stored["exceptions"] == {"2026-12-25": []}
    # and a fresh page shows the stored hours
    operator.page.reload()
    shown = "08:00\u201312:00, 13:00\u201321:00"  # written with en dashes
    expect(operator.field("weekly.mon").locator("input")).to_have_value(shown)
    # the demo stays open around the clock for the other tests of this module's stack
    status, _ = http.call("PUT", hours_path, before, token=http.token("ops", "operator"))
    assert status == 200


def test_engagement_rules_refuse_bad_input_at_the_field_and_keep_a_good_save(
    operator: Operator, http: Http
) -> None:
    operator.tolerated = (REFUSED,)
    rules_path = f"/v1/sites/{DEMO_SITE}/engagement-rules"
    before = http.get(rules_path)
    operator.go("#/settings/rules")
    expect(operator.hook("rule")).to_have_count(len(before["rules"]))
    open_checked(operator, "#/settings/rules", "settings-rules", "console-settings-rules")
    # when the holdout is above half, a risk above 1, a page path without its slash and a cap "veel"
    operator.fill("holdout_share", "0.9")
    operator.fill("rules.0.triggers.min_abandonment_risk", "1.5")
    operator.fill("rules.0.triggers.url_patterns", "checkout")
    operator.fill("caps.per_day", "veel")
    operator.save()
    # then each shows at its input, and nothing is stored
    expect(operator.error_at("holdout_share")).to_contain_text("0.5")
    expect(operator.error_at("rules.0.triggers.min_abandonment_risk")).to_contain_text("1")
    expect(operator.error_at("rules.0.triggers.url_patterns")).to_contain_text("pattern")
    expect(operator.error_at("caps.per_day")).to_be_visible()
    assert http.get(rules_path) == before
    # when two rules share an id, the list itself says so
    operator.fill("holdout_share", "0.2")
    operator.fill("rules.0.triggers.min_abandonment_risk", "0.3")
    operator.fill("rules.0.triggers.url_patterns", "/checkout*")
    operator.fill("caps.per_day", "3")
    operator.hook("rules-add").click()
    added = len(before["rules"])
    operator.fill(f"rules.{added}.rule_id", before["rules"][0]["rule_id"])
    operator.fill(f"rules.{added}.name", "Sneakers, long look")
    operator.fill(f"rules.{added}.message", "Vragen over sneakers?")
    operator.save()
    expect(operator.page.locator("[data-field='rules'].field-error")).to_contain_text("unique")
    assert http.get(rules_path) == before
    # when the new rule gets its own id, all is saved as typed
    operator.fill(f"rules.{added}.rule_id", "sneakers-look")
    operator.fill(f"rules.{added}.triggers.categories", "sneakers")
    operator.fill(f"rules.{added}.triggers.min_idle_seconds", "40")
    operator.save()
    expect(operator.hook("settings-saved")).to_be_visible()
    stored = http.get(rules_path)
    assert stored["holdout_share"] == 0.2
    assert stored["caps"]["per_day"] == 3
    assert stored["rules"][0]["triggers"]["min_abandonment_risk"] == 0.3
    assert stored["rules"][0]["triggers"]["url_patterns"] == ["/checkout*"]
    new_rule = stored["rules"][added]
    assert (new_rule["rule_id"], new_rule["message"], new_rule["triggers"]["categories"]) == (
        "sneakers-look",
        "Vragen over sneakers?",
        ["sneakers"],
    )
    assert new_rule["triggers"]["min_idle_seconds"] == 40
    # the fields the form leaves alone are kept (the other rules' settings)
    assert stored["rules"][1:added] == before["rules"][1:]
    status, _ = http.call("PUT", rules_path, before, token=http.token("ops", "operator"))
    assert status == 200


def test_agent_profiles_and_mandates(operator: Operator, http: Http) -> None:
    operator.tolerated = (REFUSED,)
    operator.go("#/settings/agents")
    expect(operator.hook("agents-table")).to_contain_text("Sven")
    no_serious_violations(operator, "agents")
    # when sven's mandate is raised and his chats set past the limit
    operator.page.locator("[data-kr='agent-edit'][data-agent='sven']").click()
    operator.fill("max_chats", "50")
    operator.fill("discount_mandate_percent", "12.5")
    operator.save()
    # then the limit is refused at its field and nothing changes
    expect(operator.error_at("max_chats")).to_contain_text("20")
    assert http.get("/v1/agents/sven")["max_chats"] == 2
    operator.screenshot("console-settings-agents-refused")
    # when corrected, both are stored
    operator.fill("max_chats", "3")
    operator.save()
    expect(operator.hook("settings-saved")).to_be_visible()
    sven = http.get("/v1/agents/sven")
    assert (sven["max_chats"], sven["discount_mandate_percent"]) == (3, 12.5)
    expect(operator.hook("agents-table")).to_contain_text("12.5%")
    # and a new agent is created with their categories
    operator.hook("agent-new").click()
    operator.fill("agent_id", "lotte")
    operator.fill("display_name", "Lotte")
    operator.fill("categories", "sneakers, dameslaarzen")
    operator.fill("discount_mandate_percent", "5")
    operator.save()
    expect(operator.hook("settings-saved")).to_be_visible()
    lotte = http.get("/v1/agents/lotte")
    assert (lotte["display_name"], lotte["categories"], lotte["discount_mandate_percent"]) == (
        "Lotte",
        ["sneakers", "dameslaarzen"],
        5,
    )
    expect(operator.hook("agents-table")).to_contain_text("Lotte")
    operator.screenshot("console-settings-agents")


def test_knowledge_entries_are_created_edited_and_deleted(operator: Operator, http: Http) -> None:
    operator.tolerated = (REFUSED,)
    count = len(http.get("/v1/knowledge/entries")["entries"])
    operator.go("#/settings/knowledge")
    expect(operator.hook("knowledge-table").locator("tbody tr")).to_have_count(count)
    open_checked(operator, "#/settings/knowledge", "knowledge-table", "console-settings-knowledge")
    # when an entry without text is saved, the text field says so and nothing is stored
    operator.hook("knowledge-new").click()
    operator.fill("title", "Cadeaubon inwisselen")
    operator.save()
    expect(operator.error_at("body")).to_be_visible()
    assert len(http.get("/v1/knowledge/entries")["entries"]) == count
    # when it is complete, it is stored and listed
    operator.fill("body", "Een cadeaubon wissel je in bij de laatste stap van het afrekenen.")
    operator.fill("keywords", "kadobon, gift card, voucher")
    operator.field("stages").get_by_label("checkout").check()
    operator.save()
    expect(operator.hook("settings-saved")).to_be_visible()
    [created] = [
        e for e in http.get("/v1/knowledge/entries")["entries"] if e["title"] == "Cadeaubon inwisselen"
    ]
    assert (created["keywords"], created["stages"], created["kind"]) == (
        ["kadobon", "gift card", "voucher"],
        ["checkout"],
        "faq",
    )
    row = operator.page.locator(f"[data-kr='knowledge-entry'][data-entry-id='{created['entry_id']}']")
    expect(row).to_have_count(1)
    # when it is edited, the same entry changes
    row.locator("[data-kr='knowledge-edit']").click()
    operator.fill("title", "Cadeaubon of gift card inwisselen")
    operator.save()
    expect(operator.hook("settings-saved")).to_be_visible()
    entries = {e["entry_id"]: e for e in http.get("/v1/knowledge/entries")["entries"]}
    assert entries[created["entry_id"]]["title"] == "Cadeaubon of gift card inwisselen"
    assert len(entries) == count + 1
    expect(operator.hook("knowledge-table")).to_contain_text("Cadeaubon of gift card inwisselen")
    # when it is deleted (asked twice), it is gone
    row.locator("[data-kr='knowledge-delete']").click()
    no_serious_violations(operator, "knowledge base, deleting")
    row.locator("[data-kr='knowledge-delete-confirm']").click()
    expect(row).to_have_count(0)
    assert created["entry_id"] not in {e["entry_id"] for e in http.get("/v1/knowledge/entries")["entries"]}


# ---------------------------------------------------------------- decision log
def anna_like(http: Http, prefix: str) -> tuple[str, str]:
    """A visitor like Anna outside the holdout, tracked to checkout step 2 (consent given)."""
    visitor = next(
        f"{prefix}-{n}" for n in range(1000) if not in_holdout(DEMO_SITE, f"{prefix}-{n}", HOLDOUT_SHARE)
    )
    session = f"{visitor}-s1"
    started = datetime.now(UTC) - timedelta(minutes=4)
    body = batch(*anna_journey(started), visitor_id=visitor, session_id=session) | {"consent": "granted"}
    status, answer = http.call("POST", "/v1/events", body)
    assert status == 200, answer
    assert answer["accepted"] == 7, answer
    return visitor, session


def decide(http: Http, visitor: str, session: str) -> dict[str, Any]:
    body = {"visitor_id": visitor, "session_id": session, "idle_seconds": 30, "consent": "granted"}
    status, answer = http.call("POST", "/v1/engagement/decide", body)
    assert status == 200, answer
    return dict(answer)


def test_the_decision_log_shows_a_visitors_decisions_with_reason_rule_scores_and_features(
    operator: Operator, http: Http
) -> None:
    # given a visitor like Anna offered a chat, and the same visitor browsing in a second session
    visitor, session = anna_like(http, "log")
    offered = decide(http, visitor, session)
    assert offered["reason"] == "qualified"
    browsing = f"{visitor}-s2"
    status, _ = http.call(
        "POST",
        "/v1/events",
        batch(
            event("page_view", at=datetime.now(UTC), url="https://shop.example/"),
            visitor_id=visitor,
            session_id=browsing,
        )
        | {"consent": "granted"},
    )
    assert status == 200
    assert decide(http, visitor, browsing)["reason"] == "not_qualified"
    logged = http.get(f"/v1/visitors/{visitor}/decisions")["decisions"]
    # when the operator looks the visitor up on the decision log
    operator.go("#/decisions")
    operator.hook("decision-visitor").fill(visitor)
    operator.hook("decision-show").click()
    # then every decision shows, newest first, with its reason in words
    decisions = operator.hook("decision")
    expect(decisions).to_have_count(2)
    expect(decisions.nth(0)).to_have_attribute("data-reason", "not_qualified")
    expect(decisions.nth(1)).to_have_attribute("data-reason", "qualified")
    qualified = decisions.nth(1)
    expect(qualified.locator("[data-kr='decision-reason']")).to_contain_text("Offered")
    # with the rule, the scores and the top features
    rule = next(d for d in logged if d["reason"] == "qualified")
    expect(qualified).to_contain_text(rule["rule_id"])
    expect(qualified).to_contain_text(offered["offer_id"])
    expect(qualified).to_contain_text("Purchase intent")
    expect(qualified).to_contain_text("Abandonment risk")
    features = qualified.locator("[data-kr='decision-features'] tbody tr")
    expect(features).to_have_count(len(rule["top_features"]))
    assert len(rule["top_features"]) > 0
    expect(qualified.locator("[data-kr='decision-features']")).to_contain_text(
        rule["top_features"][0]["feature"]
    )
    no_serious_violations(operator, "decision log, visitor")
    operator.screenshot("console-decision-log-visitor")
    # and one session alone narrows it to that session's decisions
    operator.go(f"#/decisions/visitor/{visitor}/{session}")
    expect(operator.hook("decision")).to_have_count(1)
    expect(operator.hook("decision")).to_have_attribute("data-reason", "qualified")


def test_the_decision_log_shows_a_chats_routing_record_with_the_winner_and_why(
    operator: Operator, http: Http
) -> None:
    # given a chat in a category both demo agents serve (herenschoenen)
    visitor, session = anna_like(http, "routed")
    status, started = http.call(
        "POST",
        "/v1/chats",
        {"visitor_id": visitor, "session_id": session, "category": "herenschoenen", "message": "Welke maat?"},
    )
    assert status == 201, started
    chat_id = started["chat_id"]
    [record] = http.get(f"/v1/chats/{chat_id}/routing")["records"]
    assert record["outcome"] == "assigned"
    assert len(record["candidates"]) == 2
    winner, runner_up = (c["agent_id"] for c in record["candidates"])
    # when the operator opens the chat's routing record
    operator.go("#/decisions")
    operator.hook("routing-chat").fill(chat_id)
    operator.hook("routing-show").click()
    # then every candidate shows with its scores, the chosen one marked
    expect(operator.hook("routing-record")).to_have_count(1)
    candidates = operator.hook("routing-candidate")
    expect(candidates).to_have_count(2)
    expect(candidates.nth(0)).to_have_attribute("data-agent", winner)
    expect(candidates.nth(0)).to_have_attribute("data-winner", "true")
    expect(candidates.nth(1)).not_to_have_attribute("data-winner", "true")
    expect(operator.hook("routing-candidates")).to_contain_text("Expected satisfaction")
    # and why the chosen one won, against the runner-up
    why = operator.hook("routing-why")
    expect(why).to_contain_text(f"{winner} won")
    expect(why).to_contain_text(record["reason"])
    expect(why).to_contain_text(runner_up)
    no_serious_violations(operator, "decision log, chat")
    operator.screenshot("console-decision-log-routing")


# ---------------------------------------------------------------- deployed sign-in
HOSTED_UI = "https://klantreis-test-123456789012.auth.eu-west-1.amazoncognito.com"


def deployed_config(console_url: str) -> dict[str, Any]:
    """The console's config.json as publish_console.py writes it, the API on the console's origin."""
    auth = {"kind": "cognito", "domain": HOSTED_UI, "client_id": "client-1", "redirect_uri": console_url}
    return {"api": "", "auth": auth}


@dataclass
class FakeHostedUi:
    """Cognito's hosted UI and token endpoint as the deployed console meets them, served by
    playwright's routing: the authorize page signs `ops` in at once and sends the browser back
    with a code; the token endpoint exchanges that code once, only for the verifier whose S256
    hash is the challenge the authorize request carried (what Cognito does for a public client).
    The ID token it hands out is a real local token, so the local API accepts it."""

    redirect_uri: str
    id_token: str
    challenges: dict[str, str] = field(default_factory=dict)
    exchanges: list[dict[str, list[str]]] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    logged_out: list[str] = field(default_factory=list)

    def authorize(self, route: Any) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(route.request.url).query).items()}
        assert (query["response_type"], query["code_challenge_method"]) == ("code", "S256")
        assert query["redirect_uri"] == self.redirect_uri
        code = f"code-{len(self.challenges) + 1}"
        self.challenges[code] = query["code_challenge"]
        target = f"{self.redirect_uri}?code={code}&state={query['state']}"
        route.fulfill(status=302, headers={"Location": target})

    def token(self, route: Any) -> None:
        form = parse_qs(route.request.post_data or "")
        self.exchanges.append(form)
        cors = {"Access-Control-Allow-Origin": "*"}
        if form.get("grant_type") == ["refresh_token"] and form.get("refresh_token") == ["refresh-1"]:
            route.fulfill(
                status=200,
                headers=cors,
                json={"id_token": self.id_token, "access_token": "access-2", "expires_in": 3600},
            )
            return
        challenge = self.challenges.pop(form.get("code", [""])[0], None)
        verifier = form.get("code_verifier", [""])[0].encode()
        hashed = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
        if challenge is None or hashed != challenge:
            route.fulfill(status=400, headers=cors, json={"error": "invalid_grant"})
            return
        tokens = {
            "id_token": self.id_token,
            "access_token": "access",
            "refresh_token": "refresh-1",
            "expires_in": 3600,
        }
        route.fulfill(status=200, headers=cors, json=tokens)

    def revoke(self, route: Any) -> None:
        self.revoked.append(parse_qs(route.request.post_data or "").get("token", [""])[0])
        route.fulfill(status=200, headers={"Access-Control-Allow-Origin": "*"}, body="")

    def logout(self, route: Any) -> None:
        self.logged_out.append(route.request.url)
        route.fulfill(status=302, headers={"Location": self.redirect_uri})


def test_the_deployed_console_signs_in_through_the_hosted_ui_with_pkce_and_refreshes(
    browser: Browser, stack: RunningStack, http: Http
) -> None:
    # given the console configured as publish_console.py writes it, and Cognito's hosted UI
    # (the local page's CSP names only its own origin; the deployed one names the sign-in domain,
    # checked in tests/integration/test_template_console.py)
    console_url = f"{stack.base_url}/console/"
    hosted = FakeHostedUi(redirect_uri=console_url, id_token=http.token("ops", "operator"))
    config = deployed_config(console_url)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    context.clock.install(time=datetime.now(UTC))
    problems: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.route("**/console/config.json", lambda route: route.fulfill(json=config))
    page.route(f"{HOSTED_UI}/oauth2/authorize*", hosted.authorize)
    page.route(f"{HOSTED_UI}/oauth2/token", hosted.token)
    page.route(f"{HOSTED_UI}/oauth2/revoke", hosted.revoke)
    page.route(f"{HOSTED_UI}/logout*", hosted.logout)
    try:
        # when the operator opens the console and signs in
        page.goto(console_url)
        page.locator("[data-kr='cognito-login'] [data-kr='sign-in']").click()
        # then they are back in the console, signed in as the token's user, and the API answers
        expect(page.locator("[data-kr='user']")).to_contain_text("operator")
        expect(page.locator("[data-kr='report']")).to_be_visible()
        # (a page load, not a hash change: the sign-in is kept in the tab, and the hash is read
        # at start rather than raced against the listener's first render)
        page.goto(f"{console_url}#/settings/knowledge")
        page.reload()
        expect(page.locator("[data-kr='knowledge-table'] tbody tr").first).to_be_visible()
        # and the code was exchanged once, with the verifier of the challenge, and left the URL
        [exchange] = hosted.exchanges
        assert exchange["grant_type"] == ["authorization_code"]
        assert exchange["redirect_uri"] == [console_url]
        assert "code=" not in page.url
        # when the hour of the ID token is nearly over, the console refreshes it and stays signed in
        expires = page.evaluate("() => JSON.parse(sessionStorage.getItem('kr_console_tokens')).expiresAt")
        # (jump to near the hour's end, then let 90 s of the page's time run: the renewal check,
        # every 30 s, comes due in that window whatever the machine's own pace)
        page.clock.fast_forward("59:00")
        page.clock.run_for(90_000)
        page.wait_for_function(
            "(before) => JSON.parse(sessionStorage.getItem('kr_console_tokens')).expiresAt > before",
            arg=expires,
        )
        assert [e["grant_type"] for e in hosted.exchanges] == [["authorization_code"], ["refresh_token"]]
        page.locator("[data-kr='settings-agents-link']").click()
        expect(page.locator("[data-kr='agents-table']")).to_contain_text("Mirjam")
        # when the operator signs out, the refresh token is revoked and the hosted UI's session ends
        with page.expect_request(f"{HOSTED_UI}/logout*"):
            page.locator("[data-kr='sign-out']").click()
        page.wait_for_url(console_url)
        expect(page.locator("[data-kr='cognito-login']")).to_be_visible()
        assert hosted.revoked == ["refresh-1"]
        [logout] = hosted.logged_out
        assert "client_id=client-1" in logout
        assert page.evaluate("() => sessionStorage.getItem('kr_console_tokens')") is None
        assert problems == []
    finally:
        context.close()


def test_a_sign_in_answer_this_tab_did_not_ask_for_is_refused(browser: Browser, stack: RunningStack) -> None:
    # given a callback URL with a code and a state no sign-in of this tab started (a forged link)
    console_url = f"{stack.base_url}/console/"
    config = deployed_config(console_url)
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    asked: list[str] = []
    page.route("**/console/config.json", lambda route: route.fulfill(json=config))

    def refuse(route: Any) -> None:
        asked.append(route.request.url)
        route.abort()

    page.route(f"{HOSTED_UI}/**", refuse)
    try:
        page.goto(f"{console_url}?code=stolen&state=forged")
        # then the console stays signed out, says why, asks the token endpoint nothing
        expect(page.locator("[data-kr='cognito-login']")).to_be_visible()
        expect(page.locator("[role='alert']").first).to_contain_text("sign-in")
        assert asked == []
        assert "code=" not in page.url
    finally:
        context.close()
