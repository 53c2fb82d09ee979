"""Page statistics against moto: sessions tracked through the track function, the stream drained
through the aggregation function, the metrics read back as decide reads them."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from aggregate import handler as aggregate

from klantreis.engagement.dynamo_store import DynamoPageStatsSource
from klantreis.engagement.features import PageMetrics
from klantreis.journey import dynamo_store as history
from klantreis.journey.page_stats import decode_pages
from klantreis.projections import pages as projection
from klantreis.projections.dynamo_store import DynamoPageStatsWriter
from klantreis.sites import Site
from klantreis_local.runtime import DEMO_SITE_KEY, StreamPump
from tests.factories import T0, FakeContext, anna_journey, api_event, batch, event
from track.handler import lambda_handler

WIDGET = {"X-Site-Key": DEMO_SITE_KEY, "Origin": "http://127.0.0.1:3000"}


def post(body: dict[str, Any]) -> None:
    answer = lambda_handler(api_event("POST", "/v1/events", body=body, headers=WIDGET), FakeContext())
    assert answer["statusCode"] == 200, answer["body"]
    assert json.loads(answer["body"])["accepted"] == len(body["events"])


def track_three_visitors() -> None:
    # Anna: /laarzen, then the boot's page three times (b-39), cart, checkout, and she buys
    post(batch(*anna_journey()))
    post(batch(event("purchase", at=T0 + timedelta(minutes=5), value=296.96)))
    # Bram: one page, nothing else (a bounce)
    post(batch(event("page_view", url="https://shop.example/laarzen"), visitor_id="bram", session_id="s-2"))
    # Carla: the about page, then the boot, in two deliveries
    post(batch(event("page_view", url="https://shop.example/over-ons"), visitor_id="carla", session_id="s-3"))
    boot = event(
        "product_view",
        at=T0 + timedelta(seconds=30),
        url="https://shop.example/laarzen/bruin",
        product_id="b-39",
    )
    post(batch(boot, visitor_id="carla", session_id="s-3"))


def test_the_site_history_gives_bounce_and_exit_rates_and_page_values(
    demo_site: Site, dynamodb: Any, table_name: str, stream: StreamPump
) -> None:
    # given three visitors tracked and the stream counted
    track_three_visitors()
    stream.drain()
    # when decide reads the site's page statistics
    stats = DynamoPageStatsSource(dynamodb, table_name).for_site("demo")
    # then each page has Google Analytics' figures
    pages, totals = history.load_counts(dynamodb, table_name, "demo")
    assert pages["/laarzen"] == [2, 1, 1, 2, 2, 296.96]
    assert pages["product:b-39"] == [0, 0, 2, 4, 2, 296.96]
    assert pages["/over-ons"] == [1, 0, 0, 1, 1, 0]
    # with their evidence: two of a page's unique views against 20, three sessions against 200
    two_views = round(3 / 203 * 2 / 22, 6)
    assert stats.lookup("/laarzen") == PageMetrics(
        bounce_rate=0.5, exit_rate=0.5, page_value=148.48, evidence=two_views
    )
    assert stats.lookup("product:b-39") == PageMetrics(
        bounce_rate=0.0, exit_rate=0.5, page_value=148.48, evidence=two_views
    )
    assert stats.lookup("/over-ons") == PageMetrics(evidence=round(3 / 203 * 1 / 21, 6))
    # and unknown pages have no evidence; the pooled figures are the site's
    assert stats.lookup("/nergens") == PageMetrics()
    assert totals == [3, 1, 3, 7, 5, pytest.approx(593.92)]
    assert stats.average == PageMetrics(
        bounce_rate=round(1 / 3, 6), exit_rate=round(3 / 7, 6), page_value=round(593.92 / 5, 6)
    )


def test_a_retried_stream_batch_counts_once(
    demo_site: Site, dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the stream's batches as Lambda delivers them
    delivered: list[dict[str, Any]] = []
    track_three_visitors()
    StreamPump(dynamodb, table_name, consumers=[lambda e, c: delivered.append(e)]).drain()
    # when each batch is delivered twice (a retry after a timeout)
    for delivery in delivered + delivered:
        aggregate.lambda_handler(delivery, FakeContext())
    # then every page counts once
    pages, _ = history.load_counts(dynamodb, table_name, "demo")
    assert pages["/laarzen"] == [2, 1, 1, 2, 2, 296.96]


def test_folding_into_the_snapshot_keeps_every_figure(
    demo_site: Site, dynamodb: Any, table_name: str, stream: StreamPump
) -> None:
    # given the deltas of the tracked sessions, not folded yet
    track_three_visitors()
    stream.drain()
    before = history.load_counts(dynamodb, table_name, "demo")
    writer = DynamoPageStatsWriter(dynamodb, table_name)
    later = int(T0.timestamp()) + 10**9  # well past the fold margin of every delta written
    # when a consumer folds them into the snapshot, and another tries the same
    assert writer.fold("demo", later)
    assert not writer.fold("demo", later)
    # then the snapshot holds everything, and no delta is read twice
    snapshot = history.read_snapshot(dynamodb, table_name, "demo", consistent=True)
    assert snapshot["version"] == 1
    assert (
        history.read_deltas(dynamodb, table_name, "demo", after=snapshot["watermark"], consistent=True) == []
    )
    assert history.load_counts(dynamodb, table_name, "demo") == before


def test_a_fold_is_due_once_the_deltas_weigh_as_much_as_the_snapshot(dynamodb: Any, table_name: str) -> None:
    writer = DynamoPageStatsWriter(dynamodb, table_name, fold_min_bytes=1, estimates={})
    change = {"demo": {"/a": [1.0, 1.0, 1.0, 1.0, 1.0, 0.0]}}
    # the first delta is too young to fold, the next one, three minutes on, folds it
    assert writer.add_once("batch-1", change, now=1_000_000)
    assert history.read_snapshot(dynamodb, table_name, "demo", consistent=True) == {}
    assert writer.add_once("batch-2", change, now=1_000_180)
    snapshot = history.read_snapshot(dynamodb, table_name, "demo", consistent=True)
    assert snapshot["watermark"] == (1_000_180 - projection.FOLD_MARGIN_SECONDS) * 1000
    assert decode_pages(snapshot["pages"]) == {"/a": [1.0, 1.0, 1.0, 1.0, 1.0, 0.0]}
    # a batch seen before adds nothing
    assert not writer.add_once("batch-2", change, now=1_000_200)
    pages, totals = history.load_counts(dynamodb, table_name, "demo")
    assert pages == {"/a": [2.0, 2.0, 2.0, 2.0, 2.0, 0.0]}
    assert totals == [2.0, 2.0, 2.0, 2.0, 2.0, 0.0]


def test_small_deltas_are_folded_after_an_hour(dynamodb: Any, table_name: str) -> None:
    writer = DynamoPageStatsWriter(dynamodb, table_name, fold_min_bytes=10**9, estimates={})
    change = {"demo": {"/a": [1.0, 1.0, 1.0, 1.0, 1.0, 0.0]}}
    assert writer.add_once("batch-1", change, now=1_000_000)
    assert writer.add_once("batch-2", change, now=1_000_300)
    assert history.read_snapshot(dynamodb, table_name, "demo", consistent=True) == {}
    assert writer.add_once("batch-3", change, now=1_003_600)
    snapshot = history.read_snapshot(dynamodb, table_name, "demo", consistent=True)
    assert decode_pages(snapshot["pages"]) == {"/a": [2.0, 2.0, 2.0, 2.0, 2.0, 0.0]}
    assert history.load_counts(dynamodb, table_name, "demo")[0] == {"/a": [3.0, 3.0, 3.0, 3.0, 3.0, 0.0]}
