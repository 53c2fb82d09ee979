"""GET /v1/visitors/live in-process against moto: visitors tracked by the track function, decided on
by the engage function, chatting through the route function; the table's stream pumped into the
live view's consumer (aggregate.live); the view read through the report function (whose
handler registers report.live_routes)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aggregate import live as live_stream

from chat.handler import lambda_handler as chat_api
from engage.handler import lambda_handler as engage
from klantreis import dynamo, keys
from klantreis.engagement.decide import in_holdout
from klantreis.projections.changes import decode
from klantreis.projections.live_board import LiveBoardUpdater
from klantreis.projections.live_board_dynamo_store import DynamoLiveBoardStore
from klantreis.sites import Site
from klantreis_local import runtime
from klantreis_local.runtime import DEMO_SITE, DEMO_SITE_KEY, StreamPump
from report.handler import lambda_handler as report
from tests.factories import FakeContext, anna_journey, api_event, batch, event
from track.handler import lambda_handler as track

WIDGET = {"X-Site-Key": DEMO_SITE_KEY, "Origin": "http://127.0.0.1:3000"}
MIRJAM = {"sub": "mirjam", "site_id": DEMO_SITE, "role": "agent"}
OPS = {"sub": "ops", "site_id": DEMO_SITE, "role": "operator"}


@pytest.fixture(autouse=True)
def _fresh_services() -> Iterator[None]:
    # the report's and the live λ's services, built anew for this test's table
    runtime.reset_caches()
    yield
    runtime.reset_caches()


@pytest.fixture
def live_stream_pump(dynamodb: Any, table_name: str) -> StreamPump:
    """The table's stream played into the live view's consumer alone."""
    return StreamPump(dynamodb, table_name, consumers=[live_stream.lambda_handler])


def visitor(prefix: str) -> str:
    return next(f"{prefix}-{n}" for n in range(100) if not in_holdout(DEMO_SITE, f"{prefix}-{n}", 0.10))


def post_events(body: dict[str, Any]) -> None:
    answer = track(api_event("POST", "/v1/events", body=body, headers=WIDGET), FakeContext())
    assert answer["statusCode"] == 200, answer["body"]


def decide(visitor_id: str) -> dict[str, Any]:
    payload = {"visitor_id": visitor_id, "session_id": "s-1", "idle_seconds": 30}
    answer = engage(api_event("POST", "/v1/engagement/decide", body=payload, headers=WIDGET), FakeContext())
    assert answer["statusCode"] == 200, answer["body"]
    decided: dict[str, Any] = json.loads(answer["body"])
    return decided


def live(claims: dict[str, str] | None) -> tuple[int, dict[str, Any]]:
    answer = report(api_event("GET", "/v1/visitors/live", claims=claims), FakeContext())
    return answer["statusCode"], json.loads(answer["body"])


def test_anna_at_checkout_shows_with_her_cart_score_and_offer(
    demo_site: Site, live_stream_pump: StreamPump
) -> None:
    # given Anna tracked to checkout and offered a chat, and Bram who only looked around
    anna = visitor("anna")
    post_events(batch(*anna_journey(), visitor_id=anna))
    decided = decide(anna)
    assert decided["reason"] == "qualified"
    post_events(batch(event("page_view", url="https://shop.example/"), visitor_id="bram", session_id="s-9"))
    # when the stream reaches the live view's consumer
    live_stream_pump.drain()
    # then mirjam (an agent of the site) sees Anna first, at checkout, with her cart and score
    asked = datetime.now(UTC)
    status, answer = live(MIRJAM)
    answered = datetime.now(UTC)
    assert status == 200
    assert (answer["site_id"], answer["count"]) == (DEMO_SITE, 2)
    assert [v["visitor_id"] for v in answer["visitors"]] == [anna, "bram"]
    seen = answer["visitors"][0]
    assert (seen["stage"], seen["cart_value"], seen["currency"]) == ("checkout", 329.95, "EUR")
    assert (seen["offered"], seen["reason"]) == (True, "qualified")
    assert seen["score"] == pytest.approx(decided["score"], abs=1e-4)
    assert 0 < seen["abandonment_risk"] < 1
    assert seen["page"] == "https://shop.example/laarzen/bruin"  # her last page view, no query
    assert seen["session_id"] == "s-1"
    as_of = datetime.fromisoformat(answer["as_of"])
    assert asked.replace(microsecond=0) <= as_of <= answered  # the view is as of the request
    assert answer["visitors"][1]["stage"] == "browsing"
    assert answer["visitors"][1]["offered"] is False


def test_a_chat_started_from_the_offer_shows_its_status(
    demo_site: Site, live_stream_pump: StreamPump
) -> None:
    anna = visitor("anna")
    post_events(batch(*anna_journey(), visitor_id=anna))
    decided = decide(anna)
    body = {"visitor_id": anna, "session_id": "s-1", "offer_id": decided["offer_id"], "message": "Hallo"}
    started = chat_api(api_event("POST", "/v1/chats", body=body, headers=WIDGET), FakeContext())
    assert started["statusCode"] == 201, started["body"]
    chat = json.loads(started["body"])
    live_stream_pump.drain()
    status, answer = live(MIRJAM)
    assert status == 200
    (seen,) = answer["visitors"]
    assert (seen["chat_id"], seen["chat_status"]) == (chat["chat_id"], chat["status"])


def test_a_visitor_idle_for_more_than_five_minutes_is_not_shown(
    demo_site: Site, live_stream_pump: StreamPump
) -> None:
    # given Cees, whose last event was six minutes ago (the widget sends the batch late), and Anna now
    now = datetime.now(UTC)
    stale = [event("product_view", at=now - timedelta(minutes=6, seconds=n)) for n in (30, 0)]
    post_events(batch(*stale, visitor_id="cees", session_id="s-5", sent_at=now))
    post_events(batch(event("page_view", at=now), visitor_id="anna", sent_at=now))
    # when the stream is pumped
    live_stream_pump.drain()
    # then only Anna is live
    status, answer = live(MIRJAM)
    assert status == 200
    assert [v["visitor_id"] for v in answer["visitors"]] == ["anna"]


def test_agents_see_their_own_site_only_and_operators_see_it_too(
    demo_site: Site, dynamodb: Any, table_name: str, live_stream_pump: StreamPump
) -> None:
    post_events(batch(*anna_journey(), visitor_id="anna"))
    live_stream_pump.drain()
    # an agent of another site sees none of this site's visitors
    status, answer = live({"sub": "mirjam", "site_id": "elders", "role": "agent"})
    assert (status, answer["site_id"], answer["visitors"], answer["count"]) == (200, "elders", [], 0)
    # the site's operator sees them
    status, answer = live(OPS)
    assert (status, [v["visitor_id"] for v in answer["visitors"]]) == (200, ["anna"])
    # without a token: 401; a token naming no valid role: 401
    status, answer = live(None)
    assert (status, answer["error"]["code"]) == (401, "unauthorized")
    status, _ = live({"sub": "x", "site_id": DEMO_SITE, "role": "visitor"})
    assert status == 401


def test_the_consumer_writes_one_board_item_per_site_and_batch(
    demo_site: Site, dynamodb: Any, table_name: str
) -> None:
    # given three visitors tracked (three session writes), and the consumer's writes counted
    for name in ("anna", "bram", "cees"):
        post_events(batch(event("page_view"), visitor_id=name))
    writes: list[str] = []

    def count(params: dict[str, Any], **_: Any) -> None:
        writes.append(str(params.get("Item", {}).get("SK", {}).get("S")))

    client = dynamo.client()
    client.meta.events.register("provide-client-params.dynamodb.PutItem", count)
    try:
        outcome: list[dict[str, int]] = []
        pump = StreamPump(
            dynamodb, table_name, consumers=[lambda e, c: outcome.append(live_stream.lambda_handler(e, c))]
        )
        pump.drain()
        # when the same batch is delivered again (a Lambda retry)
        redelivered = StreamPump(dynamodb, table_name, consumers=[live_stream.lambda_handler])
        redelivered.drain()
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb.PutItem", count)
    # then the first delivery wrote the board once and the redelivery wrote nothing
    # (the stream also holds the demo seed's items, and then the board's own write: read, ignored)
    assert [(o["sites"], o["writes"]) for o in outcome] == [(1, 1), (0, 0)]
    assert writes == [keys.LIVE_BOARD]
    item = dynamodb.get_item(
        TableName=table_name, Key=dynamo.to_item({"PK": keys.site_pk(DEMO_SITE), "SK": keys.LIVE_BOARD})
    )["Item"]
    assert dynamo.from_item(item)["version"] == 1
    assert dynamo.from_item(item)["visitors"] == 3


def test_erasing_a_visitor_takes_them_off_the_board(demo_site: Site, live_stream_pump: StreamPump) -> None:
    post_events(batch(*anna_journey(), visitor_id="anna"))
    post_events(batch(event("page_view"), visitor_id="bram"))
    live_stream_pump.drain()
    erased = track(
        api_event(
            "DELETE", "/v1/visitors/anna", claims=OPS, path_parameters={"visitor_id": "anna"},
            resource="/v1/visitors/{visitor_id}",
        ),
        FakeContext(),
    )  # fmt: skip
    assert erased["statusCode"] in (200, 202, 204), erased["body"]
    live_stream_pump.drain()
    assert [v["visitor_id"] for v in live(MIRJAM)[1]["visitors"]] == ["bram"]


LIVE_WINDOW_SECONDS = 5
"""The live consumer's MaximumBatchingWindowInSeconds (template.yaml's LiveFunction)."""


@pytest.mark.slow
def test_the_live_board_costs_one_write_per_stream_batch_in_the_rees46_replay(
    dynamodb: Any, table_name: str
) -> None:
    """What the live board adds to the cost of tracking: REES46 replayed at its own pace (10 s widget
    batches), the stream delivered to the live consumer once per 5 s batching window that has
    records, each at the end of its window, DynamoDB capacity metered as billed (bench.capacity).
    Measured: 489 board writes for 3,000 events, 0.59 WCU per event (boards of 1-10 KB, up to 300
    visitors) and 0.24 RCU; tracking itself costs 1.04 WCU per event in this replay.
    """
    import boto3

    from bench import rees46
    from bench.capacity import CapacityMeter
    from bench.moto_speedup import faster_moto
    from bench.replay import replay
    from klantreis_local.runtime import REGION

    # given the replay site, its batches grouped by the stream window they fall in, and the capacity meter
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    rees46.seed_site(dynamodb, table_name)
    windows: dict[int, list[rees46.Batch]] = defaultdict(list)
    for widget_batch in rees46.widget_batches(rees46.load().rows):
        windows[int((widget_batch.sent_at - epoch).total_seconds()) // LIVE_WINDOW_SECONDS].append(
            widget_batch
        )
    clock = {"now": epoch}
    updater = LiveBoardUpdater(DynamoLiveBoardStore(dynamo.client(), table_name), lambda: clock["now"])
    writes: list[int] = []
    pump = StreamPump(
        dynamodb,
        table_name,
        consumers=[lambda e, _: writes.append(updater.apply(decode(e["Records"])).writes)],
    )
    pump.drain()  # the seed
    writes.clear()
    with faster_moto():
        meter = CapacityMeter(dynamo.client(), boto3.client("dynamodb", region_name=REGION), table_name)
        events = 0
        # when each window's batches are tracked and the window's records reach the live consumer
        for window, batches in sorted(windows.items()):
            meter.phase = "track"
            events += replay(batches).accepted
            meter.phase = "live"
            clock["now"] = epoch + timedelta(seconds=(window + 1) * LIVE_WINDOW_SECONDS)
            pump.drain()
    live = meter.tallies["live"]
    # then every event was tracked, and the live board was written at most once per window
    assert events == 3000
    assert sum(writes) <= len(windows)
    assert meter.tallies["live"].items_written == {"live": sum(writes)}
    # and what it adds stays near the measured 0.59 WCU per event
    wcu_per_event = live.total_wcu / events
    assert 0.3 < wcu_per_event < 0.7, wcu_per_event
    assert live.largest_item < 16_000
