"""The bench's runs against in-process moto: the replay metered for DynamoDB capacity, and the
replay timed for throughput."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from bench import rees46
from bench.capacity import CapacityMeter, Tally
from bench.moto_speedup import faster_moto
from bench.replay import replay
from bench.throughput import summarise

TABLE = "klantreis-bench"


def template_window() -> int:
    """MaximumBatchingWindowInSeconds of the aggregation's stream event source in template.yaml."""
    from klantreis_local import template

    for spec in template.resources("AWS::Serverless::Function").values():
        for event in (spec["Properties"].get("Events") or {}).values():
            if event["Type"] == "DynamoDB":
                return int(event["Properties"].get("MaximumBatchingWindowInSeconds", 0))
    raise LookupError("template.yaml has no stream function")


AGGREGATION_WINDOWS = (5, 60, 300)
"""Stream batching windows compared (Lambda allows up to 300 s); the template's is added."""


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Powertools prints one metrics line per invocation to stdout; the bench prints a table."""
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        yield


def _per_event(tally: Tally, events: int) -> dict[str, Any]:
    return {
        "requests": tally.total_requests,
        "wcu": tally.total_wcu,
        "rcu": tally.total_rcu,
        "requests_per_event": round(tally.total_requests / events, 3),
        "wcu_per_event": round(tally.total_wcu / events, 3),
        "rcu_per_event": round(tally.total_rcu / events, 3),
        "requests_by_operation": dict(sorted(tally.requests.items())),
        "wcu_by_write": dict(sorted(tally.wcu.items())),
        "rcu_by_read": dict(sorted(tally.rcu.items())),
        "items_written": dict(sorted(tally.items_written.items())),
        "write_sizes": dict(sorted(tally.write_sizes.items())),
        "largest_item_bytes": tally.largest_item,
    }


def aggregation_windows(batches: list[rees46.Batch], seconds: int) -> int:
    """Stream batching windows of `seconds` with at least one session write, had the file's
    traffic arrived at its own pace (one shard): the aggregation's invocations at low traffic."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return len({int((b.sent_at - epoch).total_seconds()) // seconds for b in batches})


def capacity(batches: list[rees46.Batch], expected: rees46.Expected) -> dict[str, Any]:
    """Replays `batches` with the meter on the functions' client, then drains the stream through
    the aggregation function (stream batches of 500, as the template's BatchSize). moto takes
    the shortcuts of bench.moto_speedup: they change its speed, not its answers."""
    import boto3

    from klantreis import dynamo
    from klantreis.projections.counters_dynamo_store import DynamoCounterStore
    from klantreis.projections.day_counters import SESSION_COUNTERS
    from klantreis_local import runtime

    with runtime.local_dynamodb(TABLE) as db, quiet(), faster_moto():
        rees46.seed_site(db, TABLE)
        meter = CapacityMeter(dynamo.client(), boto3.client("dynamodb", region_name=runtime.REGION), TABLE)
        meter.phase = "handler"
        outcome = replay(batches)
        meter.phase = "aggregation"
        stream = runtime.StreamPump(db, TABLE)
        records = stream.drain()
        counters = DynamoCounterStore(db, TABLE)
        counted = {
            day: {name: value for name, value in counters.day_totals(rees46.SITE_ID, day).items()
                  if name in SESSION_COUNTERS}
            for day in expected.days
        }  # fmt: skip

    events = outcome.accepted
    handler, aggregation = meter.tallies["handler"], meter.tallies["aggregation"]
    # Per invocation of the aggregation (its daily counters and page statistics together).
    wcu_per_invocation = aggregation.total_wcu / stream.invocations if stream.invocations else 0.0
    total_wcu = handler.total_wcu + aggregation.total_wcu
    return {
        "batches": outcome.batches,
        "events": events,
        "events_per_batch": round(events / outcome.batches, 2),
        "floor_wcu_per_event": round(outcome.batches / events, 3),
        "statuses": {str(k): v for k, v in outcome.statuses.items()},
        "stream_records": records,
        "counters_match_file": counted == {day: t.counters() for day, t in expected.days.items()},
        "handler": _per_event(handler, events),
        "aggregation": _per_event(aggregation, events),
        "total": {
            "requests_per_event": round((handler.total_requests + aggregation.total_requests) / events, 3),
            "wcu_per_event": round(total_wcu / events, 3),
            "rcu_per_event": round((handler.total_rcu + aggregation.total_rcu) / events, 3),
        },
        "aggregation_wcu_per_invocation": round(wcu_per_invocation, 2),
        "aggregation_paced": [
            _paced(batches, seconds, wcu_per_invocation, handler, events)
            for seconds in sorted({*AGGREGATION_WINDOWS, template_window()})
        ],
    }


def _paced(
    batches: list[rees46.Batch], seconds: int, wcu_per_invocation: float, handler: Tally, events: int
) -> dict[str, Any]:
    """The aggregation's writes estimated at the file's own pace: one invocation per batching
    window with writes, each costing what one invocation cost in the measured drain."""
    windows = aggregation_windows(batches, seconds)
    wcu = windows * wcu_per_invocation
    return {
        "window_seconds": seconds,
        "invocations": windows,
        "wcu_per_event": round(wcu / events, 3),
        "total_wcu_per_event": round((handler.total_wcu + wcu) / events, 3),
    }


def moto_throughput(batches: list[rees46.Batch]) -> dict[str, Any]:
    """Wall time per batch of one warm handler in-process against moto as it is (no meter, no
    shortcuts)."""
    from klantreis_local import runtime

    with runtime.local_dynamodb(TABLE) as db, quiet():
        rees46.seed_site(db, TABLE)
        outcome = replay(batches)
    return summarise(outcome, "wall (perf_counter), in-process moto; moto's own work included")
