"""Lambda entry point of the live view's stream consumer: DynamoDB stream records of session,
decision and chat items in; each site's live board (`SITE#{site}` / `LIVE`) out, with one
conditional write per site and batch (klantreis.projections.live_board).

A failure raises: Lambda retries the batch (bisecting it), and folding records the board has
seen already changes nothing. Records of other items are ignored (the event source's filter
passes only these kinds; the local stream pump passes everything)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from aggregate import live_dependencies
from klantreis.observability import logger, metrics
from klantreis.projections import changes


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    records = event.get("Records", [])
    update = live_dependencies.live_updater().apply(changes.decode(records))
    metrics.add_metric(name="LiveBoardWrites", unit="Count", value=update.writes)
    if update.conflicts:
        metrics.add_metric(name="LiveBoardConflicts", unit="Count", value=update.conflicts)
    if update.unreadable:
        metrics.add_metric(name="LiveRecordsUnreadable", unit="Count", value=update.unreadable)
        logger.warning("stream records the live board could not read", extra={"count": update.unreadable})
    logger.info(
        "live boards updated",
        extra={
            "records": update.records,
            "changes": update.changes,
            "sites": update.sites,
            "writes": update.writes,
            "unchanged": update.unchanged,
            "conflicts": update.conflicts,
            "visitors": update.visitors,
        },
    )
    return {"records": update.records, "sites": update.sites, "writes": update.writes}
