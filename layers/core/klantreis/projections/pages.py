"""Per-page counters of a site's history, kept from the table's change stream (their stored form
and readers: klantreis.journey.page_stats, read by klantreis.engagement.pagestats).

Every counter is a sum over sessions of an indicator of the session's state, so the stream
consumer adds, for each change of a session item, the indicator of the new image minus that of
the old one (the same pattern as klantreis.projections.day_counters). The stored session is
compact and its journey moves to chunk items once it passes 1 KB; the entries a write added are read from the
new image or, when the write flushed them, from that chunk (immutable, read with BatchGetItem).

Storage (partition ``SITE#{site}#PAGES``), written only by the stream consumer:

- ``DELTA#{ms}#{marker}``: one item per stream batch and site, zlib-compressed JSON of the batch's
  per-page changes, written in one transaction with a marker of the batch (exactly once; see
  klantreis.projections.exactly_once). Cost: the compressed size, doubled.
- ``SNAPSHOT``: every delta up to ``watermark`` folded, capped to the most viewed pages (site
  totals keep everything), versioned. A consumer folds the deltas older than
  ``FOLD_MARGIN_SECONDS`` once they weigh as much as the snapshot (or wait an hour), so the write
  cost per event stays proportional to the changes, not to the number of pages a site has. What
  is waiting is estimated in the consumer's memory, which costs no write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from klantreis import keys
from klantreis.journey.page_stats import (
    BOUNCES,
    ENTRANCES,
    EXITS,
    FIELDS,
    UNIQUE_VIEWS,
    VALUE,
    VIEWS,
    SitePages,
    merge_pages,
    page_key,
)
from klantreis.projections.changes import ItemChange

PageDeltas = dict[str, SitePages]
"""site → page key → counter changes."""
ChunkLookup = Callable[[str], list[dict[str, Any]] | None]
"""Sort key of one of the session's journey chunks → its stored entries (None: gone)."""

DELTA_TTL_SECONDS = 30 * 24 * 3600
FOLD_MARGIN_SECONDS = 120
"""Deltas younger than this are not folded yet: a delta's sort key holds the time its consumer
took before writing, and a consumer (timeout 60 s) has written it by then."""
FOLD_MIN_BYTES = 4_096
FOLD_MAX_WAIT_SECONDS = 3_600
SNAPSHOT_MAX_PAGES = 10_000
SNAPSHOT_MAX_BYTES = 300_000


# --------------------------------------------------------------------------- derivation
def _pages_seen(image: Mapping[str, Any]) -> int:
    return sum(int(stats.get("views", 0)) for stats in image.get("page_types", {}).values())


def _entry_key(entry: Mapping[str, Any]) -> str | None:
    """A page entry of the journey (one that opened a page) as a page key."""
    product_id = entry.get("product_id")
    if product_id and entry.get("type") == "product_view":
        return page_key(product_id=str(product_id))
    return page_key(url=entry.get("url"))


def _is_page(entry: Mapping[str, Any]) -> bool:
    return bool(entry.get("page_type"))


