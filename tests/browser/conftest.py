"""Real-browser tests: Debian's chromium driven by Python playwright against the local stack (the
same gateway, demo shop and widget files as `make dev`) on an OS-chosen port.

Every test runs in a fresh browser context with playwright's clock installed (time flows
normally; tests jump it forward instead of waiting for idle timers), and every test fails on a
console error, an uncaught page error or a Content-Security-Policy violation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, sync_playwright

from klantreis.engagement.decide import in_holdout
from klantreis.journey.dynamo_store import DynamoSessionStore
from klantreis.journey.session import SessionState
from klantreis_local.browser import CHROMIUM, launch
from klantreis_local.gateway import HANDLER_LOCK
from klantreis_local.runtime import DEMO_SITE
from klantreis_local.stack import RunningStack, running_stack

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
HOLDOUT_SHARE = 0.10
WATCH_PAGE = """
document.addEventListener("securitypolicyviolation", (e) =>
  window.__krViolation(
    `${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`));
"""
"""Added before any script of every page (playwright's init scripts are not subject to the CSP)."""


def visitor_outside_holdout(prefix: str) -> str:
    """A visitor id the demo site's 10% holdout never holds back (the offer must show)."""
    return next(
        f"{prefix}{n:04d}"
        for n in range(1000)
        if not in_holdout(DEMO_SITE, f"{prefix}{n:04d}", HOLDOUT_SHARE)
    )


@dataclass
class ApiCall:
    method: str
    path: str
    query: dict[str, list[str]]
    content_type: str | None
    body: Any


@dataclass
class Shopper:
    """One shopper's browser tab on the demo shop, and what it sent to the API."""

    page: Page
    context: BrowserContext
    stack: RunningStack
    calls: list[ApiCall] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    tolerated: tuple[str, ...] = ()
    """Console messages that are expected in a test (e.g. a request the test itself aborts)."""

    @property
    def base(self) -> str:
        return self.stack.base_url

    def open(self, path: str) -> None:
        self.page.goto(f"{self.base}{path}")
        self.page.wait_for_load_state("load")
        # The widget has run once its global is the real function rather than the queue stub.
        self.page.wait_for_function("() => window.klantreis && window.klantreis.v === 1")

    def widget(self, hook: str) -> Any:
        """A `data-kr` hook inside the widget's open shadow root (CSS locators pierce it)."""
        return self.page.locator(f"#klantreis [data-kr='{hook}']")

    def shop(self, hook: str) -> Any:
        return self.page.locator(f"[data-kr='{hook}']").first

    def events(self) -> list[dict[str, Any]]:
        """Every event the widget delivered to POST /v1/events (fetch or beacon), in order."""
        return [event for call in self.calls if call.path == "/v1/events" for event in call.body["events"]]

    def api_calls(self) -> list[ApiCall]:
        return [call for call in self.calls if call.path.startswith("/v1/")]

    def flush(self) -> None:
        """Asks the widget to send what it has queued now, and waits until it has."""
        self.page.evaluate("() => window.klantreis('flush')")
        self.page.wait_for_function(
            "() => !JSON.parse(localStorage.getItem('kr_q') || 'null')", timeout=15_000
        )

    def ids(self) -> tuple[str, str]:
        visitor, session = self.page.evaluate(
            "() => [JSON.parse(localStorage.getItem('kr_v')), JSON.parse(localStorage.getItem('kr_s')).id]"
        )
        return str(visitor), str(session)

    def session_state(self) -> SessionState | None:
        visitor, session = self.ids()
        with HANDLER_LOCK:
            return DynamoSessionStore(self.stack.dynamodb, self.stack.table_name).get(
                DEMO_SITE, visitor, session, consistent=True
            )

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        return path

    def axe(self, include: str) -> list[dict[str, Any]]:
        """axe-core's serious and critical violations within `include` (a CSS selector, shadow
        roots as a list of selectors), with axe injected from node_modules as the test's own
        script (not the page's: the CSP governs the page)."""
        if not self.page.evaluate("() => typeof window.axe === 'object'"):
            self.page.evaluate(AXE.read_text(encoding="utf-8"))
        results = self.page.evaluate(
            """async (include) => {
                const found = await axe.run({ include: [include] }, { resultTypes: ["violations"] });
                return found.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
                  .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                                 nodes: v.nodes.map((n) => n.target.join(" ")) }));
            }""",
            include,
        )
        return list(results)


def _record(shopper: Shopper, request: Request) -> None:
    parts = urlsplit(request.url)
    if not parts.path.startswith("/v1/"):
        return
    raw = request.post_data
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = raw
    shopper.calls.append(
        ApiCall(request.method, parts.path, parse_qs(parts.query), request.headers.get("content-type"), body)
    )


@pytest.fixture(scope="module")
def stack() -> Iterator[RunningStack]:
    for built in (
        ROOT / "web" / "dist" / "klantreis.js",
        ROOT / "web" / "demo" / "build" / "app.js",
        ROOT / "web" / "dist" / "console" / "console.js",
    ):
        assert built.is_file(), f"{built} is missing: `make web` builds it (make test does)"
    with running_stack() as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).is_file(), "chromium is missing: `make test` installs it (apt-get install chromium)"
    with sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


@contextmanager
def watched_tab(
    browser: Browser, stack: RunningStack, viewport: tuple[int, int] = (1280, 860)
) -> Iterator[Shopper]:
    """A fresh browser context and tab on the stack, on playwright's clock, recording its API
    calls and its problems (console errors, page errors, CSP violations); they must be none when
    the block ends. The shop's tab and the console's tabs alike."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="nl-NL")
    page = context.new_page()
    tab = Shopper(page=page, context=context, stack=stack)
    context.clock.install(time=datetime.now(UTC))
    context.expose_binding("__krViolation", lambda _source, text: tab.problems.append(f"CSP: {text}"))
    context.add_init_script(WATCH_PAGE)
    context.on("request", lambda request: _record(tab, request))

    def console(message: Any) -> None:
        if message.type == "error" and not any(text in message.text for text in tab.tolerated):
            tab.problems.append(f"console: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda error: tab.problems.append(f"page error: {error}"))
    yield tab
    context.close()
    assert tab.problems == [], "the page reported problems"


@pytest.fixture
def shopper(browser: Browser, stack: RunningStack) -> Iterator[Shopper]:
    with watched_tab(browser, stack) as tab:
        yield tab
