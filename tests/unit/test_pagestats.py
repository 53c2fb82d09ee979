"""Per-page statistics from session changes: entrances, bounces, exits, views and page value from
old and new session images, and what the reader makes of the counters."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from klantreis import dynamo, keys
from klantreis.engagement import features
from klantreis.engagement.dynamo_store import DynamoPageStatsSource
from klantreis.engagement.features import PageMetrics
from klantreis.engagement.pagestats import page_metrics, site_page_stats
from klantreis.journey.events import TrackedEvent
from klantreis.journey.page_stats import (
    BOUNCES,
    ENTRANCES,
    EXITS,
    FIELDS,
    UNIQUE_VIEWS,
    VALUE,
    VIEWS,
    SitePages,
    capped,
    decode_pages,
    delta_sk,
    encode_pages,
    merge_pages,
    page_key,
)
from klantreis.journey.session import JOURNEY_FLUSH_BYTES, SessionFold, SessionState
from klantreis.journey.session_item import session_to_item
from klantreis.projections.changes import decode
from klantreis.projections.pages import ChunkLookup, chunks_wanted, deltas, session_page_deltas
from klantreis.sites import Site
from tests.fakes import InMemoryPageStatsSource

SITE = Site(site_id="demo", name="Demo")
T0_MS = 1_795_460_400_000
NO_CHUNKS: ChunkLookup = lambda sort_key: None  # noqa: E731


def counts(**fields: float) -> list[float]:
    row = [0.0] * len(FIELDS)
    for name, value in fields.items():
        row[FIELDS.index(name)] = value
    return row


def page_entry(at: int, url: str | None = None, product_id: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"at": T0_MS + at, "page_type": "product_related"}
    if product_id:
        entry.update(type="product_view", product_id=product_id)
    else:
        entry["type"] = "page_view"
    if url:
        entry["url"] = url
    return entry


def image(
    *journey: dict[str, Any],
    pages: int | None = None,
    products: dict[str, int] | None = None,
    revenue: float = 0.0,
    chunks: list[str] | None = None,
    current: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A session item in its stored form, as the stream's images hold it."""
    page_entries = [e for e in journey if e.get("page_type")]
    current = current or (page_entries[-1] if page_entries else None)
    item: dict[str, Any] = {
        "journey": list(journey),
        "page_types": {"product_related": {"views": pages if pages is not None else len(page_entries)}},
        "products": {pid: [views, None, None] for pid, views in (products or {}).items()},
        "revenue": revenue,
    }
    if chunks:
        item["journey_chunks"] = chunks
    if current:
        item.update(last_page_at=current["at"], last_page_url=current.get("url"))
    landing = next((e.get("url") for e in page_entries if e.get("url")), None)
    if landing:
        item["landing_url"] = landing
    return item


HOME = page_entry(0, url="https://shop.example/laarzen?utm=x")
BOOT = page_entry(20_000, url="https://shop.example/laarzen/bruin", product_id="b-39")
ABOUT = page_entry(40_000, url="https://shop.example/over-ons")


def test_a_first_single_page_is_an_entrance_a_bounce_and_an_exit() -> None:
    deltas = session_page_deltas(None, image(HOME), NO_CHUNKS)
    assert deltas == {
        "/laarzen": counts(entrances=1, bounces=1, exits=1, views=1, unique_views=1),
    }


def test_a_second_page_ends_the_bounce_and_moves_the_exit() -> None:
    first = image(HOME)
    second = image(HOME, BOOT, products={"b-39": 1})
    deltas = session_page_deltas(first, second, NO_CHUNKS)
    assert deltas == {
        "/laarzen": counts(bounces=-1, exits=-1),
        "product:b-39": counts(exits=1, views=1, unique_views=1),
    }