def _journey(image: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(image.get("journey") or [])


def _chunk_keys(image: Mapping[str, Any]) -> list[str]:
    return [str(sk) for sk in image.get("journey_chunks") or []]


def _added_entries(
    old: Mapping[str, Any], new: Mapping[str, Any], chunks: ChunkLookup
) -> list[dict[str, Any]]:
    """The journey entries this write added. A write moves the whole journey (the old one and its
    own entries) to one new chunk once it passes 1 KB, so the old journey is a prefix."""
    before = set(_chunk_keys(old))
    flushed: list[dict[str, Any]] = []
    for sort_key in _chunk_keys(new):
        if sort_key not in before:
            flushed += chunks(sort_key) or []
    return (flushed + _journey(new))[len(_journey(old)) :]


def _entrance(image: Mapping[str, Any], chunks: ChunkLookup) -> str | None:
    """The session's first page: its first page entry, else the landing page."""
    for sort_key in _chunk_keys(image):
        for entry in chunks(sort_key) or []:
            if _is_page(entry):
                return _entry_key(entry)
    for entry in _journey(image):
        if _is_page(entry):
            return _entry_key(entry)
    return page_key(url=image.get("landing_url"))


def _current_page(image: Mapping[str, Any], chunks: ChunkLookup) -> str | None:
    """The page the visitor is on (the exit page if the session ends now): the latest page entry
    at the session's `last_page_at`; late entries never move it."""
    at = image.get("last_page_at")
    for entry in reversed(_journey(image)):
        if _is_page(entry) and entry.get("at") == at:
            return _entry_key(entry)
    for sort_key in reversed(_chunk_keys(image)):
        for entry in reversed(chunks(sort_key) or []):
            if _is_page(entry) and entry.get("at") == at:
                return _entry_key(entry)
    return page_key(url=image.get("last_page_url"))


def _page_moved(old: Mapping[str, Any], new: Mapping[str, Any], added: Sequence[Mapping[str, Any]]) -> bool:
    """Whether the visitor moved to another page: the current page's fields changed, or a page
    entry was added at or after the old current page's time (the same millisecond moves it too)."""
    if any(old.get(name) != new.get(name) for name in ("last_page_at", "last_page_url", "last_page_type")):
        return True
    at = old.get("last_page_at")
    return at is not None and any(_is_page(e) and int(e.get("at", -1)) >= int(at) for e in added)


def _url_keys(entries: Iterable[Mapping[str, Any]]) -> list[str]:
    found = (_entry_key(e) for e in entries if _is_page(e) and not e.get("product_id"))
    return [key for key in found if key is not None]


def _revenue_added(old: Mapping[str, Any], new: Mapping[str, Any]) -> float:
    return round(float(new.get("revenue", 0.0)) - float(old.get("revenue", 0.0)), 2)


def chunks_wanted(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """The chunk sort keys `session_page_deltas` will usually need, to fetch a batch's in one go:
    the chunk this write flushed, the old image's last chunk when the visitor moved on from a
    page the old image no longer holds, and every chunk of a session that just bought."""
    old = old or {}
    if _revenue_added(old, new) > 0:
        return _chunk_keys(new)
    before = set(_chunk_keys(old))
    wanted = [sort_key for sort_key in _chunk_keys(new) if sort_key not in before]
    if _pages_seen(new) > _pages_seen(old) > 0 and _chunk_keys(old):
        at = old.get("last_page_at")
        if not any(_is_page(e) and e.get("at") == at for e in _journey(old)):
            wanted.append(_chunk_keys(old)[-1])
    return wanted


def session_page_deltas(
    old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, chunks: ChunkLookup
) -> SitePages:
    """Counter changes from one session item's old and new image (stored form). Removals (erasure,
    TTL) change nothing: the statistics keep their aggregate history."""
    if not new:
        return {}
    old = old or {}
    deltas: SitePages = {}

    def add(key: str | None, field: int, amount: float) -> None:
        if key is not None and amount:
            deltas.setdefault(key, [0.0] * len(FIELDS))[field] += amount

    added = _added_entries(old, new, chunks)
    pages_before, pages_after = _pages_seen(old), _pages_seen(new)

    # Entrances and bounces: the first page, and whether it is still the only one.
    if pages_before == 0 and pages_after > 0:
        entrance = _entrance(new, chunks)
        add(entrance, ENTRANCES, 1)
        if pages_after == 1:
            add(entrance, BOUNCES, 1)
    elif pages_before == 1 and pages_after > 1:
        add(_entrance(old, chunks), BOUNCES, -1)

    # Exits: the session's exit page is its current page, moving as it browses.
    if pages_after > 0 and (pages_before == 0 or _page_moved(old, new, added)):
        if pages_before > 0:
            add(_current_page(old, chunks), EXITS, -1)
        add(_current_page(new, chunks), EXITS, 1)

    # Views: products exactly from their view counts; other pages from the entries added.
    old_products: Mapping[str, Any] = old.get("products") or {}
    new_products: Mapping[str, Any] = new.get("products") or {}
    for product_id, row in new_products.items():
        key = page_key(product_id=product_id)
        before = int(old_products[product_id][0]) if product_id in old_products else 0
        add(key, VIEWS, int(row[0]) - before)
        if product_id not in old_products:
            add(key, UNIQUE_VIEWS, 1)
    seen_urls = {*_url_keys(_journey(old))}
    seen_urls |= {
        k for k in (page_key(url=old.get("landing_url")), page_key(url=old.get("last_page_url"))) if k
    }
    for key in _url_keys(added):
        add(key, VIEWS, 1)
        if key not in seen_urls:
            add(key, UNIQUE_VIEWS, 1)
            seen_urls.add(key)

    # Page value: a purchase's revenue goes to every distinct page the session had viewed by then
    # (its whole journey, chunks included: purchases are rare enough to read them).
    revenue = _revenue_added(old, new)
    if revenue > 0:
        journey = [entry for sort_key in _chunk_keys(new) for entry in chunks(sort_key) or []]
        journey += _journey(new)
        earlier = journey[: len(journey) - len(added)]
        viewed = [page_key(product_id=product_id) for product_id in old_products]
        viewed += _url_keys(earlier)
        for amount, key_set in _purchases_and_pages(added, revenue, viewed, new_products):
            for key in key_set:
                add(key, VALUE, amount)
    return {key: counts for key, counts in deltas.items() if any(counts)}


def _viewed_key(entry: Mapping[str, Any]) -> str | None:
    """The page a journey entry shows the visitor viewed: any product view is its product's page
    (views count from `products`), other pages count when they were entered."""
    if entry.get("type") == "product_view" and entry.get("product_id"):
        return page_key(product_id=str(entry["product_id"]))
    return _entry_key(entry) if _is_page(entry) else None


def _stored_value(entry: Mapping[str, Any], products: Mapping[str, Any]) -> float:
    """An entry's value; the stored form leaves it out when it is its product's (store.py)."""
    if "value" in entry:
        return float(entry["value"] or 0.0)
    row = products.get(str(entry.get("product_id") or ""))
    return float(row[2] or 0.0) if row and len(row) > 2 else 0.0


def _purchases_and_pages(
    added: Sequence[Mapping[str, Any]],
    revenue: float,
    viewed_before: Sequence[str | None],
    products: Mapping[str, Any],
) -> list[tuple[float, list[str]]]:
    """Each purchase of the write with the distinct pages viewed up to it. When the write's
    entries do not account for its revenue (they were lost with a chunk), all of it goes to every
    page the session holds."""
    purchases = [(e, _stored_value(e, products)) for e in added if e.get("type") == "purchase"]
    purchases = [(entry, value) for entry, value in purchases if value > 0]
    if abs(sum(value for _, value in purchases) - revenue) > 0.005:
        every = [*viewed_before, *(_viewed_key(e) for e in added)]
        return [(revenue, [key for key in dict.fromkeys(every) if key])]
    answer = []
    for purchase, value in purchases:
        upto = [_viewed_key(e) for e in added if int(e.get("at", 0)) <= int(purchase.get("at", 0))]
        keys_then = [key for key in dict.fromkeys([*viewed_before, *upto]) if key]
        answer.append((round(value, 2), keys_then))
    return answer


class ChunkReader(Protocol):
    def prefetch(self, wanted: Iterable[tuple[str, str]]) -> None:
        """Loads these (PK, SK) chunks in as few requests as possible."""
        ...

    def entries(self, partition_key: str, sort_key: str) -> list[dict[str, Any]] | None: ...


def deltas(changes: Iterable[ItemChange], chunks: ChunkReader) -> PageDeltas:
    """Sums the per-page changes of a batch's changes of session items."""
    sessions: list[tuple[str, str, dict[str, Any] | None, dict[str, Any]]] = []
    for change in changes:
        if not (change.is_write and change.is_session) or change.new is None:
            continue
        site_id, _ = keys.parse_visitor_pk(change.partition_key)
        sessions.append((site_id, change.partition_key, change.old, change.new))
    chunks.prefetch((pk, sk) for _, pk, old, new in sessions for sk in chunks_wanted(old, new))
    total: PageDeltas = {}
    for site_id, partition_key, old, new in sessions:

        def lookup(sort_key: str, partition_key: str = partition_key) -> list[dict[str, Any]] | None:
            return chunks.entries(partition_key, sort_key)

        merge_pages(total.setdefault(site_id, {}), session_page_deltas(old, new, lookup))
    for site_id in list(total):
        total[site_id] = {key: c for key, c in total[site_id].items() if any(abs(v) > 1e-9 for v in c)}
        if not total[site_id]:
            del total[site_id]
    return total


# --------------------------------------------------------------------------- the writer
class PageStatsWriter(Protocol):
    def add_once(self, marker: str, deltas: Mapping[str, Mapping[str, Sequence[float]]], now: int) -> bool:
        """Records every site's deltas exactly once per `marker`; False if seen before."""
        ...


@dataclass
class FoldEstimate:
    """What one consumer knows of a site's backlog of deltas, kept in memory (a hint: writing it
    to the table would cost a write per invocation; folding is correct whenever it runs)."""

    snapshot_bytes: int | None = None
    """Size of the snapshot as last read or written; None until then."""
    pending_bytes: int = 0
    """Deltas this consumer wrote since its last fold."""
    pending_since: int | None = None


FOLD_ESTIMATES: dict[tuple[str, str], FoldEstimate] = {}
"""(table, site) → estimate, for the life of the process (a warm Lambda instance)."""
