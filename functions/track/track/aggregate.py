"""Lambda entry point of the counter aggregation: DynamoDB stream records of session, decision,
offer, chat and survey items in; daily counters and per-page statistics out (each exactly once
per batch; see klantreis.journey.counters, klantreis.reports.counting and klantreis.journey.pages),
then purchases attributed to chats (once per chat; see klantreis.conversations.attribution).

The day's counters of a batch — session and funnel counters, the report's chat, survey and hourly
counters, and the uplift experiment's converted sessions (whose arm is read from the sessions'
decisions first) — are written in one exactly-once transaction per batch.

Attribution runs after the counters are applied and lets its failures raise: Lambda retries the
whole batch, whose counters are then skipped by their markers and whose chats already credited by
the condition of their conversion."""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from klantreis import dynamo
from klantreis.conversations.attribution import AttributionStore, attribute, purchases_in_stream
from klantreis.conversations.store import DynamoChatStore
from klantreis.journey import pages
from klantreis.journey.counters import (
    CounterStore,
    DynamoCounterStore,
    batch_marker,
    deltas_from_stream,
    merge,
)
from klantreis.observability import logger, metrics
from klantreis.reports.counting import (
    DecisionLookup,
    DynamoDecisionLookup,
    changes,
    first_purchases_of,
    report_deltas_of,
    uplift_deltas,
)
from klantreis.settings import get_settings


@cache
def counter_store() -> CounterStore:
    return DynamoCounterStore(dynamo.client(), get_settings().table_name)


def decision_lookup() -> DecisionLookup:
    # Not cached: cheap to build, and the client and settings it takes are cached already.
    return DynamoDecisionLookup(dynamo.client(), get_settings().table_name)


def chat_store() -> AttributionStore:
    # Not cached: cheap to build, and the client and settings it takes are cached already.
    return DynamoChatStore(dynamo.client(), get_settings().table_name)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    records = event.get("Records", [])
    deltas = deltas_from_stream(records)
    decoded = list(changes(records))  # decoded once for the report counters and the uplift
    merge(deltas, report_deltas_of(decoded))
    bought = first_purchases_of(decoded)
    # Reads (the bought sessions' decisions), made before the write: the uplift counters go into
    # the batch's one exactly-once transaction with the rest.
    merge(deltas, uplift_deltas(bought, decision_lookup()))
    marker, now = batch_marker(records), int(time.time())
    applied = bool(deltas) and counter_store().add_once(marker, deltas, now)
    # Not cached: both are cheap to build, and the chunk reader's cache is per batch.
    table = get_settings().table_name
    page_deltas = pages.deltas_from_stream(records, pages.DynamoChunkReader(dynamo.client(), table))
    pages_applied = bool(page_deltas) and pages.DynamoPageStatsWriter(dynamo.client(), table).add_once(
        marker, page_deltas, now
    )
    purchases = purchases_in_stream(records)
    chats = chat_store()
    credits = [credit for purchase in purchases for credit in attribute(purchase, chats)]
    conversions = sum(1 for credit in credits if credit.credited)
    metrics.add_metric(name="StreamRecords", unit="Count", value=len(records))
    if conversions:
        metrics.add_metric(name="ChatConversions", unit="Count", value=conversions)
    logger.info(
        "stream batch counted",
        extra={
            "records": len(records),
            "days": len(deltas),
            "applied": applied,
            "page_sites": len(page_deltas),
            "pages_applied": pages_applied,
            "purchases": len(purchases),
            "first_purchase_sessions": len(bought),
            "chat_conversions": conversions,
        },
    )
    return {"records": len(records), "days": len(deltas)}
