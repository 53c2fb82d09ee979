"""Per-page counters of a site's history: their stored form and how they are read (the stream
wing's klantreis.projections.pages keeps them; klantreis.engagement.pagestats reads them for
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
from typing import Any
from urllib.parse import urlsplit

from klantreis import dynamo

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


# --------------------------------------------------------------------------- reading
def read_snapshot(dynamodb: Any, table: str, site_id: str, *, consistent: bool) -> dict[str, Any]:
    item = dynamodb.get_item(
        TableName=table,
        Key=dynamo.to_item({"PK": pages_pk(site_id), "SK": PAGES_SK_SNAPSHOT}),
        ConsistentRead=consistent,
    ).get("Item")
    return dynamo.from_item(item) if item else {}


def read_deltas(
    dynamodb: Any, table: str, site_id: str, *, after: int, up_to: int | None = None, consistent: bool
) -> list[dict[str, Any]]:
    """The delta items written after `after` (epoch ms), up to `up_to` if given."""
    upper = f"{DELTA_PREFIX}{up_to:013d}$" if up_to is not None else f"{DELTA_PREFIX}~"
    items = dynamo.query_all(
        dynamodb,
        TableName=table,
        KeyConditionExpression="PK = :pk AND SK BETWEEN :low AND :high",
        ExpressionAttributeValues={
            ":pk": dynamo.to_value(pages_pk(site_id)),
            ":low": dynamo.to_value(f"{DELTA_PREFIX}{after + 1:013d}"),
            ":high": dynamo.to_value(upper),
        },
        ConsistentRead=consistent,
    )
    return [dynamo.from_item(item) for item in items]


def load_counts(dynamodb: Any, table: str, site_id: str) -> tuple[SitePages, PageCounts]:
    """A site's per-page counters and totals as of now: the snapshot plus the deltas after it."""
    snapshot = read_snapshot(dynamodb, table, site_id, consistent=False)
    pages = decode_pages(snapshot.get("pages"))
    totals = [float(v) for v in snapshot.get("totals", [0.0] * len(FIELDS))]
    watermark = int(snapshot.get("watermark", 0))
    for item in read_deltas(dynamodb, table, site_id, after=watermark, consistent=False):
        change = decode_pages(item.get("pages"))
        merge_pages(pages, change)
        totals = [a + b for a, b in zip(totals, totals_of(change), strict=True)]
    return pages, totals