def test_a_session_entering_with_two_pages_never_bounces() -> None:
    deltas = session_page_deltas(None, image(HOME, BOOT, products={"b-39": 1}), NO_CHUNKS)
    assert deltas["/laarzen"] == counts(entrances=1, views=1, unique_views=1)
    assert deltas["product:b-39"] == counts(exits=1, views=1, unique_views=1)


def test_a_page_seen_again_is_a_view_but_not_a_unique_view() -> None:
    before = image(HOME, BOOT, products={"b-39": 1})
    home_again = page_entry(60_000, url="https://shop.example/laarzen")
    boot_again = page_entry(80_000, url="https://shop.example/laarzen/bruin?c=2", product_id="b-39")
    after = image(HOME, BOOT, home_again, boot_again, products={"b-39": 2})
    deltas = session_page_deltas(before, after, NO_CHUNKS)
    assert deltas == {"/laarzen": counts(views=1), "product:b-39": counts(views=1)}


def test_a_purchase_gives_its_revenue_to_every_page_viewed_before() -> None:
    browsing = image(HOME, BOOT, ABOUT, products={"b-39": 1})
    purchase = {"at": T0_MS + 60_000, "type": "purchase", "value": 329.95}
    bought = image(HOME, BOOT, ABOUT, purchase, products={"b-39": 1})
    bought["revenue"] = 329.95
    deltas = session_page_deltas(browsing, bought, NO_CHUNKS)
    assert deltas == {key: counts(value=329.95) for key in ("/laarzen", "product:b-39", "/over-ons")}


def test_pages_viewed_after_a_purchase_in_the_same_delivery_get_none_of_its_value() -> None:
    # given one delivery: the home page, a purchase, then the about page
    purchase = {"at": T0_MS + 10_000, "type": "purchase", "value": 50.0}
    after = image(HOME, purchase, ABOUT, revenue=50.0)
    deltas = session_page_deltas(None, after, NO_CHUNKS)
    # then only the page viewed before the purchase carries its value
    assert deltas["/laarzen"][VALUE] == 50.0
    assert deltas["/over-ons"][VALUE] == 0


def test_a_purchase_of_a_product_at_its_known_price_is_stored_without_the_price() -> None:
    # the stored form leaves out a product entry's value when `products` holds it
    boot = page_entry(0, product_id="b-39")
    purchase = {"at": T0_MS + 10_000, "type": "purchase", "product_id": "b-39"}
    other = page_entry(20_000, product_id="s-1")
    after = image(boot, purchase, other, products={"b-39": 1, "s-1": 1}, revenue=329.95)
    after["products"]["b-39"][2] = 329.95
    deltas = session_page_deltas(None, after, NO_CHUNKS)
    assert deltas["product:b-39"][VALUE] == 329.95
    assert deltas["product:s-1"][VALUE] == 0


def test_a_late_page_is_counted_but_does_not_move_the_exit() -> None:
    before = image(HOME, BOOT, products={"b-39": 1})
    late = page_entry(10_000, url="https://shop.example/over-ons")
    after = image(HOME, BOOT, late, pages=3, products={"b-39": 1}, current=BOOT)
    assert session_page_deltas(before, after, NO_CHUNKS) == {"/over-ons": counts(views=1, unique_views=1)}


def test_entries_a_write_flushed_to_a_chunk_are_read_from_the_chunk() -> None:
    # given a write that moved the whole journey, its own new entry included, to a chunk
    before = image(HOME)
    chunk = [HOME, BOOT]
    after = image(products={"b-39": 1}, pages=2, chunks=["JOURNEY#s-1#00000#t"], current=BOOT)
    assert chunks_wanted(before, after) == ["JOURNEY#s-1#00000#t"]
    # when its deltas are derived
    deltas = session_page_deltas(before, after, {"JOURNEY#s-1#00000#t": chunk}.get)
    # then the chunk gives the exit page, as it would have in the session's own journey
    assert deltas == {
        "/laarzen": counts(bounces=-1, exits=-1),
        "product:b-39": counts(exits=1, views=1, unique_views=1),
    }


