"""The console in a real browser: a signed-in console tab (a watched tab like the shopper's, with
spies on the new-chat alert's chime and desktop notification), and the chats a test starts as the
widget would, ended again after each test so the module's stack starts the next one clean."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, expect

from klantreis_local.runtime import DEMO_AGENTS, DEMO_SITE_KEY
from klantreis_local.stack import RunningStack
from tests.browser.conftest import Shopper, watched_tab
from tests.browser.test_annas_story import http, token

CONSOLE_VIEWPORT = (1400, 900)
SYNC_WAIT_MS = 15_000
"""Long enough for the console's polls (2 s) to pick a change up, with room for a busy machine."""
SPIES = """
window.__krChimes = 0;
window.__krNotified = [];
if (window.AudioContext) {
  const create = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () { window.__krChimes += 1; return create.call(this); };
}
if (window.Notification) {
  const Shown = window.Notification;
  window.Notification = class extends Shown {
    constructor(title, options) { window.__krNotified.push(title); super(title, options); }
  };
}
"""
"""Counts the tones the chime plays and the desktop notifications shown (init script, before the
console's own code)."""


def hook(tab: Shopper, name: str) -> Locator:
    return tab.page.locator(f"[data-kr='{name}']")


def inbox_item(tab: Shopper, chat: dict[str, Any]) -> Locator:
    return tab.page.locator(f"[data-kr='inbox-item'][data-chat-id='{chat['chat_id']}']")


def message_texts(tab: Shopper) -> list[str]:
    return [text.strip() for text in hook(tab, "message").locator(".text").all_inner_texts()]


def sign_in(tab: Shopper, user: str) -> None:
    tab.page.goto(f"{tab.base}/console/")
    tab.page.locator(f"[data-kr='dev-login'] [data-user='{user}']").click()
    expect(hook(tab, "user")).to_contain_text(user.capitalize() if user != "ops" else "Ops")


@contextmanager
def console_tab(browser: Browser, stack: RunningStack, user: str | None = "mirjam") -> Iterator[Shopper]:
    """A console tab, signed in as `user` (None: at the sign-in page)."""
    with watched_tab(browser, stack, CONSOLE_VIEWPORT) as tab:
        tab.context.add_init_script(SPIES)
        if user is None:
            tab.page.goto(f"{tab.base}/console/")
        else:
            sign_in(tab, user)
        yield tab


def give_a_discount_after_one_above_the_mandate(
    tab: Shopper, *, mandate: int, refused: int, given: int
) -> str:
    """With the chat open: the mandate shown, `refused`% refused above it (the API's 403, shown as
    such), then `given`% given; the code as the chat shows it."""
    tab.tolerated = (*tab.tolerated, "status of 403")
    expect(hook(tab, "discount-mandate")).to_contain_text(f"{mandate}%")
    hook(tab, "discount-percent").fill(str(refused))
    hook(tab, "discount-give").click()
    expect(hook(tab, "discount-error")).to_contain_text(f"above your mandate of {mandate}%")
    hook(tab, "discount-percent").fill(str(given))
    hook(tab, "discount-give").click()
    expect(hook(tab, "chat-discount-code")).to_contain_text(f"{given}% off", timeout=SYNC_WAIT_MS)
    return hook(tab, "discount-given-code").inner_text().strip()


def widget_headers(base: str, chat_token: str | None = None) -> dict[str, str]:
    headers = {"X-Site-Key": DEMO_SITE_KEY, "Origin": base}
    return {**headers, "X-Chat-Token": chat_token} if chat_token else headers


def start_chat(base: str, visitor_id: str, category: str, message: str) -> dict[str, Any]:
    """A chat the widget starts (its answer: chat id, status, agent, tokens)."""
    body = {
        "visitor_id": visitor_id,
        "session_id": f"{visitor_id}-s",
        "category": category,
        "message": message,
    }
    status, chat = widget_call(base, "POST", "/v1/chats", body)
    assert status == 201, chat
    return dict(chat)


def visitor_says(base: str, chat: dict[str, Any], text: str) -> None:
    status, answer = widget_call(base, "POST", f"/v1/chats/{chat['chat_id']}/messages", {"text": text}, chat)
    assert status == 201, answer


def widget_call(
    base: str, method: str, path: str, body: Any, chat: dict[str, Any] | None = None
) -> tuple[int, Any]:
    import json
    import urllib.error
    import urllib.request

    headers = {
        "Content-Type": "application/json",
        **widget_headers(base, chat["chat_token"] if chat else None),
    }
    request = urllib.request.Request(
        f"{base}{path}", data=json.dumps(body).encode(), headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"null")


def end_every_chat(base: str) -> None:
    """Ends the demo agents' open chats and the queue, and makes them available again."""
    ops = token(base, "ops", "operator")
    for agent_id in DEMO_AGENTS:
        http(base, "PUT", f"/v1/agents/{agent_id}/status", ops, {"status": "available"})
        status, inbox = http(base, "GET", f"/v1/agents/{agent_id}/chats", ops)
        assert status == 200, inbox
        for chat in [*inbox["assigned"], *inbox["queue"]]:
            http(base, "POST", f"/v1/chats/{chat['chat_id']}/end", ops, {"resolved": False})


@pytest.fixture
def clean_desks(stack: RunningStack) -> Iterator[None]:
    """Every demo agent available with no chat, before and after the test."""
    end_every_chat(stack.base_url)
    yield
    end_every_chat(stack.base_url)
