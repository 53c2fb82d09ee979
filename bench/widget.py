"""The widget's figures for `make bench`: gzipped sizes of the built files; the main-thread time it
adds to the demo shop's product page (Chrome's Performance.getMetrics, with and without the
widget); and, from the requests the real widget sends over Anna's journey in Debian's chromium,
events per request and the cost per million tracked events at list prices.

The journey runs on the local stack (`klantreis_local.stack`) with a shopper's dwell on each page
played on playwright's clock (the widget flushes every 3 s, so each page sends its own batch, as it
would for a real shopper). Its requests are then replayed in-process through the track and engage
handlers on a metered moto table (bench.capacity), the stream drained into the aggregation, to
get DynamoDB units per event and the handlers' duration.
"""

from __future__ import annotations

import gzip
import json
import math
import statistics
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "web" / "dist"
BUDGET_BYTES = {"klantreis.js": 4096, "klantreis-chat.js": 8192}
PAGE_RUNS = 7
DWELL = "00:12"
"""A shopper's time on each page of the journey (longer than the widget's 3 s flush)."""

# List prices, USD (AWS price pages; us-east-1 unless said otherwise).
APIGW_REST_PER_M = 3.50
LAMBDA_ARM_GB_SECOND = 0.0000133334
LAMBDA_PER_M_REQUESTS = 0.20
DDB_WRU_PER_M = {"us-east-1": 0.625, "eu-west-1 (approx.)": 0.7625}
DDB_RRU_PER_M = 0.125
LAMBDA_MEMORY_GB = 0.5
"""template.yaml's Globals MemorySize (512 MB) for the track, engage and aggregate functions."""
COST_GOAL = 1.00


def sizes() -> dict[str, Any]:
    figures = {}
    for name, budget in BUDGET_BYTES.items():
        raw = (DIST / name).read_bytes()
        figures[name] = {
            "bytes": len(raw),
            "gzip_bytes": len(gzip.compress(raw, compresslevel=9)),
            "budget_gzip_bytes": budget,
        }
    return figures


def _consented(context: Any) -> None:
    context.add_init_script(
        "localStorage.setItem('stapvast_consent', 'granted'); localStorage.setItem('kr_c', '\"granted\"')"
    )


def main_thread_ms(browser: Any, base: str) -> dict[str, Any]:
    """Median main-thread task time of loading the product page and idling 2 s, with the widget
    and with its script answered empty (everything else the same)."""

    def one(with_widget: bool) -> dict[str, float]:
        context = browser.new_context()
        _consented(context)
        page = context.new_page()
        if not with_widget:
            page.route(
                "**/widget/*",
                lambda route: route.fulfill(status=200, body="", content_type="text/javascript"),
            )
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        page.goto(f"{base}/demo/products/b-39")
        page.wait_for_load_state("load")
        page.wait_for_timeout(2000)
        metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        context.close()
        return {name: metrics[name] * 1000 for name in ("TaskDuration", "ScriptDuration", "LayoutDuration")}

    runs: dict[str, list[dict[str, float]]] = {"with": [], "without": []}
    for _ in range(PAGE_RUNS):  # interleaved, so background load hits both alike
        runs["with"].append(one(True))
        runs["without"].append(one(False))
    medians = {
        kind: {name: round(statistics.median(r[name] for r in found), 1) for name in found[0]}
        for kind, found in runs.items()
    }
    minima = {
        kind: {name: round(min(r[name] for r in found), 1) for name in found[0]}
        for kind, found in runs.items()
    }
    return {
        "runs": PAGE_RUNS,
        "with_widget_ms": medians["with"],
        "without_widget_ms": medians["without"],
        "added_task_ms": round(medians["with"]["TaskDuration"] - medians["without"]["TaskDuration"], 1),
        "added_script_ms": round(medians["with"]["ScriptDuration"] - medians["without"]["ScriptDuration"], 1),
        "added_task_ms_of_minima": round(
            minima["with"]["TaskDuration"] - minima["without"]["TaskDuration"], 1
        ),
        "added_script_ms_of_minima": round(
            minima["with"]["ScriptDuration"] - minima["without"]["ScriptDuration"], 1
        ),
    }