def test_leaving_a_page_that_only_a_chunk_holds_reads_that_chunk() -> None:
    before = image(products={"b-39": 1}, pages=2, chunks=["JOURNEY#s-1#00000#t"], current=BOOT)
    after = image(ABOUT, products={"b-39": 1}, pages=3, chunks=["JOURNEY#s-1#00000#t"])
    assert chunks_wanted(before, after) == ["JOURNEY#s-1#00000#t"]
    deltas = session_page_deltas(before, after, {"JOURNEY#s-1#00000#t": [HOME, BOOT]}.get)
    assert deltas == {
        "product:b-39": counts(exits=-1),
        "/over-ons": counts(exits=1, views=1, unique_views=1),
    }


def test_removals_and_unchanged_sessions_change_nothing() -> None:
    same = image(HOME)
    assert session_page_deltas(same, same, NO_CHUNKS) == {}
    assert session_page_deltas(same, None, NO_CHUNKS) == {}


def test_stream_records_of_other_items_are_ignored() -> None:
    class NoChunks:
        def prefetch(self, wanted: Any) -> None:
            assert not list(wanted)

        def entries(self, partition_key: str, sort_key: str) -> list[dict[str, Any]] | None:
            return None

    session = {
        "eventName": "INSERT",
        "dynamodb": {
            "Keys": dynamo.to_item({"PK": keys.visitor_pk("demo", "anna"), "SK": keys.session_sk("s-1")}),
            "NewImage": dynamo.to_item(image(HOME)),
        },
    }
    chunk = {
        "eventName": "INSERT",
        "dynamodb": {
            "Keys": dynamo.to_item({"PK": keys.visitor_pk("demo", "anna"), "SK": "JOURNEY#s-1#0#t"})
        },
    }
    removal = {**session, "eventName": "REMOVE"}
    assert deltas(decode([session, chunk, removal]), NoChunks()) == {
        "demo": {"/laarzen": counts(entrances=1, bounces=1, exits=1, views=1, unique_views=1)}
    }


# --------------------------------------------------------------------------- property
urls = st.sampled_from(["https://shop.example/", "https://shop.example/laarzen", "https://shop.example/faq"])
products = st.sampled_from(["b-39", "b-40", "s-1"])
events = st.one_of(
    st.tuples(st.just("page_view"), urls),
    st.tuples(st.just("product_view"), products),
    st.tuples(st.just("product_view_url"), products),
    st.tuples(st.just("purchase"), st.sampled_from([19.95, 329.95])),
    st.tuples(st.just("add_to_cart"), products),
)
histories = st.lists(
    st.lists(st.tuples(events, st.integers(min_value=0, max_value=900)), min_size=1, max_size=8),
    min_size=1,
    max_size=10,
)
_ids = itertools.count()


def tracked(kind: str, detail: Any, at: datetime) -> TrackedEvent:
    fields: dict[str, Any] = {"event_id": f"e-{next(_ids)}", "timestamp": at}
    if kind == "page_view":
        fields.update(type="page_view", url=detail)
    elif kind.startswith("product_view"):
        fields.update(type="product_view", product_id=detail, category="laarzen", value=99.0)
        if kind == "product_view_url":
            fields["url"] = f"https://shop.example/p/{detail}"
    elif kind == "purchase":
        fields.update(type="purchase", value=detail)
    else:
        fields.update(type="add_to_cart", product_id=detail)
    return TrackedEvent.model_validate(fields)


def stored(item: dict[str, Any]) -> dict[str, Any]:
    """Through DynamoDB's wire format, as the stream hands images over."""
    return dynamo.from_item(dynamo.to_item(item))


