"""Writing a stream batch's result exactly once: the batch's marker (a digest of its records), and
transactions that each carry a marker item of their part, so a retried batch (Lambda delivers the
same records again, unsplit, after a transient failure) skips the parts an earlier attempt wrote.
Every projection that adds to stored totals writes through `apply_once`
(klantreis.projections.counters_dynamo_store; see docs/decisions.md, "Daily counters from the stream")."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from klantreis import dynamo

MARKER_TTL_SECONDS = 3 * 24 * 3600
MAX_TRANSACTION_ITEMS = 100


def batch_marker(records: Iterable[Mapping[str, Any]]) -> str:
    digest = hashlib.sha256()
    for record in records:
        digest.update(str(record.get("eventID", "")).encode())
        digest.update(str(record.get("dynamodb", {}).get("SequenceNumber", "")).encode())
    return digest.hexdigest()


def marker_put(table: str, marker: str, now: int) -> dict[str, Any]:
    """The transaction action that records a stream batch (part) as applied."""
    return {
        "Put": {
            "TableName": table,
            "Item": dynamo.to_item(
                {"PK": f"STREAMBATCH#{marker}", "SK": "MARKER", "expires_at": now + MARKER_TTL_SECONDS}
            ),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
    }


def _item_of(action: Mapping[str, Any]) -> str:
    [(kind, body)] = action.items()
    key = body["Item"] if kind == "Put" else body["Key"]
    return json.dumps([body["TableName"], key.get("PK"), key.get("SK")], sort_keys=True)


def transaction_parts(actions: Sequence[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """`actions` in their order, cut into transactions of at most 99 (the 100th action is the
    part's marker) and where an item would be written a second time, which one transaction
    cannot do."""
    parts: list[list[Mapping[str, Any]]] = []
    current: list[Mapping[str, Any]] = []
    items: set[str] = set()
    for action in actions:
        item = _item_of(action)
        if len(current) >= MAX_TRANSACTION_ITEMS - 1 or item in items:
            parts.append(current)
            current, items = [], set()
        current.append(action)
        items.add(item)
    if current:
        parts.append(current)
    return parts