def annas_journey(browser: Any, stack: Any) -> list[dict[str, Any]]:
    """Anna's journey as a shopper walks it (consent, three views of b-39, cart, three checkout
    steps with the code, the order); returns every request the widget sent to the API, as the
    stack received them (beacons included)."""
    base = stack.base_url
    first = len(stack.api_requests)
    context = browser.new_context()
    context.clock.install()
    page = context.new_page()

    def dwell() -> None:
        # The shopper reads the page: the widget's flush timer fires and, in the real seconds a
        # reader gives it, the answer arrives (fast-forwarding alone would leave before it).
        page.clock.fast_forward(DWELL)
        page.wait_for_function("() => !JSON.parse(localStorage.getItem('kr_q') || 'null')", timeout=10_000)

    def ready(path: str) -> None:
        page.goto(f"{base}{path}")
        page.wait_for_function("() => window.klantreis && window.klantreis.v === 1")

    ready("/demo/")
    page.locator("[data-kr='consent-accept']").click()
    dwell()
    for _ in range(3):
        ready("/demo/products/b-39")
        dwell()
    page.locator("[data-kr='add-to-cart']").click()
    dwell()
    page.locator("[data-kr='cart-link']").click()
    dwell()
    page.locator("[data-kr='checkout']").click()
    for _ in range(2):
        dwell()
        page.locator("[data-kr='checkout-next']").click()
    dwell()
    page.locator("[data-kr='discount-input']").fill("WELKOM10")
    page.locator("[data-kr='place-order']").click()
    page.locator("[data-kr='order-confirmed']").wait_for()
    dwell()
    page.goto("about:blank")  # leaving: the last page's events go by beacon
    page.wait_for_timeout(1000)
    context.close()
    return [r for r in stack.api_requests[first:] if r["path"].startswith("/v1/")]


def replay_metered(sent: list[dict[str, Any]]) -> dict[str, Any]:
    """The journey's requests through the real handlers on a metered moto table."""
    import boto3

    from bench.capacity import CapacityMeter
    from bench.scenarios import quiet
    from engage.handler import lambda_handler as engage
    from klantreis import dynamo
    from klantreis_local import runtime
    from tests.factories import FakeContext, api_event
    from track.handler import lambda_handler as track

    table = "klantreis-bench-widget"
    handlers = {"/v1/events": track, "/v1/engagement/decide": engage}
    durations: list[float] = []
    with runtime.local_dynamodb(table) as db, quiet():
        runtime.seed_demo(db, table)
        meter = CapacityMeter(dynamo.client(), boto3.client("dynamodb", region_name=runtime.REGION), table)
        meter.phase = "handler"
        for request in sent:
            handler = handlers.get(request["path"]) or (engage if "/offers/" in request["path"] else None)
            if handler is None:
                continue
            event = api_event(
                "POST", request["path"], body=request["body"],
                headers={"Content-Type": "text/plain;charset=UTF-8", "Origin": "http://127.0.0.1:3000"},
            )  # fmt: skip
            event["queryStringParameters"] = {"site_key": runtime.DEMO_SITE_KEY}
            started = time.perf_counter()
            answer = handler(event, FakeContext())
            durations.append((time.perf_counter() - started) * 1000)
            assert answer["statusCode"] < 300, answer
        meter.phase = "aggregation"
        pump = runtime.StreamPump(db, table)
        started = time.perf_counter()
        pump.drain()
        aggregation_ms = (time.perf_counter() - started) * 1000
    handler_tally, aggregation_tally = meter.tallies["handler"], meter.tallies["aggregation"]
    return {
        "handler_ms_median": round(statistics.median(durations), 1),
        "handler_ms_total": round(sum(durations), 1),
        "handler_billed_ms": sum(math.ceil(d) for d in durations),
        "aggregation_invocations": pump.invocations,
        "aggregation_ms_total": round(aggregation_ms, 1),
        "wcu": handler_tally.total_wcu + aggregation_tally.total_wcu,
        "rcu": handler_tally.total_rcu + aggregation_tally.total_rcu,
        "wcu_handler": handler_tally.total_wcu,
        "wcu_aggregation": aggregation_tally.total_wcu,
        "rcu_handler": handler_tally.total_rcu,
        "rcu_aggregation": aggregation_tally.total_rcu,
    }


