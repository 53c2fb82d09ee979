"""The stream wing's exactly-once writer (every projection that adds to stored totals goes through
it) and the day counters' DynamoDB adapter: the report function reads the counters, the stream's
aggregate function adds to them. Apart from the stream's other adapters so that the report's API
and jobs do not load the page statistics, the journey chunks and the report counters' projection
(cold start)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from klantreis import dynamo, keys
from klantreis.errors import ConcurrentUpdate
from klantreis.projections.day_counters import (
    COUNTER_SLOTS,
    COUNTERS,
    KEY_ATTRIBUTES,
    MAX_NAMES_PER_UPDATE,
    DayKey,
)
from klantreis.projections.exactly_once import marker_put, transaction_parts
from klantreis.reports import names


def apply_once(
    dynamodb: Any, table: str, marker: str, actions: Sequence[Mapping[str, Any]], now: int
) -> bool:
    """Writes `actions` exactly once per `marker`: in transactions (`transaction_parts`), each with
    the marker item of its part (`{marker}#{part}`, condition `attribute_not_exists`). A part whose
    marker exists was applied by an earlier attempt of the same batch and is skipped; a failed
    transaction applied nothing. The actions must be built in the same order, on the same items,
    on every attempt. True if any part was applied now."""
    applied_any = False
    for part, chunk in enumerate(transaction_parts(actions)):
        transaction = [marker_put(table, f"{marker}#{part}", now), *chunk]
        try:
            dynamodb.transact_write_items(TransactItems=transaction)
            applied_any = True
        except ClientError as exc:
            translated = dynamo.translate(exc)
            if isinstance(translated, ConcurrentUpdate):
                continue  # this part was applied by an earlier attempt of the same batch
            raise translated from exc
    return applied_any


class DynamoCounterStore:
    def __init__(self, dynamodb: Any, table: str, *, slots: int = COUNTER_SLOTS) -> None:
        self._db = dynamodb
        self._table = table
        self._slots = slots

    def add_once(self, marker: str, deltas: Mapping[DayKey, Mapping[str, float]], now: int) -> bool:
        actions = [
            self._counter_add(site_id, day, slot, part)
            for site_id, day in sorted(deltas)
            for slot, part in self._slotted(marker, site_id, day, deltas[(site_id, day)])
        ]
        return bool(actions) and apply_once(self._db, self._table, marker, actions, now)

    def _slotted(
        self, marker: str, site_id: str, day: str, change: Mapping[str, float]
    ) -> list[tuple[str, dict[str, float]]]:
        """The day's change in parts of at most MAX_NAMES_PER_UPDATE names, each to its own slot.
        The slots follow from the batch's marker: concurrent consumers (other shards, other
        batches) mostly write other items of the day, and a retried batch writes the same ones."""
        names = [name for name in sorted(change) if change[name]]
        digest = hashlib.sha256(f"{marker}|{site_id}|{day}".encode()).digest()
        first = int.from_bytes(digest[:4], "big") % self._slots
        return [
            (
                str((first + number) % self._slots),
                {name: change[name] for name in names[start : start + MAX_NAMES_PER_UPDATE]},
            )
            for number, start in enumerate(range(0, len(names), MAX_NAMES_PER_UPDATE))
        ]

    def _counter_add(self, site_id: str, day: str, slot: str, change: Mapping[str, float]) -> dict[str, Any]:
        names = sorted(change)
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

    def _slot_items(self, site_id: str, day: str) -> list[dict[str, Any]]:
        items = dynamo.query_prefix(
            self._db,
            self._table,
            keys.day_pk(site_id, day),
            keys.COUNTER_PREFIX,
            ConsistentRead=True,
        )
        return [dynamo.from_item(item) for item in items]

    def day_totals(self, site_id: str, day: str) -> dict[str, float]:
        """The session and funnel counters of the day (COUNTERS)."""
        totals = dict.fromkeys(COUNTERS, 0.0)
        for plain in self._slot_items(site_id, day):
            for name in COUNTERS:
                totals[name] += float(plain.get(name, 0))
        totals["revenue"] = round(totals["revenue"], 2)
        return totals

    def day_counters(self, site_id: str, day: str) -> dict[str, float]:
        """Every counter of the day summed over its slots: the fixed ones of this module and of
        klantreis.reports.names (0 when nothing counted them) and whatever per-agent,
        per-category and hourly counters the day has. Sums are rounded to 3 decimals (money to 2).
        It is the report's `klantreis.reports.ports.DayCounterReader`."""
        fixed = (*COUNTERS, *names.CHAT_COUNTERS, *names.SURVEY_COUNTERS, *names.UPLIFT_COUNTERS)
        totals = dict.fromkeys((*fixed, *names.WAIT_BUCKETS), 0.0)
        for plain in self._slot_items(site_id, day):
            for name, value in plain.items():
                if name in KEY_ATTRIBUTES or isinstance(value, bool) or not isinstance(value, int | float):
                    continue
                totals[name] = totals.get(name, 0.0) + float(value)
        rounded = {name: round(value, 3) for name, value in totals.items()}
        rounded["revenue"] = round(rounded["revenue"], 2)
        return rounded


def _number(value: float) -> float | int:
    """Counters are whole numbers, money (cents) or seconds (to the millisecond): 3 decimals keep
    each of them and drop the binary noise of float arithmetic."""
    return int(value) if float(value).is_integer() else round(value, 3)
