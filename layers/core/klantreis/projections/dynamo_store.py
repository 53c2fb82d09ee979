"""The stream wing's DynamoDB adapters (their ports and the projections' pure logic are in the
modules beside this one): the journey chunks a batch reads and the page statistics it writes, and
the decisions the uplift counters look up. The exactly-once writer and the day counters are in
counters_dynamo_store.py, the live board's adapter in live_board_dynamo_store.py: the report and
live functions, which use only those, do not load these."""

from __future__ import annotations

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
from klantreis.projections.counters_dynamo_store import apply_once
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