def play(history: list[list[tuple[tuple[str, Any], int]]]) -> tuple[SessionState, list[Any], dict[str, Any]]:
    """Folds each batch as the tracker does (chunk flush included); returns the final state, the
    (old, new) image pairs the stream would carry, and the chunks by sort key."""
    start = datetime(2026, 11, 22, 19, 0, tzinfo=UTC)
    state: SessionState | None = None
    pairs: list[tuple[dict[str, Any] | None, dict[str, Any]]] = []
    chunks: dict[str, list[dict[str, Any]]] = {}
    for batch in history:
        batch_events = [tracked(k, d, start + timedelta(seconds=s)) for (k, d), s in batch]
        if state is None:
            first = min(e.timestamp for e in batch_events)
            state = SessionState(
                site_id="demo", visitor_id="v", session_id="s", first_at=first, last_at=first
            )
            old = None
        else:
            old = stored(session_to_item(state))
        work = state.model_copy(deep=True)
        SessionFold(work, SITE).apply_all(list(enumerate(batch_events)))
        if work.journey_bytes() >= JOURNEY_FLUSH_BYTES:
            sort_key = keys.journey_sk("s", len(work.journey_chunks), "t")
            chunks[sort_key] = stored(session_to_item(work))["journey"]
            work.journey_chunks.append(sort_key)
            work.journey = []
        pairs.append((old, stored(session_to_item(work))))
        state = work
    assert state is not None
    return state, pairs, chunks


def entry_key(entry: dict[str, Any]) -> str | None:
    if entry.get("product_id") and entry["type"] == "product_view":
        return page_key(product_id=entry["product_id"])
    return page_key(url=entry.get("url"))


@settings(max_examples=150, deadline=None)
@given(histories)
def test_summed_deltas_are_what_the_final_session_implies(history: list[Any]) -> None:
    # given a session's successive writes, each seen by the stream as an old and a new image
    final, pairs, chunks = play(history)
    # when every change's deltas are summed
    total: SitePages = {}
    for old, new in pairs:
        merge_pages(total, session_page_deltas(old, new, chunks.get))
    # then entrances, bounces, exits, views and product page values match the whole journey
    journey = [e for sk in final.journey_chunks for e in chunks[sk]] + stored(session_to_item(final)).get(
        "journey", []
    )
    pages = [e for e in journey if e.get("page_type")]

    def got(key: str | None, field: int) -> float:
        return round(total.get(key or "", [0.0] * len(FIELDS))[field], 2)

    if pages:
        entrance = entry_key(pages[0])
        assert got(entrance, ENTRANCES) == 1
        assert got(entrance, BOUNCES) == (1 if len(pages) == 1 else 0)
        last_at = round(final.last_page_at.timestamp() * 1000) if final.last_page_at else None
        current = [e for e in pages if e["at"] == last_at][-1]
        assert got(entry_key(current), EXITS) == 1
    assert sum(row[ENTRANCES] for row in total.values()) == (1 if pages else 0)
    assert sum(row[EXITS] for row in total.values()) == (1 if pages else 0)
    assert all(row[BOUNCES] >= 0 and row[EXITS] >= 0 for row in total.values())
    for product_id, interest in final.products.items():
        assert got(f"product:{product_id}", VIEWS) == interest.views
        assert got(f"product:{product_id}", UNIQUE_VIEWS) == 1
    url_views: dict[str, int] = {}
    for entry in pages:
        if not entry.get("product_id"):
            key = entry_key(entry)
            assert key is not None
            url_views[key] = url_views.get(key, 0) + 1
    for key, views in url_views.items():
        assert got(key, VIEWS) == views
        # a page seen again after its entry moved to a chunk may count as unique once more
        assert 1 <= got(key, UNIQUE_VIEWS) <= views
        assert 0 <= got(key, VALUE) <= round(final.revenue, 2)
    # revenue reaches every product viewed before each purchase: at most the session's revenue
    for product_id in final.products:
        assert 0 <= got(f"product:{product_id}", VALUE) <= round(final.revenue, 2)


