"""Per-page counters of a site's history: their stored form (read by klantreis.journey.dynamo_store;
the stream wing's klantreis.projections.pages keeps them; klantreis.engagement.pagestats reads them for
bounce rate, exit rate and page value, by Google Analytics' definitions; see docs/decisions.md,
"Page statistics").

Per page (`page_key`: products by id, other pages by URL path) six counters, in `FIELDS` order:

- ``entrances``: sessions whose first page it was; ``bounces``: of those, sessions that have seen
  exactly one page so far (bounce rate = bounces / entrances);
- ``exits``: sessions whose current last page it is (exit rate = exits / views);
- ``views`` and ``unique_views`` (sessions that viewed it); ``value``: revenue of sessions that
  bought after viewing it (page value = value / unique views).

Storage (partition ``SITE#{site}#PAGES``): ``DELTA#{ms}#{marker}`` items, one per stream batch and
site, and a ``SNAPSHOT`` of the deltas folded up to its ``watermark``, each a zlib-compressed JSON
of page key → counters. A reader sums the snapshot and the deltas after its watermark: two
requests per site.

This module imports nothing of the engagement package (its model and pydantic), so the stream
consumer stays quick to start; `page_key` is the page keying the live features use.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

FIELDS = ("entrances", "bounces", "exits", "views", "unique_views", "value")
ENTRANCES, BOUNCES, EXITS, VIEWS, UNIQUE_VIEWS, VALUE = range(len(FIELDS))

PageCounts = list[float]
"""The six counters of one page, in `FIELDS` order."""
SitePages = dict[str, PageCounts]
"""page key → counters."""

PAGES_SK_SNAPSHOT = "SNAPSHOT"
DELTA_PREFIX = "DELTA#"


def pages_pk(site_id: str) -> str:
    return f"SITE#{site_id}#PAGES"


def delta_sk(now_ms: int, marker: str) -> str:
    return f"{DELTA_PREFIX}{now_ms:013d}#{marker[:16]}"


def page_key(url: str | None = None, product_id: str | None = None) -> str | None:
    """Product pages by product (`product:b-39`), others by URL path without query."""
    if product_id:
        return f"product:{product_id}"
    if url:
        return urlsplit(url).path or "/"
    return None


def merge_pages(into: SitePages, more: Mapping[str, Sequence[float]]) -> None:
    for key, counts in more.items():
        target = into.setdefault(key, [0.0] * len(FIELDS))
        for field, amount in enumerate(counts):
            target[field] += amount


# --------------------------------------------------------------------------- storage form
def encode_pages(pages: Mapping[str, Sequence[float]]) -> bytes:
    """Per-page counters as compact JSON, zlib-compressed (a write unit is 1 KB of item)."""
    plain = {key: [stored_number(v) for v in counts] for key, counts in pages.items()}
    return zlib.compress(json.dumps(plain, separators=(",", ":")).encode(), 6)


def decode_pages(blob: bytes | None) -> SitePages:
    if not blob:
        return {}
    plain: dict[str, list[float]] = json.loads(zlib.decompress(blob))
    return {key: [float(v) for v in counts] for key, counts in plain.items()}


def stored_number(value: float) -> float | int:
    """A counter as stored: to the cent, whole numbers as integers."""
    rounded = round(value, 2)
    return int(rounded) if float(rounded).is_integer() else rounded


def totals_of(pages: Mapping[str, Sequence[float]]) -> PageCounts:
    totals = [0.0] * len(FIELDS)
    for counts in pages.values():
        for field, amount in enumerate(counts):
            totals[field] += amount
    return totals


def capped(pages: SitePages, max_pages: int) -> SitePages:
    """The `max_pages` most viewed pages (ties by key, so the cut is deterministic)."""
    if len(pages) <= max_pages:
        return pages
    ranked = sorted(pages.items(), key=lambda item: (-item[1][VIEWS], item[0]))
    return dict(ranked[:max_pages])
