"""The stream wing's DynamoDB adapters (their ports and the projections' pure logic are in the
modules beside this one): the exactly-once writer every projection that adds to stored totals goes
through, the day counters, the journey chunks a batch reads and the page statistics it writes, and the
decisions the uplift counters look up. The live board's adapter is live_board_dynamo_store.py: the
live function, which uses only it, does not load these."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from klantreis import dynamo, keys
from klantreis.errors import ConcurrentUpdate
from klantreis.journey.dynamo_store import read_deltas, read_snapshot
from klantreis.journey.page_stats import (
    FIELDS,
    PAGES_SK_SNAPSHOT,
    capped,
    decode_pages,
    delta_sk,
    encode_pages,
    merge_pages,
    pages_pk,
    stored_number,
    totals_of,
)
from klantreis.projections.day_counters import (
    COUNTER_SLOTS,
    COUNTERS,
    KEY_ATTRIBUTES,
    MAX_NAMES_PER_UPDATE,
    DayKey,
)
from klantreis.projections.exactly_once import marker_put, transaction_parts
from klantreis.projections.pages import (
    DELTA_TTL_SECONDS,
    FOLD_ESTIMATES,
    FOLD_MARGIN_SECONDS,
    FOLD_MAX_WAIT_SECONDS,
    FOLD_MIN_BYTES,
    SNAPSHOT_MAX_BYTES,
    SNAPSHOT_MAX_PAGES,
    FoldEstimate,
)
from klantreis.projections.report_counters import ArmDecision, moment_of
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


class DynamoChunkReader:
    """Journey chunks of the sessions of one stream batch: BatchGetItem for what `prefetch` is
    given, GetItem for the rare chunk needed beyond that; eventually consistent (a chunk is
    written before the session item that lists it, and never changes)."""

    def __init__(self, dynamodb: Any, table: str, *, max_rounds: int = 8) -> None:
        self._db = dynamodb
        self._table = table
        self._max_rounds = max_rounds
        self._cache: dict[tuple[str, str], list[dict[str, Any]] | None] = {}

    def prefetch(self, wanted: Iterable[tuple[str, str]]) -> None:
        missing = list(dict.fromkeys(key for key in wanted if key not in self._cache))
        for key in missing:
            self._cache[key] = None
        found = dynamo.batch_get(
            self._db,
            self._table,
            ({"PK": pk, "SK": sk} for pk, sk in missing),
            projection="PK, SK, entries",
            max_rounds=self._max_rounds,
        )
        for item in found:
            plain = dynamo.from_item(item)
            self._cache[(plain["PK"], plain["SK"])] = list(plain.get("entries", []))

    def entries(self, partition_key: str, sort_key: str) -> list[dict[str, Any]] | None:
        key = (partition_key, sort_key)
        if key not in self._cache:
            item = self._db.get_item(
                TableName=self._table,
                Key=dynamo.to_item({"PK": partition_key, "SK": sort_key}),
                ProjectionExpression="entries",
            ).get("Item")
            self._cache[key] = list(dynamo.from_item(item).get("entries", [])) if item else None
        return self._cache[key]


class DynamoPageStatsWriter:
    def __init__(
        self,
        dynamodb: Any,
        table: str,
        *,
        fold_margin_seconds: int = FOLD_MARGIN_SECONDS,
        fold_min_bytes: int = FOLD_MIN_BYTES,
        fold_max_wait_seconds: int = FOLD_MAX_WAIT_SECONDS,
        estimates: dict[tuple[str, str], FoldEstimate] | None = None,
    ) -> None:
        self._db = dynamodb
        self._table = table
        self._margin = fold_margin_seconds
        self._min_bytes = fold_min_bytes
        self._max_wait = fold_max_wait_seconds
        self._estimates = FOLD_ESTIMATES if estimates is None else estimates

    def add_once(self, marker: str, deltas: Mapping[str, Mapping[str, Sequence[float]]], now: int) -> bool:
        sites = sorted(site_id for site_id, pages in deltas.items() if pages)
        blobs = {site_id: encode_pages(deltas[site_id]) for site_id in sites}
        actions = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": dynamo.to_item(
                        {
                            "PK": pages_pk(site_id),
                            "SK": delta_sk(now * 1000, marker),
                            "pages": blobs[site_id],
                            "expires_at": now + DELTA_TTL_SECONDS,
                        }
                    ),
                }
            }
            for site_id in sites
        ]
        if not apply_once(self._db, self._table, f"pages#{marker}", actions, now):
            return False
        for site_id in sites:
            estimate = self._estimates.setdefault((self._table, site_id), FoldEstimate())
            estimate.pending_bytes += len(blobs[site_id])
            estimate.pending_since = estimate.pending_since or now
            if self._fold_due(estimate, now):
                self.fold(site_id, now)
        return True

    def _fold_due(self, estimate: FoldEstimate, now: int) -> bool:
        """Once the deltas weigh as much as the snapshot (so each byte of history is rewritten a
        bounded number of times), or have waited long; never before any is past the margin."""
        waited = now - (estimate.pending_since or now)
        if not estimate.pending_bytes or waited < self._margin:
            return False
        threshold = max(estimate.snapshot_bytes or 0, self._min_bytes)
        return estimate.pending_bytes >= threshold or waited >= self._max_wait

    def fold(self, site_id: str, now: int) -> bool:
        """Folds the deltas older than the margin into the snapshot; False if there was nothing to
        fold or another consumer folded first (its snapshot version won)."""
        snapshot = read_snapshot(self._db, self._table, site_id, consistent=True)
        version, watermark = int(snapshot.get("version", 0)), int(snapshot.get("watermark", 0))
        estimate = self._estimates.setdefault((self._table, site_id), FoldEstimate())
        estimate.snapshot_bytes = len(snapshot.get("pages", b""))
        cutoff = (now - self._margin) * 1000
        if cutoff <= watermark:
            return False
        items = read_deltas(self._db, self._table, site_id, after=watermark, up_to=cutoff, consistent=True)
        if not items:
            return False
        pages = decode_pages(snapshot.get("pages"))
        totals = [float(v) for v in snapshot.get("totals", [0.0] * len(FIELDS))]
        for item in items:
            change = decode_pages(item.get("pages"))
            merge_pages(pages, change)
            totals = [a + b for a, b in zip(totals, totals_of(change), strict=True)]
        pages = capped(pages, SNAPSHOT_MAX_PAGES)
        blob = encode_pages(pages)
        while len(blob) > SNAPSHOT_MAX_BYTES:
            pages = capped(pages, len(pages) // 2)
            blob = encode_pages(pages)
        try:
            self._db.put_item(
                TableName=self._table,
                Item=dynamo.to_item(
                    {
                        "PK": pages_pk(site_id),
                        "SK": PAGES_SK_SNAPSHOT,
                        "version": version + 1,
                        "watermark": cutoff,
                        "totals": [stored_number(v) for v in totals],
                        "pages": blob,
                        "folded_at": now,
                    }
                ),
                ConditionExpression="attribute_not_exists(PK) OR version = :version",
                ExpressionAttributeValues={":version": dynamo.to_value(version)},
            )
        except ClientError as exc:
            translated = dynamo.translate(exc)
            if isinstance(translated, ConcurrentUpdate):
                self._folded(site_id, None)  # another consumer folded meanwhile
                return False
            raise translated from exc
        self._folded(site_id, len(blob))
        return True

    def _folded(self, site_id: str, snapshot_bytes: int | None) -> None:
        estimate = self._estimates.setdefault((self._table, site_id), FoldEstimate())
        estimate.snapshot_bytes = snapshot_bytes
        estimate.pending_bytes, estimate.pending_since = 0, None


class DynamoDecisionLookup:
    """A session's decisions from the visitor's partition: one consistent Query over the days
    around the session (SK `DECISION#{iso time}#{id}`, newest first), filtered by session."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def session_decisions(
        self, site_id: str, visitor_id: str, session_id: str, since: datetime, until: datetime
    ) -> list[ArmDecision]:
        # Whole UTC dates as bounds: decision times are ISO text whose precision varies.
        low = keys.DECISION_PREFIX + since.astimezone(UTC).date().isoformat()
        high = keys.DECISION_PREFIX + (until.astimezone(UTC).date() + timedelta(days=1)).isoformat()
        items = dynamo.query_all(
            self._db,
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND SK BETWEEN :low AND :high",
            FilterExpression="session_id = :session",
            ProjectionExpression="SK, #at, #day, reason, first_in_session, #policy, policy_offer",
            ExpressionAttributeNames={"#at": "at", "#day": "day", "#policy": "policy"},
            ExpressionAttributeValues={
                ":pk": dynamo.to_value(keys.visitor_pk(site_id, visitor_id)),
                ":low": dynamo.to_value(low),
                ":high": dynamo.to_value(high),
                ":session": dynamo.to_value(session_id),
            },
            ScanIndexForward=False,
            ConsistentRead=True,
        )
        found = []
        for item in items:
            plain = dynamo.from_item(item)
            at = moment_of(plain.get("at"))
            policy_offer = plain.get("policy_offer")
            if at is None or not plain.get("day"):
                continue
            found.append(
                ArmDecision(
                    at=at,
                    day=str(plain["day"]),
                    reason=str(plain.get("reason", "")),
                    first_in_session=bool(plain.get("first_in_session")),
                    policy=str(plain["policy"]) if plain.get("policy") else None,
                    policy_offer=policy_offer if isinstance(policy_offer, bool) else None,
                )
            )
        return found


def _number(value: float) -> float | int:
    """Counters are whole numbers, money (cents) or seconds (to the millisecond): 3 decimals keep
    each of them and drop the binary noise of float arithmetic."""
    return int(value) if float(value).is_integer() else round(value, 3)