# --------------------------------------------------------------------------- reading
def test_google_analytics_definitions() -> None:
    metrics = page_metrics(counts(entrances=10, bounces=4, exits=6, views=30, unique_views=20, value=500))
    assert metrics == PageMetrics(bounce_rate=0.4, exit_rate=0.2, page_value=25.0)
    assert page_metrics(counts(views=3, exits=5, bounces=2)) == PageMetrics(exit_rate=1.0)


def test_site_stats_keep_the_most_viewed_pages_with_their_evidence_and_the_pooled_figures() -> None:
    pages = {
        "/a": counts(entrances=2, bounces=1, exits=2, views=10, unique_views=5, value=50),
        "/b": counts(entrances=2, bounces=2, exits=2, views=4, unique_views=4),
        "/c": counts(views=1, unique_views=1, exits=1),
        "/only-value": counts(value=10),
    }
    totals = [sum(row[i] for row in pages.values()) for i in range(len(FIELDS))]
    stats = site_page_stats(pages, totals, max_pages=2)
    assert set(stats.pages) == {"/a", "/b"}
    # a page's own history weighs uv / (uv + 20), the site's 4 sessions 4 / (4 + 200)
    evidence = round(4 / 204 * 5 / 25, 6)
    assert stats.lookup("/a") == PageMetrics(
        bounce_rate=0.5, exit_rate=0.2, page_value=10.0, evidence=evidence
    )
    assert stats.lookup("/c") == PageMetrics()  # capped away: no history, the prior speaks
    assert stats.average == PageMetrics(bounce_rate=0.75, exit_rate=round(5 / 15, 6), page_value=6.0)


def test_capping_is_deterministic() -> None:
    pages = {f"/p{i}": counts(views=i % 3) for i in range(10)}
    assert list(capped(pages, 3)) == ["/p2", "/p5", "/p8"]


def test_the_storage_form_round_trips() -> None:
    pages = {"product:b-39": counts(entrances=1, value=329.95), "/laarzen": counts(views=-1)}
    assert decode_pages(encode_pages(pages)) == pages
    assert decode_pages(None) == {}


def test_the_reader_caches_per_site_for_its_ttl() -> None:
    # given a reader whose table is never reached while warm
    class CountingDb:
        calls = 0

        def get_item(self, **_: Any) -> dict[str, Any]:
            self.calls += 1
            return {}

        def query(self, **_: Any) -> dict[str, Any]:
            self.calls += 1
            return {"Items": []}

    db, now = CountingDb(), [0.0]
    source = DynamoPageStatsSource(db, "t", ttl_seconds=300, clock=lambda: now[0])
    assert source.for_site("demo").pages == {}
    assert db.calls == 2
    now[0] = 299.0
    source.for_site("demo")
    assert db.calls == 2
    now[0] = 300.0
    source.for_site("demo")
    assert db.calls == 4


def test_the_in_memory_source_answers_unknown_sites_with_no_history() -> None:
    source = InMemoryPageStatsSource({"demo": site_page_stats({"/a": counts(views=1)}, counts(views=1))})
    assert source.for_site("demo").lookup("/a") == PageMetrics()
    assert source.for_site("other").pages == {}
    assert source.lookups == 2


@pytest.mark.parametrize("marker", ["abc", "0" * 64])
def test_delta_keys_sort_by_time(marker: str) -> None:
    assert delta_sk(999, marker) < delta_sk(1_000, marker) < "DELTA#~"


@pytest.mark.parametrize(
    ("url", "product_id"),
    [
        ("https://shop.example/laarzen?c=1#top", None),
        ("https://shop.example", None),
        ("/relative/path", None),
        (None, "b-39"),
        ("https://shop.example/p/b-39", "b-39"),
        (None, None),
    ],
)
def test_the_history_keys_pages_as_the_live_features_do(url: str | None, product_id: str | None) -> None:
    assert page_key(url, product_id) == features.page_key(url, product_id)
