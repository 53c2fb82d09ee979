"""Anna's story through both real UIs at once, in two browser contexts: Anna in the demo shop with
the widget, Mirjam in the console. The offer, the chat, the visitor panel showing the boots and
checkout step 2, a suggested answer, a 20% discount refused above Mirjam's 15% mandate and a 10%
one given, the purchase with the code, the end, the survey, and Mirjam reading it among her
feedback; then what the operator sees of it."""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import Browser, expect

from klantreis_local.stack import RunningStack
from tests.browser.conftest import Shopper, visitor_outside_holdout
from tests.browser.console_helpers import (
    clean_desks,
    console_tab,
    give_a_discount_after_one_above_the_mandate,
    hook,
    inbox_item,
)
from tests.browser.test_annas_story import (
    OFFER_WAIT_MS,
    answer_the_survey,
    browse_to_checkout_step_2,
    pay_with_the_code,
    the_report_holds_annas_purchase_and_survey,
)

__all__ = ["clean_desks"]  # the fixture, imported for pytest
CONSOLE_WAIT_MS = 15_000
CONTEXT_REFRESH = 11_000
"""A little more than the visitor panel's poll (10 s), on the console's clock."""


def the_operator_sees_the_outcome(browser: Browser, stack: RunningStack) -> None:
    """The story's last step, the operator's: the day's report holds Anna's purchase attributed to
    the chat, and her survey; the operator's report page in the console shows the conversion, the
    revenue the chat brought, the survey and the uplift (offered sessions that bought; no holdout
    session yet, so no interval yet)."""
    base = stack.base_url
    the_report_holds_annas_purchase_and_survey(base)
    day = datetime.now(ZoneInfo("Europe/Amsterdam")).date().isoformat()
    with console_tab(browser, stack, "ops") as operator:
        operator.page.goto(f"{base}/console/#/report/{day}/{day}")
        operator.page.reload()  # afresh, as a bookmark opens it
        expect(hook(operator, "report-body")).to_have_attribute("data-from", day, timeout=CONSOLE_WAIT_MS)
        expect(hook(operator, "tile-conversion")).to_contain_text(re.compile(r"1 of \d+ sessions bought"))
        expect(hook(operator, "chat-revenue")).to_contain_text("296,96")
        expect(hook(operator, "tile-surveys")).to_contain_text("1")
        expect(hook(operator, "tile-csat")).to_contain_text("100%")
        expect(hook(operator, "offer-funnel").locator("[data-step='Accepted']")).to_contain_text("1")
        expect(hook(operator, "uplift")).to_contain_text("Offered: 1 of 1 sessions bought")
        expect(hook(operator, "uplift-needed")).to_be_visible()
        cell = hook(operator, "service-agent-categories").locator("tbody tr").filter(has_text="mirjam")
        expect(cell).to_contain_text("100% (n=1)")
        operator.screenshot("anna-operator-report")
        assert operator.axe("#console") == []


def mirjam_sees_anna_beside_her_question(mirjam: Shopper, chat_id: str) -> None:
    # then the chat is in Mirjam's inbox, open, with Anna's question
    expect(inbox_item(mirjam, {"chat_id": chat_id})).to_be_visible(timeout=CONSOLE_WAIT_MS)
    expect(mirjam.page).to_have_url(re.compile(f"#/chats/{chat_id}$"))
    expect(hook(mirjam, "message")).to_contain_text("39 en 40")
    # and beside it Anna: the boots in her cart, checkout step 2, dropped out at checkout
    visitor = hook(mirjam, "visitor-context")
    expect(visitor.locator("[data-kr='cart-line'][data-product-id='b-39']")).to_contain_text("329,95")
    expect(visitor.locator("[data-kr='viewed-product'][data-product-id='b-39']")).to_contain_text("3 views")
    expect(visitor.locator("[data-kr='checkout-step']")).to_contain_text("step 2")
    expect(visitor.locator("[data-kr='dropped-out']")).to_be_visible()
    expect(visitor).to_contain_text("Purchase intent")
    # and a suggested answer about sizes, which a click puts in her reply to edit
    expect(hook(mirjam, "suggestion").first).to_contain_text(re.compile("maat|size", re.IGNORECASE))
    hook(mirjam, "suggestion").first.click()
    expect(hook(mirjam, "chat-input")).to_have_value(re.compile(r"\S"))
    mirjam.screenshot("anna-console-chat")
    assert mirjam.axe("#console") == []


