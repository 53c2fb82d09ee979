"""DynamoDB request and capacity metering on a botocore client.

moto does not report real consumed capacity, so the meter computes it the way DynamoDB bills it,
from botocore event hooks on the client the functions use:

- item size: every attribute name's UTF-8 bytes plus its value: strings their UTF-8 length,
  numbers (significant digits / 2) + 1, binary its length, booleans and null 1, sets the sum of
  their elements, lists and maps 3 bytes plus 1 per element (plus the key's bytes in a map);
- writes: ceil(size / 1 KB) per item, where size is the larger of the item before and after the
  write (PutItem, UpdateItem, DeleteItem, each BatchWriteItem request); twice that inside
  TransactWriteItems; an index holding the item (ALL projection) costs the same again;
- reads: ceil(size / 4 KB) per GetItem and per item a BatchGetItem asks for (each rounded up on
  its own; a key with no item still costs the minimum), and per Query/Scan on the sum of the items
  it reads -- every item its key condition (and Limit) reaches, before any FilterExpression drops
  one; half of that when eventually consistent; at least one unit per request.

The size of an item before and after a write is read with GetItem on a separate, unmetered
client of the same (moto) backend, so nothing is approximated; reads done for a Query with a
ProjectionExpression or a FilterExpression are re-run without them on that client (DynamoDB
charges for whole items, and for the items a filter drops).
DynamoDB Streams reads by a Lambda event source are free and are not metered.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

WRITE_UNIT = 1024
READ_UNIT = 4096
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


def number_size(text: str) -> int:
    digits = Decimal(text).normalize().as_tuple().digits
    return math.ceil(max(len(digits), 1) / 2) + 1


def value_size(value: Mapping[str, Any]) -> int:
    """Bytes of one attribute value in wire format ({"S": "..."})."""
    ((kind, raw),) = value.items()
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        return number_size(raw)
    if kind == "B":
        return len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in raw)
    if kind == "NS":
        return sum(number_size(n) for n in raw)
    if kind == "BS":
        return sum(len(b) for b in raw)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in raw)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(v) for k, v in raw.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: Mapping[str, Any] | None) -> int:
    if not item:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / WRITE_UNIT))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / READ_UNIT))
    return float(units) if consistent else units / 2


def item_kind(key: Mapping[str, Any]) -> str:
    """What an item is, from its sort key (keys.py's design), for the breakdown."""
    sort_key = str(next(iter(key.get("SK", {}).values()), ""))
    return sort_key.split("#", 1)[0].lower() or "item"


def partition_of(key: Mapping[str, Any]) -> str:
    return str(next(iter(key["PK"].values())))


def queried_partition(operation: str, params: Mapping[str, Any]) -> str:
    """The partition a Query reads (an index's as "<IndexName> <key>"); a Scan reads them all."""
    if operation == "Scan":
        return "(scan)"
    condition = str(params.get("KeyConditionExpression", ""))
    names = params.get("ExpressionAttributeNames", {})
    values = params.get("ExpressionAttributeValues", {})
    for name, placeholder in re.findall(r"([#\w]+)\s*=\s*(:\w+)", condition):
        if names.get(name, name) in ("PK", "GSI1PK"):
            value = str(next(iter(values[placeholder].values())))
            return f"{params['IndexName']} {value}" if "IndexName" in params else value
    return "(unknown)"


@dataclass
class Tally:
    requests: Counter[str] = field(default_factory=Counter)
    wcu: Counter[str] = field(default_factory=Counter)
    """Write units by "Operation kind" (e.g. "PutItem session")."""
    rcu: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    items_written: Counter[str] = field(default_factory=Counter)
    write_sizes: Counter[str] = field(default_factory=Counter)
    """Item writes by kind and units ("session 2 WCU": how many session writes cost 2 units)."""
    largest_item: int = 0
    partition_wcu: Counter[str] = field(default_factory=Counter)
    """Write units by partition key value (the table's PK; an index's as "GSI1 <key>")."""
    partition_rcu: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    """Read units by partition key value, as `partition_wcu`."""

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def total_wcu(self) -> float:
        return float(sum(self.wcu.values()))

    @property
    def total_rcu(self) -> float:
        return float(sum(self.rcu.values()))


@dataclass
class _Target:
    table: str
    key: dict[str, Any]
    action: str
    """Put, Update, Delete or ConditionCheck."""
    new_item: dict[str, Any] | None = None
    old_size: int = 0


class CapacityMeter:
    """Counts requests and capacity units of every call made through `client`, per `phase`."""

    def __init__(self, client: Any, reference: Any, table: str) -> None:
        self._reference = reference
        description = reference.describe_table(TableName=table)["Table"]
        self._key_names = [part["AttributeName"] for part in description["KeySchema"]]
        self._index_keys = [
            [part["AttributeName"] for part in index["KeySchema"]]
            for index in description.get("GlobalSecondaryIndexes", [])
        ]
        self._index_names = [index["IndexName"] for index in description.get("GlobalSecondaryIndexes", [])]
        self.phase = "handler"
        self.tallies: dict[str, Tally] = defaultdict(Tally)
        client.meta.events.register("before-parameter-build.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    # ------------------------------------------------------------------ hooks
    def _before(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        operation = model.name
        self.tallies[self.phase].requests[operation] += 1
        targets = list(self._targets(operation, params)) if operation in WRITES else []
        for target in targets:
            target.old_size = item_size(self._current(target.table, target.key))
        context["bench_meter"] = (self.phase, operation, params, targets)

    def _after(self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        recorded = context.pop("bench_meter", None)
        if recorded is None:
            return
        phase, operation, params, targets = recorded
        tally = self.tallies[phase]
        if operation in WRITES:
            factor = 2 if operation == "TransactWriteItems" else 1
            failed = "Error" in parsed
            for target in targets:
                new_size = self._new_size(target, failed)
                size = max(target.old_size, new_size)
                units = write_units(size) * factor
                tally.partition_wcu[partition_of(target.key)] += units
                for index_partition in self._index_partitions(target):
                    units += factor * write_units(size)
                    tally.partition_wcu[index_partition] += factor * write_units(size)
                kind = item_kind(target.key)
                tally.wcu[f"{operation} {kind}"] += units
                tally.items_written[kind] += 1
                tally.write_sizes[f"{kind} {write_units(size)} WCU"] += 1
                tally.largest_item = max(tally.largest_item, size)
        elif operation == "GetItem":
            item = parsed.get("Item")
            if item is not None and "ProjectionExpression" in params:
                item = self._current(params["TableName"], params["Key"])
            read = read_units(item_size(item), bool(params.get("ConsistentRead")))
            tally.rcu[f"GetItem {item_kind(params['Key'])}"] += read
            tally.partition_rcu[partition_of(params["Key"])] += read
        elif operation == "BatchGetItem":
            unprocessed = parsed.get("UnprocessedKeys") or {}
            for table, request in params["RequestItems"].items():
                skipped = (unprocessed.get(table) or {}).get("Keys", [])
                consistent = bool(request.get("ConsistentRead"))
                for key in request["Keys"]:
                    if key in skipped:
                        continue
                    read = read_units(item_size(self._current(table, key)), consistent)
                    tally.rcu[f"BatchGetItem {item_kind(key)}"] += read
                    tally.partition_rcu[partition_of(key)] += read
        elif operation in ("Query", "Scan"):
            items = parsed.get("Items", [])
            reshaped = ("ProjectionExpression", "FilterExpression")
            if any(k in params for k in reshaped) or params.get("Select") not in (None, "ALL_ATTRIBUTES"):
                items = self._full_items(operation, params)
            kind = item_kind(items[0]) if items else "(no items)"
            read = read_units(sum(item_size(item) for item in items), bool(params.get("ConsistentRead")))
            tally.rcu[f"{operation} {kind}"] += read
            tally.partition_rcu[queried_partition(operation, params)] += read

    # ------------------------------------------------------------------ helpers
    def _targets(self, operation: str, params: Mapping[str, Any]) -> Iterable[_Target]:
        if operation == "PutItem":
            yield _Target(params["TableName"], self._key_of(params["Item"]), "Put", params["Item"])
        elif operation == "UpdateItem":
            yield _Target(params["TableName"], params["Key"], "Update")
        elif operation == "DeleteItem":
            yield _Target(params["TableName"], params["Key"], "Delete")
        elif operation == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                for request in requests:
                    if "PutRequest" in request:
                        item = request["PutRequest"]["Item"]
                        yield _Target(table, self._key_of(item), "Put", item)
                    else:
                        yield _Target(table, request["DeleteRequest"]["Key"], "Delete")
        elif operation == "TransactWriteItems":
            for action in params["TransactItems"]:
                ((name, body),) = action.items()
                if name == "Put":
                    yield _Target(body["TableName"], self._key_of(body["Item"]), name, body["Item"])
                else:
                    yield _Target(body["TableName"], body["Key"], name)

    def _key_of(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {name: item[name] for name in self._key_names}

    def _current(self, table: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self._reference.get_item(
            TableName=table, Key=key, ConsistentRead=True
        ).get("Item")
        return found

    def _new_size(self, target: _Target, failed: bool) -> int:
        if failed or target.action in ("Delete", "ConditionCheck"):
            return 0
        if target.action == "Put":
            return item_size(target.new_item)
        return item_size(self._current(target.table, target.key))

    def _index_partitions(self, target: _Target) -> list[str]:
        """The index partitions the item is written to (each index holding it costs a write)."""
        item = target.new_item or self._current(target.table, target.key) or {}
        return [
            f"{self._index_names[position]} {next(iter(item[names[0]].values()))}"
            for position, names in enumerate(self._index_keys)
            if all(name in item for name in names)
        ]

    def _full_items(self, operation: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The whole items the request read: without its projection and its filter, with the same
        key condition, Limit and start key."""
        dropped = ("ProjectionExpression", "Select", "FilterExpression")
        again = {k: v for k, v in params.items() if k not in dropped}
        used = str(params.get("KeyConditionExpression", ""))
        for placeholders in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
            kept = {
                k: v for k, v in params.get(placeholders, {}).items() if re.search(rf"{re.escape(k)}\b", used)
            }
            again.pop(placeholders, None)
            if kept:
                again[placeholders] = kept
        call = self._reference.query if operation == "Query" else self._reference.scan
        items: list[dict[str, Any]] = call(**again).get("Items", [])
        return items
