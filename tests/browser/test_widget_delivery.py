"""The widget on the demo shop in a real browser: consent, SPA page views, delivery through an
unreachable API and through navigations, and a chat that survives a reload. Every test also fails
on a console error or a CSP violation (see conftest)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from klantreis_local.shop import STRICT_CSP
from tests.browser.conftest import Shopper

FAILED_REQUEST = "net::ERR_FAILED"


def stored_counts(shopper: Shopper) -> dict[str, int]:
    state = shopper.session_state()
    assert state is not None, "the session was not stored"
    return dict(state.counts_by_type)


def test_without_consent_not_one_request_leaves_the_page_and_with_it_tracking_starts(
    shopper: Shopper,
) -> None:
    # given the shop under its strict CSP, its banner waiting for a choice
    response = shopper.page.goto(f"{shopper.base}/demo/")
    assert response is not None
    assert response.headers["content-security-policy"] == STRICT_CSP
    expect(shopper.shop("consent-accept")).to_be_visible()
    shopper.page.wait_for_function("() => window.klantreis && window.klantreis.v === 1")
    # when the shopper refuses and shops on, idles and leaves pages
    shopper.shop("consent-deny").click()
    shopper.open("/demo/products/b-39")
    shopper.shop("add-to-cart").click()
    shopper.shop("cart-link").click()
    shopper.shop("checkout").click()
    shopper.page.clock.fast_forward("02:00")
    shopper.open("/demo/c/sneakers")
    # then not one request went to Klantreis, and nothing of it is kept in the browser
    assert shopper.api_calls() == []
    kept = shopper.page.evaluate("() => ['kr_v', 'kr_s', 'kr_q'].map((key) => localStorage.getItem(key))")
    assert kept == [None, None, None]

    # when the shopper changes their mind in the cookie settings
    shopper.page.locator("#cookie-settings").click()
    shopper.shop("consent-accept").click()
    shopper.open("/demo/products/b-41")
    shopper.flush()
    # then tracking starts, stating consent
    sent = shopper.events()
    assert [e["type"] for e in sent] == ["page_view", "product_view"]
    assert all(
        call.body["consent"] in (True, "granted") for call in shopper.calls if call.path == "/v1/events"
    )
    assert stored_counts(shopper) == {"page_view": 1, "product_view": 1}


def test_spa_navigation_produces_page_views(shopper: Shopper) -> None:
    # given a shopper who accepted, on a category page
    shopper.open("/demo/c/dameslaarzen")
    shopper.shop("consent-accept").click()
    # when they switch categories in the page (history.pushState) and go back (popstate)
    shopper.page.locator(".tabs a", has_text="Sneakers").click()
    expect(shopper.page.locator("h1")).to_have_text("Sneakers")
    shopper.page.locator(".tabs a", has_text="Herenschoenen").click()
    expect(shopper.page.locator("h1")).to_have_text("Herenschoenen")
    shopper.page.go_back()
    expect(shopper.page.locator("h1")).to_have_text("Sneakers")
    shopper.flush()
    # then each address is a page view, in order
    paths = [e["url"].removeprefix(shopper.base) for e in shopper.events() if e["type"] == "page_view"]
    assert paths == ["/demo/c/dameslaarzen", "/demo/c/sneakers", "/demo/c/herenschoenen", "/demo/c/sneakers"]


def test_events_queued_while_the_api_is_unreachable_arrive_once_when_it_is_back(shopper: Shopper) -> None:
    shopper.tolerated = (FAILED_REQUEST,)
    page = shopper.page
    # given a shopper who accepted, and then an API that cannot be reached
    shopper.open("/demo/")
    shopper.shop("consent-accept").click()
    shopper.flush()
    page.route("**/v1/events?*", lambda route: route.abort())
    # when they shop on: the widget's delivery fails and it keeps the events
    shopper.open("/demo/products/b-39")
    with page.expect_event("requestfailed", predicate=lambda request: "/v1/events" in request.url):
        shopper.shop("add-to-cart").click()
    page.wait_for_function("() => JSON.parse(localStorage.getItem('kr_q') || '[]').length === 3")
    # and the next page starts with the stored queue
    shopper.open("/demo/cart")
    # when the API is back and the backoff timer has fired
    page.unroute("**/v1/events?*")
    page.clock.fast_forward("05:00")
    page.wait_for_function("() => !JSON.parse(localStorage.getItem('kr_q') || 'null')", timeout=15_000)
    # then every event arrived exactly once
    assert stored_counts(shopper) == {"page_view": 3, "product_view": 1, "add_to_cart": 1}


def test_a_navigation_during_a_flush_loses_nothing(shopper: Shopper) -> None:
    # given a shopper who accepted, on a slow connection (every request takes 400 ms)
    shopper.open("/demo/")
    shopper.shop("consent-accept").click()
    shopper.flush()
    cdp = shopper.context.new_cdp_session(shopper.page)
    conditions: dict[str, Any] = {
        "offline": False,
        "latency": 400,
        "downloadThroughput": -1,
        "uploadThroughput": -1,
    }
    cdp.send("Network.emulateNetworkConditions", conditions)
    shopper.open("/demo/products/b-39")
    # when they add the boots and leave for the cart while the flush is on its way
    shopper.shop("add-to-cart").click()
    shopper.page.evaluate("() => window.klantreis('flush')")
    shopper.shop("cart-link").click()
    expect(shopper.page.locator("h1")).to_have_text("Je winkelwagen")
    shopper.page.wait_for_function("() => window.klantreis && window.klantreis.v === 1")
    shopper.flush()
    # then every event arrived, each once (the beacon may repeat what the flush carried)
    assert stored_counts(shopper) == {"page_view": 3, "product_view": 1, "add_to_cart": 1}


def test_a_reload_keeps_the_chat(shopper: Shopper) -> None:
    # given a shopper who opened the chat from the launcher and asked about a size
    shopper.open("/demo/products/b-39")
    shopper.shop("consent-accept").click()
    shopper.widget("launcher").click()
    expect(shopper.widget("prechat")).to_be_visible()
    shopper.page.locator("#klantreis [data-kr='chat-category'][value='maat']").check()
    shopper.widget("chat-input").fill("Welke maat heb ik nodig bij een brede voet?")
    shopper.widget("chat-send").click()
    visitor_lines = shopper.widget("message").and_(shopper.page.locator("[data-from='visitor']"))
    expect(visitor_lines).to_have_count(1)
    # when they reload the page, and then go to another page
    shopper.page.reload()
    # then the chat is still open with the question in it, and so after the navigation
    expect(shopper.widget("chat")).to_be_visible()
    expect(visitor_lines).to_have_count(1)
    shopper.shop("cart-link").click()
    expect(shopper.widget("chat")).to_be_visible()
    expect(visitor_lines).to_have_text(["Jij: Welke maat heb ik nodig bij een brede voet?"])


def test_the_csp_watch_sees_a_violation(shopper: Shopper) -> None:
    # The other tests' "no CSP violation" means something only if the watch sees one.
    shopper.open("/demo/")
    shopper.page.evaluate("() => document.body.setAttribute('style', 'outline: 1px solid red')")
    for _ in range(100):
        if any(p.startswith("CSP: style-src") for p in shopper.problems):
            break
        shopper.page.wait_for_timeout(20)
    assert any(p.startswith("CSP: style-src") for p in shopper.problems), shopper.problems
    assert any(p.startswith("console: Applying inline style violates") for p in shopper.problems)
    shopper.problems.clear()
