"""Reading the counters of several days at once, over the klantreis.reports.ports.DayCounterReader
port."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context

from klantreis.reports.ports import CountersByDay, DayCounterReader

READ_WORKERS = 8
"""Days read at once: enough to hide DynamoDB's round trips, below botocore's 10 pooled
connections per client."""


def read_days(source: DayCounterReader, site_id: str, days: Sequence[str]) -> CountersByDay:
    """The counters of each day: one Query a day (so the cost follows the days asked for, never
    the traffic), several days at a time. boto3 clients are thread-safe. Each read runs in a copy
    of the caller's context, so what the caller set there (Powertools' thread-safe log keys, the
    local stack's IAM check) holds in the worker threads too."""
    unique = list(dict.fromkeys(days))
    if len(unique) <= 1:
        return {day: source.day_counters(site_id, day) for day in unique}
    contexts = [copy_context() for _ in unique]
    with ThreadPoolExecutor(max_workers=min(READ_WORKERS, len(unique))) as pool:
        counters = pool.map(
            lambda context, day: context.run(source.day_counters, site_id, day), contexts, unique
        )
        return dict(zip(unique, counters, strict=True))
