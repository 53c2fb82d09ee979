"""The agents' console in a real browser on the local stack: sign-in, the new-chat alert (chime,
title badge, desktop notification), unread counts and the keyboard shortcuts, resync after a
dropped connection (nothing lost, nothing twice), the heartbeat's failure warning, the discount
within the mandate, going offline on sign-out; every agent page without console errors, without
serious or critical axe violations, and screenshotted into artifacts/."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from klantreis_local.stack import RunningStack
from tests.browser.console_helpers import (
    clean_desks,
    console_tab,
    give_a_discount_after_one_above_the_mandate,
    hook,
    inbox_item,
    message_texts,
    start_chat,
    visitor_says,
)
from tests.browser.test_annas_story import http, token

__all__ = ["clean_desks"]  # the fixture, imported for pytest
SYNC_WAIT_MS = 15_000
NETWORK_ERRORS = ("net::ERR_INTERNET_DISCONNECTED", "net::ERR_FAILED")


def test_signing_in_shows_every_agent_page_accessibly(
    browser: Browser, stack: RunningStack, clean_desks: None
) -> None:
    with console_tab(browser, stack, user=None) as tab:
        # the sign-in page offers each seeded user
        expect(hook(tab, "dev-login").locator("[data-user]")).to_have_count(3)
        tab.screenshot("console-sign-in")
        assert tab.axe("#console") == []
        # when mirjam signs in, with a chat waiting for her
        tab.page.locator("[data-user='mirjam']").click()
        chat = start_chat(tab.base, "visitor-pages", "dameslaarzen", "Hebben jullie deze laars in maat 41?")
        # then her chats page opens it, with suggestions and the visitor beside it
        expect(hook(tab, "message")).to_contain_text("maat 41", timeout=SYNC_WAIT_MS)
        expect(inbox_item(tab, chat)).to_be_visible()
        expect(hook(tab, "suggestion").first).to_be_visible()
        expect(hook(tab, "visitor-context")).to_be_visible()
        expect(hook(tab, "shortcuts")).to_contain_text("Alt+N")
        tab.screenshot("console-agent-chats")
        assert tab.axe("#console") == []
        # and her feedback page has its tiles and table
        tab.page.locator("nav a", has_text="My feedback").click()
        expect(hook(tab, "agent-feedback")).to_contain_text("Surveys")
        tab.screenshot("console-agent-feedback")
        assert tab.axe("#console") == []


def test_a_new_chat_alerts_with_a_chime_a_title_badge_and_a_notification(
    browser: Browser, stack: RunningStack, clean_desks: None
) -> None:
    with console_tab(browser, stack) as tab:
        tab.context.grant_permissions(["notifications"])
        # given mirjam reads her feedback (no chat on screen)
        tab.page.locator("nav a", has_text="My feedback").click()
        expect(hook(tab, "status")).to_have_value("available")
        expect(tab.page).to_have_title("My feedback · Klantreis")
        # when a visitor starts a boot chat
        chat = start_chat(tab.base, "visitor-alert", "dameslaarzen", "Is deze laars waterdicht?")
        # then the console alerts: the toast, the title badge, the chime and a desktop notification
        alert = hook(tab, "new-chat-alert")
        expect(alert).to_contain_text("dameslaarzen", timeout=SYNC_WAIT_MS)
        expect(tab.page).to_have_title(re.compile(r"^\(1\) My feedback"))
        assert tab.page.evaluate("() => window.__krChimes") >= 1
        assert tab.page.evaluate("() => window.__krNotified") == ["New chat"]
        tab.screenshot("console-agent-new-chat-alert")
        assert tab.axe("#console") == []
        # when she follows it, the chat opens, the badge and the alert go
        hook(tab, "new-chat-open").click()
        expect(tab.page).to_have_url(re.compile(f"#/chats/{chat['chat_id']}$"))
        expect(hook(tab, "message")).to_contain_text("waterdicht")
        expect(tab.page).to_have_title("Chats · Klantreis")
        expect(alert).to_have_count(0)


def test_unread_counts_and_the_keyboard_shortcuts(
    browser: Browser, stack: RunningStack, clean_desks: None
) -> None:
    with console_tab(browser, stack) as tab:
        first = start_chat(tab.base, "visitor-one", "dameslaarzen", "Eerste vraag")
        second = start_chat(tab.base, "visitor-two", "dameslaarzen", "Tweede vraag")
        # the first chat opens by itself; the second has one unread message
        expect(tab.page).to_have_url(re.compile(f"#/chats/{first['chat_id']}$"), timeout=SYNC_WAIT_MS)
        expect(inbox_item(tab, second).locator("[data-kr='unread']")).to_have_text("1", timeout=SYNC_WAIT_MS)
        visitor_says(tab.base, second, "Hallo? Nog iemand daar?")
        expect(inbox_item(tab, second).locator("[data-kr='unread']")).to_have_text("2", timeout=SYNC_WAIT_MS)
        expect(tab.page).to_have_title("(2) Chats · Klantreis")
        # Alt+N opens the chat with unread messages, which then counts as read
        tab.page.keyboard.press("Alt+N")
        expect(tab.page).to_have_url(re.compile(f"#/chats/{second['chat_id']}$"))
        expect(hook(tab, "message").last).to_contain_text("Nog iemand daar")
        expect(inbox_item(tab, second).locator("[data-kr='unread']")).to_have_count(0)
        expect(tab.page).to_have_title("Chats · Klantreis")
        # Enter sends; Alt+E ends the open chat, not resolved when unticked
        hook(tab, "chat-input").fill("Ja, ik help je graag!")
        hook(tab, "chat-input").press("Enter")
        expect(hook(tab, "message").and_(tab.page.locator("[data-from='agent']"))).to_have_text(
            re.compile("Ja, ik help je graag!")
        )
        expect(hook(tab, "chat-input")).to_have_value("")
        hook(tab, "end-resolved").uncheck()
        tab.page.keyboard.press("Alt+E")
        expect(inbox_item(tab, second)).to_have_count(0, timeout=SYNC_WAIT_MS)
        mirjam = token(tab.base, "mirjam", "agent")
        _, ended = http(tab.base, "GET", f"/v1/chats/{second['chat_id']}", mirjam)
        assert (ended["status"], ended["resolved"]) == ("ended", False)


def test_after_a_dropped_connection_the_chat_resyncs_without_loss_or_duplicates(
    browser: Browser, stack: RunningStack, clean_desks: None
) -> None:
    with console_tab(browser, stack) as tab:
        tab.tolerated = NETWORK_ERRORS
        chat = start_chat(tab.base, "visitor-drop", "dameslaarzen", "Een")
        expect(hook(tab, "message")).to_have_count(1, timeout=SYNC_WAIT_MS)
        hook(tab, "chat-input").fill("Twee")
        hook(tab, "chat-send").click()
        expect(hook(tab, "message")).to_have_count(2)
        # when the connection drops while the visitor writes on
        tab.context.set_offline(True)
        tab.page.clock.fast_forward(5_000)
        expect(hook(tab, "sync-warning")).to_be_visible(timeout=SYNC_WAIT_MS)
        for text in ("Drie", "Vier", "Vijf"):
            visitor_says(tab.base, chat, text)
        tab.page.clock.fast_forward(20_000)
        # and comes back
        tab.context.set_offline(False)
        tab.page.clock.fast_forward(20_000)
        # then every message is there once, in order, and the warning is gone
        expect(hook(tab, "sync-warning")).to_have_count(0, timeout=SYNC_WAIT_MS)
        expect(hook(tab, "message")).to_have_count(5, timeout=SYNC_WAIT_MS)
        assert message_texts(tab) == ["Een", "Twee", "Drie", "Vier", "Vijf"]
        tab.page.clock.fast_forward(10_000)
        expect(hook(tab, "message")).to_have_count(5)


def test_a_failing_heartbeat_is_shown_until_it_beats_again(
    browser: Browser, stack: RunningStack, clean_desks: None
) -> None:
    with console_tab(browser, stack) as tab:
        tab.tolerated = NETWORK_ERRORS
        expect(hook(tab, "status")).to_have_value("available")
        expect(hook(tab, "heartbeat-warning")).to_have_count(0)
        # when the heartbeat cannot get through
        tab.page.route("**/heartbeat", lambda route: route.abort())
        tab.page.clock.fast_forward(31_000)
        # then the agent is warned that she will count as offline
        expect(hook(tab, "heartbeat-warning")).to_contain_text("offline", timeout=SYNC_WAIT_MS)
        tab.screenshot("console-agent-heartbeat-warning")
        assert tab.axe("#console") == []
        # and once it beats again the warning goes
        tab.page.unroute("**/heartbeat")
        tab.page.clock.fast_forward(31_000)
        expect(hook(tab, "heartbeat-warning")).to_have_count(0, timeout=SYNC_WAIT_MS)


def test_discounts_within_the_mandate_and_offline_on_sign_out(
    browser: Browser, stack: RunningStack, clean_desks: None
) -> None:
    with console_tab(browser, stack, user="sven") as tab:
        start_chat(tab.base, "visitor-sneaker", "sneakers", "Korting op deze sneakers?")
        expect(hook(tab, "message")).to_have_count(1, timeout=SYNC_WAIT_MS)
        # sven's mandate is 10%: 15% is refused clearly, 10% gives a code that shows in the chat
        code = give_a_discount_after_one_above_the_mandate(tab, mandate=10, refused=15, given=10)
        assert re.fullmatch(r"KR-[A-Z0-9]{10}", code)
        # when he signs out he is offline, and the sign-in page is back
        hook(tab, "sign-out").click()
        expect(hook(tab, "dev-login")).to_be_visible()
        ops = token(tab.base, "ops", "operator")
        _, sven = http(tab.base, "GET", "/v1/agents/sven", ops)
        assert (sven["set_status"], sven["status"]) == ("offline", "offline")
