"""Daily counters for reports, kept from the table's change stream.

The tracking request writes only the session item. A stream consumer turns each change of a
session into per-day deltas (a session that starts on a day adds one to `sessions`, its first
add-to-cart that day one to `cart_sessions`, ...) and adds a whole batch of them in one
transaction, together with a marker of that batch, so a retried batch is not counted twice.
2,000 events/s become a few counter writes per second per stream shard, spread over
`COUNTER_SLOTS` items a day (see docs/decisions.md, "Daily counters from the stream").
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from botocore.exceptions import ClientError

from klantreis import dynamo, keys
from klantreis.errors import ConcurrentUpdate

COUNTERS = (
    "sessions",
    "new_visitor_sessions",
    "cart_sessions",
    "checkout_sessions",
    "purchase_sessions",
    "converted_cart_sessions",
    "purchases",
    "revenue",
)
COUNTER_SLOTS = 4
MARKER_TTL_SECONDS = 3 * 24 * 3600
MAX_TRANSACTION_ITEMS = 100

DayKey = tuple[str, str]
"""(site_id, local day)."""


def day_indicators(tally: Mapping[str, Any], returning_visitor: bool) -> dict[str, float]:
    """What one session contributes to one day's counters, given its tally for that day."""
    purchases = int(tally.get("purchases", 0))
    cart = bool(tally.get("cart"))
    return {
        "sessions": 1,
        "new_visitor_sessions": 0 if returning_visitor else 1,
        "cart_sessions": int(cart),
        "checkout_sessions": int(bool(tally.get("checkout"))),
        "purchase_sessions": int(purchases > 0),
        "converted_cart_sessions": int(cart and purchases > 0),
        "purchases": purchases,
        "revenue": float(tally.get("revenue", 0.0)),
    }


def session_deltas(
    site_id: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> dict[DayKey, dict[str, float]]:
    """Counter changes from one session item's old and new image. Removals (erasure, TTL) change
    nothing: reports keep their aggregate history."""
    if not new:
        return {}
    old_days: Mapping[str, Any] = (old or {}).get("days", {})
    old_returning = bool((old or {}).get("returning_visitor", False))
    deltas: dict[DayKey, dict[str, float]] = {}
    for day, tally in new.get("days", {}).items():
        after = day_indicators(tally, bool(new.get("returning_visitor", False)))
        before = day_indicators(old_days[day], old_returning) if day in old_days else None
        change = {k: v - (before[k] if before else 0) for k, v in after.items()}
        change = {k: v for k, v in change.items() if v}
        if change:
            deltas[(site_id, day)] = change
    return deltas


def merge(into: dict[DayKey, dict[str, float]], more: Mapping[DayKey, Mapping[str, float]]) -> None:
    for day_key, change in more.items():
        target = into.setdefault(day_key, defaultdict(float))
        for name, value in change.items():
            target[name] = target[name] + value


def deltas_from_stream(records: Iterable[Mapping[str, Any]]) -> dict[DayKey, dict[str, float]]:
    """Sums the deltas of a batch of DynamoDB stream records (Lambda event format)."""
    total: dict[DayKey, dict[str, float]] = {}
    for record in records:
        if record.get("eventName") not in ("INSERT", "MODIFY"):
            continue
        change = record.get("dynamodb", {})
        item_keys = change.get("Keys", {})
        if not item_keys.get("SK", {}).get("S", "").startswith(keys.SESSION_PREFIX):
            continue
        site_id, _ = keys.parse_visitor_pk(item_keys["PK"]["S"])
        old = dynamo.from_item(change["OldImage"]) if change.get("OldImage") else None
        new = dynamo.from_item(change["NewImage"]) if change.get("NewImage") else None
        merge(total, session_deltas(site_id, old, new))
    return total


def batch_marker(records: Iterable[Mapping[str, Any]]) -> str:
    digest = hashlib.sha256()
    for record in records:
        digest.update(str(record.get("eventID", "")).encode())
        digest.update(str(record.get("dynamodb", {}).get("SequenceNumber", "")).encode())
    return digest.hexdigest()


class CounterStore(Protocol):
    def add_once(self, marker: str, deltas: Mapping[DayKey, Mapping[str, float]], now: int) -> bool:
        """Adds all deltas and records `marker` atomically; False if the marker was seen before."""
        ...

    def day_totals(self, site_id: str, day: str) -> dict[str, float]: ...


class DynamoCounterStore:
    def __init__(self, dynamodb: Any, table: str, *, slots: int = COUNTER_SLOTS) -> None:
        self._db = dynamodb
        self._table = table
        self._slots = slots

    def add_once(self, marker: str, deltas: Mapping[DayKey, Mapping[str, float]], now: int) -> bool:
        day_keys = sorted(deltas)
        per_transaction = MAX_TRANSACTION_ITEMS - 1
        applied_any = False
        for part, start in enumerate(range(0, max(len(day_keys), 1), per_transaction)):
            part_keys = day_keys[start : start + per_transaction]
            if not part_keys:
                break
            actions = [self._marker_put(f"{marker}#{part}", now)]
            actions += [self._counter_add(site_id, day, deltas[(site_id, day)]) for site_id, day in part_keys]
            try:
                self._db.transact_write_items(TransactItems=actions)
                applied_any = True
            except ClientError as exc:
                translated = dynamo.translate(exc)
                if isinstance(translated, ConcurrentUpdate):
                    continue  # this part was counted by an earlier attempt of the same batch
                raise translated from exc
        return applied_any

    def _marker_put(self, marker: str, now: int) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._table,
                "Item": dynamo.to_item(
                    {"PK": f"STREAMBATCH#{marker}", "SK": "MARKER", "expires_at": now + MARKER_TTL_SECONDS}
                ),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }

    def _counter_add(self, site_id: str, day: str, change: Mapping[str, float]) -> dict[str, Any]:
        names = sorted(change)
        # A random slot spreads concurrent consumers over a few items of the day.
        slot = str(random.randrange(self._slots))
        return {
            "Update": {
                "TableName": self._table,
                "Key": dynamo.to_item({"PK": keys.day_pk(site_id, day), "SK": keys.counter_sk(slot)}),
                "UpdateExpression": "SET site_id = :site, #day = :day ADD "
                + ", ".join(f"#c{i} :v{i}" for i in range(len(names))),
                "ExpressionAttributeNames": {"#day": "day", **{f"#c{i}": n for i, n in enumerate(names)}},
                "ExpressionAttributeValues": {
                    ":site": dynamo.to_value(site_id),
                    ":day": dynamo.to_value(day),
                    **{f":v{i}": dynamo.to_value(_number(change[n])) for i, n in enumerate(names)},
                },
            }
        }

    def day_totals(self, site_id: str, day: str) -> dict[str, float]:
        totals = dict.fromkeys(COUNTERS, 0.0)
        items = dynamo.query_all(
            self._db,
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues={
                ":pk": dynamo.to_value(keys.day_pk(site_id, day)),
                ":prefix": dynamo.to_value(keys.COUNTER_PREFIX),
            },
            ConsistentRead=True,
        )
        for item in items:
            plain = dynamo.from_item(item)
            for name in COUNTERS:
                totals[name] += float(plain.get(name, 0))
        totals["revenue"] = round(totals["revenue"], 2)
        return totals


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)
