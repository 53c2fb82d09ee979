"""Lambda entry point of the counter aggregation: DynamoDB stream records of session, decision,
offer, chat and survey items in, each decoded once into a change (klantreis.projections.changes);
daily counters and per-page statistics out (each exactly once per batch; see the projections
`day_counters`, `report_counters` and `pages`), then purchases attributed to chats (once per
chat; `attribution`).

The day's counters of a batch — session and funnel counters, the report's chat, survey and hourly
counters, and the uplift experiment's converted sessions (whose arm is read from the sessions'
decisions first) — are written in one exactly-once transaction per batch, marked by the records
it counts.

Failures (docs/decisions.md, "Poison stream records and partial batch responses"): each record is
first decoded alone, in order, by Powertools' batch processor, stopping at the first record that
cannot be decoded (a poison record). Only the records before it are counted, and the answer
reports it as failed, so Lambda checkpoints before it and retries from it. A poison record first
in its batch fails the invocation, which is safe because nothing was written yet: Lambda bisects
the batch until the record is alone, retries it `MaximumRetryAttempts` times and sends it to the
dead-letter queue, while the records behind it are counted. A transient failure (throttling, a
DynamoDB 5xx), and any failure once the writes have begun, answers the batch's first record as
failed: Lambda retries the same batch, never bisected, so the same records are counted under the
same markers and the parts an attempt wrote before failing are skipped."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.base import FailureResponse, SuccessResponse
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from aggregate import dependencies
from klantreis import dynamo
from klantreis.observability import logger, metrics
from klantreis.projections import attribution, day_counters, pages, report_counters
from klantreis.projections.attribution import Purchase
from klantreis.projections.changes import ItemChange
from klantreis.projections.day_counters import DayKey, merge
from klantreis.projections.exactly_once import batch_marker
from klantreis.projections.report_counters import FirstPurchase


class NotProcessed(Exception):
    """A record after the batch's first failed one: left for Lambda's retry from the failure."""


class InOrderStreamProcessor(BatchProcessor):
    """Powertools' partial-batch processor for one stream shard's records in order: after the first
    record that fails, the rest are reported failed without being processed, so what succeeded is
    always a prefix of the batch (Lambda checkpoints before the lowest failed record and delivers
    everything from it again). Every record failing raises BatchProcessingError: an invocation
    error, which Lambda bisects."""

    _not_processed = (NotProcessed, NotProcessed("an earlier record of the batch failed"), None)

    def __init__(self) -> None:
        super().__init__(EventType.DynamoDBStreams)

    def _process_record(self, record: dict[str, Any]) -> SuccessResponse | FailureResponse:
        if self.fail_messages:
            return self.failure_handler(self._to_batch_type(record, self.event_type), self._not_processed)
        return super()._process_record(record)


@dataclass(frozen=True)
class RecordCounts:
    """What one stream record contributes, decoded once and counted without reading anything."""

    change: ItemChange
    deltas: dict[DayKey, dict[str, float]]
    first_purchases: list[FirstPurchase]
    purchases: list[Purchase]


def decode(record: DynamoDBRecord) -> RecordCounts:
    """One record's counters, first purchases and attributable purchases; raises on a poison one."""
    one = [ItemChange(record.raw_event)]
    deltas = day_counters.deltas(one)
    merge(deltas, report_counters.deltas(one))
    return RecordCounts(one[0], deltas, report_counters.first_purchases(one), attribution.purchases(one))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    records: list[dict[str, Any]] = event.get("Records", [])
    processor = InOrderStreamProcessor()
    with processor(records, decode):
        outcomes = processor.process()
    counted = [result for status, result, _ in outcomes if status == "success"]
    if len(counted) < len(records):
        metrics.add_metric(name="StreamRecordsPoisoned", unit="Count", value=1)
        logger.warning(
            "a stream record could not be decoded; counting the records before it",
            extra={
                "counted": len(counted),
                "records": len(records),
                "error": str(processor.exceptions[0][1]),
            },
        )
    prefix = [one.change for one in counted]
    deltas: dict[DayKey, dict[str, float]] = {}
    for one in counted:
        merge(deltas, one.deltas)
    bought = [purchase for one in counted for purchase in one.first_purchases]
    # Reads (the bought sessions' decisions, the sessions' journey chunks) come before any write
    # of this attempt, but an earlier attempt of the same batch may have written parts: a
    # transient failure asks for the same batch again, unsplit; only a failure the data causes
    # (the same on every attempt, so no attempt got past it) fails the invocation to be bisected.
    try:
        merge(deltas, report_counters.uplift_deltas(bought, dependencies.decision_lookup()))
        page_deltas = pages.deltas(prefix, dependencies.chunk_reader())
    except Exception as exc:
        if dynamo.transient(exc) is None:
            raise
        return _retry_whole_batch(records, "reading for the batch's counters failed")
    marker, now = batch_marker(change.raw for change in prefix), int(time.time())
    try:
        applied = bool(deltas) and dependencies.counter_store().add_once(marker, deltas, now)
        pages_applied = bool(page_deltas) and dependencies.page_writer().add_once(marker, page_deltas, now)
        chats = dependencies.chat_store()
        credits = [
            credit for one in counted for p in one.purchases for credit in attribution.attribute(p, chats)
        ]
    except Exception:
        # Some parts may be written: the same batch must come again, unsplit, so that the same
        # markers skip them.
        return _retry_whole_batch(records, "writing the batch's counters failed")
    conversions = sum(1 for credit in credits if credit.credited)
    metrics.add_metric(name="StreamRecords", unit="Count", value=len(prefix))
    if conversions:
        metrics.add_metric(name="ChatConversions", unit="Count", value=conversions)
    logger.info(
        "stream batch counted",
        extra={
            "records": len(records),
            "counted": len(prefix),
            "days": len(deltas),
            "applied": applied,
            "page_sites": len(page_deltas),
            "pages_applied": pages_applied,
            "purchases": sum(len(one.purchases) for one in counted),
            "first_purchase_sessions": len(bought),
            "chat_conversions": conversions,
        },
    )
    return processor.response()


def _retry_whole_batch(records: list[dict[str, Any]], what: str) -> PartialItemFailureResponse:
    """The batch's first record reported failed: Lambda delivers the same batch again, unsplit
    (it retries from the lowest failed record)."""
    logger.exception(f"{what}; Lambda retries the whole batch")
    metrics.add_metric(name="StreamBatchesRetried", unit="Count", value=1)
    return {"batchItemFailures": [{"itemIdentifier": str(records[0]["dynamodb"]["SequenceNumber"])}]}