def mirjam_answers_and_gives_10_percent_not_20(mirjam: Shopper, shopper: Shopper) -> str:
    page = shopper.page
    # when Mirjam answers (Enter sends)
    hook(mirjam, "chat-input").fill(
        "Hoi Anna! Ze vallen normaal, dus 39 past je goed. Ik geef je 10% korting."
    )
    hook(mirjam, "chat-input").press("Enter")
    # and tries 20%, above her 15% mandate (refused, clearly), then gives 10%: the code shows
    code = give_a_discount_after_one_above_the_mandate(mirjam, mandate=15, refused=20, given=10)
    # then Anna reads the answer and the code in the widget
    expect(shopper.widget("message").and_(page.locator("[data-from='agent']"))).to_contain_text(
        "39 past je goed"
    )
    expect(shopper.widget("discount-code")).to_have_text(code)
    mirjam.screenshot("anna-console-discount")
    return code


def test_annas_story_in_the_shop_and_the_console_at_once(
    browser: Browser, stack: RunningStack, shopper: Shopper, clean_desks: None
) -> None:
    page = shopper.page
    anna = visitor_outside_holdout("anna")
    shopper.context.add_init_script(
        f"localStorage.getItem('kr_v') || localStorage.setItem('kr_v', '\"{anna}\"')"
    )
    with console_tab(browser, stack, "mirjam") as mirjam:
        # given Mirjam is signed in and available
        expect(hook(mirjam, "status")).to_have_value("available")

        # when Anna looks at the boots three times, reaches checkout step 2 and hesitates
        browse_to_checkout_step_2(shopper)
        page.clock.fast_forward("00:40")
        expect(shopper.widget("offer")).to_be_visible(timeout=OFFER_WAIT_MS)
        # and accepts the offer and asks her question
        shopper.widget("offer-accept").click()
        shopper.widget("chat-input").fill("Vallen deze laarzen klein? Ik twijfel tussen 39 en 40.")
        shopper.widget("chat-send").click()
        expect(shopper.widget("message").and_(page.locator("[data-from='visitor']"))).to_have_count(1)
        chat_id = json.loads(page.evaluate("() => sessionStorage.getItem('kr_chat')"))["id"]

        mirjam_sees_anna_beside_her_question(mirjam, chat_id)
        code = mirjam_answers_and_gives_10_percent_not_20(mirjam, shopper)

        # when Anna pays with the code
        pay_with_the_code(shopper, code)
        shopper.flush()
        # then Mirjam's visitor panel shows the purchase
        mirjam.page.clock.fast_forward(CONTEXT_REFRESH)
        expect(hook(mirjam, "visitor-context")).to_contain_text("Bought 1", timeout=CONSOLE_WAIT_MS)

        # when Mirjam ends the chat, resolved
        hook(mirjam, "end-resolved").check()
        hook(mirjam, "chat-end").click()
        expect(hook(mirjam, "agent-chat")).to_contain_text(
            "The chat has ended (resolved)", timeout=CONSOLE_WAIT_MS
        )
        expect(inbox_item(mirjam, {"chat_id": chat_id})).to_have_count(0)
        # then Anna gets the survey and answers it
        answer_the_survey(shopper)
        # and Mirjam finds Anna's rating and comment among her feedback
        mirjam.page.locator("nav a", has_text="My feedback").click()
        expect(hook(mirjam, "agent-feedback")).to_contain_text(
            "Snel en vriendelijk geholpen!", timeout=CONSOLE_WAIT_MS
        )
        mirjam.screenshot("anna-console-feedback")

    the_operator_sees_the_outcome(browser, stack)
