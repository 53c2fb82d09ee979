"""Anna's story from her side, in a real browser on the demo shop: she looks at the brown boots
three times, puts them in her cart, reaches checkout step 2 and hesitates; the widget offers a
chat, mirjam (through the agents' HTTP API) answers and gives 10%, Anna pays with the code, the
chat ends and she answers the survey. The daily report then holds her purchase, attributed to
the chat, and her survey."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from klantreis_local.runtime import DEMO_SITE
from tests.browser.conftest import Shopper, visitor_outside_holdout

OFFER_WAIT_MS = 20_000
REPORT_WAIT_SECONDS = 30


def http(base: str, method: str, path: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{base}{path}", data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"null")


def token(base: str, sub: str, role: str) -> str:
    status, answer = http(base, "GET", f"/dev/token?site_id={DEMO_SITE}&sub={sub}&role={role}")
    assert status == 200, answer
    return str(answer["token"])


def report_row(base: str, ops: str, day: str) -> dict[str, Any]:
    """The day's report row once the stream has carried the purchase and the survey into it."""
    deadline = time.monotonic() + REPORT_WAIT_SECONDS
    while True:
        status, report = http(base, "GET", f"/v1/reports/daily?from={day}&to={day}", ops)
        assert status == 200, report
        [row] = report["rows"]
        if (row["chat_conversions"] and row["surveys"]) or time.monotonic() > deadline:
            return dict(row)
        time.sleep(0.2)


def browse_to_checkout_step_2(shopper: Shopper) -> None:
    shopper.open("/demo/")
    shopper.shop("consent-accept").click()
    for _ in range(3):
        shopper.open("/demo/products/b-39")
        expect(shopper.page.locator("h1")).to_have_text("Lotte hoge laarzen")
    shopper.shop("add-to-cart").click()
    shopper.shop("cart-link").click()
    shopper.shop("checkout").click()
    shopper.shop("checkout-next").click()
    expect(shopper.page.locator(".steps [aria-current='step']")).to_have_text("Verzending en betaling")


def pay_with_the_code(shopper: Shopper, code: str) -> None:
    """From checkout step 2: the next step, the code (10% off the boots), the order placed."""
    shopper.shop("checkout-next").click()
    shopper.shop("discount-input").fill(code)
    expect(shopper.shop("order-total")).to_have_text("€ 296,96")
    shopper.shop("place-order").click()
    expect(shopper.shop("order-confirmed")).to_be_visible()


def the_report_holds_annas_purchase_and_survey(base: str) -> None:
    """The day's report row: her purchase with the code, attributed to the chat, and her survey."""
    ops = token(base, "ops", "operator")
    day = datetime.now(ZoneInfo("Europe/Amsterdam")).date().isoformat()
    row = report_row(base, ops, day)
    assert (row["purchases"], row["revenue"]) == (1, 296.96), row
    assert (row["offers"], row["offers_accepted"], row["chats"], row["chat_conversions"]) == (1, 1, 1, 1), row
    assert (row["surveys"], row["csat"], row["nps"]) == (1, 100.0, 100.0), row


def answer_the_survey(shopper: Shopper) -> None:
    expect(shopper.widget("survey")).to_be_visible(timeout=10_000)
    shopper.screenshot("survey")
    assert shopper.axe(["#klantreis", "[data-kr='survey']"]) == []
    for scale, value in (("csat", 5), ("nps", 9), ("ces", 2)):
        shopper.page.locator(f"#klantreis [data-kr='survey-{scale}'][value='{value}']").check()
    shopper.widget("survey-channel").select_option("chat")
    shopper.widget("survey-comment").fill("Snel en vriendelijk geholpen!")
    shopper.widget("survey-submit").click()
    expect(shopper.widget("survey-thanks")).to_be_visible()


def test_annas_story(shopper: Shopper) -> None:
    page, base = shopper.page, shopper.base
    anna = visitor_outside_holdout("anna")
    # Anna's widget visitor id is one the demo site's 10% holdout does not hold back.
    shopper.context.add_init_script(
        f"localStorage.getItem('kr_v') || localStorage.setItem('kr_v', '\"{anna}\"')"
    )

    # given Anna accepted the cookies, looked at the boots three times and reached checkout step 2
    browse_to_checkout_step_2(shopper)

    # when she hesitates (the widget's idle timer, on playwright's clock)
    page.clock.fast_forward("00:40")
    # then the widget offers her a chat with the rule's message
    offer = shopper.widget("offer")
    expect(offer).to_be_visible(timeout=OFFER_WAIT_MS)
    assert shopper.ids()[0] == anna
    shopper.screenshot("offer")

    # when she accepts and asks her question
    shopper.widget("offer-accept").click()
    expect(shopper.widget("chat")).to_be_visible()
    shopper.widget("chat-input").fill("Vallen deze laarzen klein? Ik twijfel tussen 39 en 40.")
    shopper.widget("chat-send").click()
    expect(shopper.widget("message").and_(page.locator("[data-from='visitor']"))).to_have_count(1)
    chat = json.loads(page.evaluate("() => sessionStorage.getItem('kr_chat')"))

    # then mirjam has the chat, answers and gives 10%
    mirjam = token(base, "mirjam", "agent")
    status, view = http(base, "GET", f"/v1/chats/{chat['id']}", mirjam)
    assert (status, view["agent"]["agent_id"]) == (200, "mirjam"), view
    status, _ = http(
        base, "POST", f"/v1/chats/{chat['id']}/messages", mirjam,
        {"text": "Hoi Anna! Ze vallen normaal, dus 39 past je goed. Ik geef je 10% korting."},
    )  # fmt: skip
    assert status == 201
    status, discount = http(base, "POST", f"/v1/chats/{chat['id']}/discounts", mirjam, {"percent": 10})
    assert status == 201, discount
    expect(shopper.widget("message").and_(page.locator("[data-from='agent']"))).to_contain_text(
        "39 past je goed"
    )
    expect(shopper.widget("discount-code")).to_have_text(discount["code"])
    shopper.screenshot("chat")
    assert shopper.axe(["#klantreis", "[data-kr='chat']"]) == []

    # when she pays with the code in the shop's checkout (the chat stays open meanwhile)
    pay_with_the_code(shopper, discount["code"])
    expect(shopper.widget("chat")).to_be_visible()
    shopper.flush()
    [purchase] = [event for event in shopper.events() if event["type"] == "purchase"]
    assert (purchase["value"], purchase["properties"]["discount_code"]) == (296.96, discount["code"])

    # and mirjam ends the chat
    status, _ = http(base, "POST", f"/v1/chats/{chat['id']}/end", mirjam, {"resolved": True})
    assert status == 200
    # then the survey appears, and she answers it
    answer_the_survey(shopper)

    # and the day's report has her purchase, attributed to the chat, and her survey
    the_report_holds_annas_purchase_and_survey(base)
