"""Lambda's DynamoDB stream event source, played in-process: how a batch is retried, bisected and
given up, with the settings of the function's event in template.yaml.

Modelled on Lambda's documented behaviour (docs/decisions.md, "Poison stream records and partial
batch responses"):
- an answer without `batchItemFailures` (or with an empty list) checkpoints the whole batch;
- with `ReportBatchItemFailures`, the lowest reported sequence number is the checkpoint: the
  records before it are done, and the rest is delivered again;
- an invocation error (or a report of the batch's first record) retries the batch; with
  `BisectBatchOnFunctionError` an invocation error splits it in two first, and each half is
  retried on its own;
- after `MaximumRetryAttempts` retries of a batch, its records go to the `OnFailure`
  destination (the dead-letter queue) and the shard moves on.
A half inherits its parent's retry count, so bounds hold at least as tightly as deployed.
The local stream pump delivers with it, and the fault tests drive it directly.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from klantreis_local import template

log = logging.getLogger("klantreis_local")

StreamRecord = dict[str, Any]
Consumer = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class StreamSourceSettings:
    """The retry settings of one DynamoDB event source mapping."""

    maximum_retry_attempts: int = 2
    bisect_on_error: bool = False
    report_batch_item_failures: bool = False
    dead_letter: bool = False


DEFAULT_SETTINGS = StreamSourceSettings()
"""For consumers that are not template functions (test probes): a couple of retries, then give up."""


def settings_of(logical_id: str, path: Path = template.TEMPLATE) -> StreamSourceSettings:
    """The settings of the function's DynamoDB event in the template."""
    function = template.resources("AWS::Serverless::Function", path)[logical_id]
    events = function["Properties"].get("Events") or {}
    [props] = [event["Properties"] for event in events.values() if event["Type"] == "DynamoDB"]
    retries = int(props.get("MaximumRetryAttempts", -1))
    return StreamSourceSettings(
        # -1 is Lambda's "until the record expires": locally, a bound that still ends.
        maximum_retry_attempts=retries if retries >= 0 else 10_000,
        bisect_on_error=bool(props.get("BisectBatchOnFunctionError", False)),
        report_batch_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
        dead_letter=bool((props.get("DestinationConfig") or {}).get("OnFailure")),
    )


@dataclass
class Delivery:
    """What delivering one batch took: invocations, and the records given up."""

    invocations: int = 0
    errors: int = 0
    dead_letters: list[list[StreamRecord]] = field(default_factory=list)

    @property
    def dead_records(self) -> list[StreamRecord]:
        return [record for batch in self.dead_letters for record in batch]


def _sequence(record: StreamRecord) -> str:
    return str(record.get("dynamodb", {}).get("SequenceNumber", ""))


def _checkpoint(answer: Any, batch: Sequence[StreamRecord]) -> int | None:
    """The index of the lowest failed record an answer reports (None: the whole batch is done).
    A report Lambda cannot read (an unknown or empty identifier) fails the whole batch: 0."""
    if not isinstance(answer, dict) or not answer.get("batchItemFailures"):
        return None
    positions = {_sequence(record): index for index, record in enumerate(batch)}
    reported = [failure.get("itemIdentifier") for failure in answer["batchItemFailures"]]
    if any(not identifier or identifier not in positions for identifier in reported):
        return 0
    return min(positions[identifier] for identifier in reported)


def deliver(
    records: Sequence[StreamRecord],
    consumer: Consumer,
    context: Any,
    settings: StreamSourceSettings = DEFAULT_SETTINGS,
) -> Delivery:
    """Delivers one batch as Lambda would, until every record is checkpointed or given up."""
    delivery = Delivery()
    pending: deque[tuple[list[StreamRecord], int]] = deque([(list(records), 0)])
    while pending:
        batch, retries = pending.popleft()
        delivery.invocations += 1
        try:
            answer = consumer({"Records": batch}, context)
        except Exception:
            log.exception("stream batch of %d records failed (retry %d)", len(batch), retries)
            delivery.errors += 1
            failed_at: int | None = 0
            split = settings.bisect_on_error
        else:
            failed_at = _checkpoint(answer, batch) if settings.report_batch_item_failures else None
            split = False
        if failed_at is None:
            continue
        remaining = batch[failed_at:]
        if failed_at > 0:
            pending.appendleft((remaining, retries + 1))
        elif retries >= settings.maximum_retry_attempts:
            log.error("stream batch of %d records given up after %d retries", len(remaining), retries)
            delivery.dead_letters.append(remaining)
        elif split and len(remaining) > 1:
            middle = len(remaining) // 2
            pending.extendleft([(remaining[middle:], retries + 1), (remaining[:middle], retries + 1)])
        else:
            pending.appendleft((remaining, retries + 1))
    return delivery
