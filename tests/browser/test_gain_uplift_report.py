"""Offers by expected gain on the operator's report page, in a real browser: with an uplift model
stored for the demo site, a visitor the gain policy offers a chat and a holdout visitor it would
have offered to both buy; the report's uplift panel compares them like with like (issue 13)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from playwright.sync_api import expect

from klantreis import services
from klantreis.engagement.decide import in_holdout
from klantreis.engagement.dynamo_store import DynamoUpliftModelStore
from klantreis_local.gateway import HANDLER_LOCK
from klantreis_local.runtime import DEMO_SITE
from tests.browser.conftest import HOLDOUT_SHARE, Shopper, visitor_outside_holdout
from tests.browser.test_operator_console import (
    BOOTS,
    UI_WAIT_MS,
    WAIT_SECONDS,
    Desk,
    open_report,
    shopper_http,
    sign_in_operator,
    today,
)
from tests.unit.test_uplift import constant_model


def at_checkout_then_decide(base: str, visitor_id: str) -> str:
    """The visitor puts the boots in the cart and reaches checkout step 2; the decision's reason."""
    now = datetime.now(UTC).isoformat()
    page = {"timestamp": now, "url": f"{base}/demo/"}
    boots = {"product_id": "b-39", "category": BOOTS, "value": 329.95, "currency": "EUR"}
    events = [
        {"event_id": str(uuid4()), "type": "add_to_cart", **page, **boots},
        {"event_id": str(uuid4()), "type": "checkout_step", "step": 2, **page},
    ]
    body = {"visitor_id": visitor_id, "session_id": "s-1", "sent_at": now, "events": events}
    status, answer = shopper_http(base, "POST", "/v1/events", body)
    assert (status, answer["accepted"]) == (200, 2), answer
    ask = {"visitor_id": visitor_id, "session_id": "s-1", "idle_seconds": 30}
    status, decided = shopper_http(base, "POST", "/v1/engagement/decide", ask)
    assert status == 200, decided
    return str(decided["reason"])


def buys(base: str, visitor_id: str) -> None:
    now = datetime.now(UTC).isoformat()
    purchase = {
        "event_id": str(uuid4()), "type": "purchase", "timestamp": now, "value": 329.95, "currency": "EUR",
        "url": f"{base}/demo/thanks",
    }  # fmt: skip
    body = {"visitor_id": visitor_id, "session_id": "s-1", "sent_at": now, "events": [purchase]}
    status, answer = shopper_http(base, "POST", "/v1/events", body)
    assert (status, answer["accepted"]) == (200, 1), answer


def like_with_like(desk: Desk, day: str) -> dict[str, Any]:
    """The day's like-with-like uplift once the stream has carried both purchases into it."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        like = desk.report(day)["total"]["gain_uplift_interval"]
        if (like["offered_conversions"], like["holdout_conversions"]) == (
            1,
            1,
        ) or time.monotonic() > deadline:
            return dict(like)
        time.sleep(0.2)


def test_the_uplift_panel_compares_gain_offers_with_the_holdout_it_would_have_offered_to(
    shopper: Shopper,
) -> None:
    # given the demo site switched to offers by expected gain, and an agent for boots
    stack = shopper.stack
    with HANDLER_LOCK:
        DynamoUpliftModelStore(stack.dynamodb, stack.table_name).put(DEMO_SITE, constant_model(0.12))
        services.forget()  # the functions read the site's model afresh
    desk = Desk(shopper.base)
    desk.status("mirjam", "available")
    prefix = uuid4().hex[:6]
    offered = visitor_outside_holdout(f"gain-{prefix}-")
    held = next(
        f"held-{prefix}-{n}"
        for n in range(1000)
        if in_holdout(DEMO_SITE, f"held-{prefix}-{n}", HOLDOUT_SHARE)
    )
    try:
        # when one visitor is offered a chat by the gain policy, one is held out, and both buy
        assert at_checkout_then_decide(shopper.base, offered) == "qualified"
        assert at_checkout_then_decide(shopper.base, held) == "holdout"
        buys(shopper.base, offered)
        buys(shopper.base, held)
        day = today()
        like = like_with_like(desk, day)
        assert (like["offered_sessions"], like["holdout_sessions"]) == (1, 1), like
        # then the report's uplift panel compares them like with like
        page = sign_in_operator(shopper)
        open_report(page, shopper.base, day)
        gain = page.locator("[data-kr='uplift'] [data-kr='uplift-gain']")
        expect(gain).to_contain_text("Offers chosen by expected gain", timeout=UI_WAIT_MS)
        expect(gain).to_contain_text(
            "Like with like: 1 of 1 gain-offered sessions bought, "
            "1 of 1 holdout sessions it would have offered to"
        )
        gain.scroll_into_view_if_needed()
        shopper.screenshot("operator-report-uplift-like-with-like")
    finally:
        with HANDLER_LOCK:
            DynamoUpliftModelStore(stack.dynamodb, stack.table_name).delete(DEMO_SITE)
            services.forget()