def costs(sent: list[dict[str, Any]], metered: dict[str, Any]) -> dict[str, Any]:
    batches = [json.loads(r["body"]) for r in sent if r["path"] == "/v1/events"]
    sent_events = sum(len(b["events"]) for b in batches)
    # Tracked events are the distinct ones: a beacon on leaving may repeat what an unfinished
    # fetch carried (stored once, but paid for as a request).
    events = len({e["event_id"] for b in batches for e in b["events"]})
    api_requests = len(
        [r for r in sent if r["path"] in ("/v1/events", "/v1/engagement/decide") or "/offers/" in r["path"]]
    )
    invocations = api_requests + metered["aggregation_invocations"]
    billed_ms = metered["handler_billed_ms"] + math.ceil(metered["aggregation_ms_total"])
    gb_seconds = LAMBDA_MEMORY_GB * billed_ms / 1000
    per_event = {
        "api_requests": api_requests / events,
        "lambda_invocations": invocations / events,
        "lambda_gb_seconds": gb_seconds / events,
        "wcu": metered["wcu"] / events,
        "rcu": metered["rcu"] / events,
    }
    million = 1_000_000
    api = per_event["api_requests"] * APIGW_REST_PER_M
    lam = (
        per_event["lambda_invocations"] * LAMBDA_PER_M_REQUESTS
        + per_event["lambda_gb_seconds"] * million * LAMBDA_ARM_GB_SECOND
    )
    reads = per_event["rcu"] * DDB_RRU_PER_M
    by_region = {
        region: {
            "api_gateway": round(api, 3),
            "lambda": round(lam, 3),
            "dynamodb_writes": round(per_event["wcu"] * price, 3),
            "dynamodb_reads": round(reads, 3),
            "total": round(api + lam + per_event["wcu"] * price + reads, 3),
        }
        for region, price in DDB_WRU_PER_M.items()
    }
    # What stands in the way of the goal: what each request costs (API Gateway, Lambda, the session
    # item read and rewritten per batch) is spread over the events of a request; what the stream's
    # aggregation costs per event is not.
    requests = max(api_requests, 1)
    per_request = (
        APIGW_REST_PER_M
        + LAMBDA_PER_M_REQUESTS
        + LAMBDA_MEMORY_GB * metered["handler_billed_ms"] / 1000 / requests * million * LAMBDA_ARM_GB_SECOND
        + metered["wcu_handler"] / requests * DDB_WRU_PER_M["us-east-1"]
        + metered["rcu_handler"] / requests * DDB_RRU_PER_M
    )
    per_event_only = (
        metered["wcu_aggregation"] * DDB_WRU_PER_M["us-east-1"] + metered["rcu_aggregation"] * DDB_RRU_PER_M
    ) / events + LAMBDA_MEMORY_GB * math.ceil(metered["aggregation_ms_total"]) / 1000 / events * million * (
        LAMBDA_ARM_GB_SECOND
    )
    needed = per_request / (COST_GOAL - per_event_only) if per_event_only < COST_GOAL else None
    return {
        "usd_per_million_requests": round(per_request, 3),
        "usd_per_million_events_aggregation": round(per_event_only, 3),
        "events_per_request_for_goal": round(needed, 1) if needed else None,
        "events": events,
        "events_sent": sent_events,
        "event_requests": len(batches),
        "decide_requests": len([r for r in sent if r["path"] == "/v1/engagement/decide"]),
        "events_per_request": round(sent_events / len(batches), 2),
        "tracked_events_per_request": round(events / len(batches), 2),
        "per_event": {name: round(value, 4) for name, value in per_event.items()},
        "usd_per_million_events": by_region,
        "goal_usd": COST_GOAL,
    }


def measure() -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from klantreis_local.browser import launch
    from klantreis_local.stack import running_stack

    figures: dict[str, Any] = {"sizes": sizes()}
    with running_stack("klantreis-bench-shop") as stack, sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            figures["main_thread"] = main_thread_ms(browser, stack.base_url)
            sent = annas_journey(browser, stack)
        finally:
            browser.close()
    figures["journey_requests"] = [{"path": r["path"], "events": _events_in(r)} for r in sent]
    figures["metered"] = replay_metered(sent)
    figures["cost"] = costs(sent, figures["metered"])
    return figures


def _events_in(request: dict[str, Any]) -> int | None:
    if request["path"] != "/v1/events" or not request["body"]:
        return None
    return len(json.loads(request["body"])["events"])
