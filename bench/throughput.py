"""How many events one warm track handler sustains: against moto (wall time, moto's own work
included), and with DynamoDB replaced by the in-memory fakes of the ports (CPU time of the
handler alone: resolver, validation, the fold, Powertools; no botocore, no item (de)serialising)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from unittest import mock

from bench.rees46 import SITE_KEY, Batch, replay_site
from bench.replay import ReplayOutcome, replay
from klantreis.journey.tracker import Limits, Tracker
from klantreis.sites import SiteDirectory
from tests.fakes import InMemorySessionStore, InMemorySiteStore


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summarise(outcome: ReplayOutcome, clock: str) -> dict[str, Any]:
    per_batch = outcome.seconds_per_batch
    return {
        "clock": clock,
        "batches": outcome.batches,
        "events": outcome.events,
        "accepted": outcome.accepted,
        "events_per_batch": round(outcome.events / outcome.batches, 2),
        "p50_ms_per_batch": round(statistics.median(per_batch) * 1000, 3),
        "p99_ms_per_batch": round(percentile(per_batch, 0.99) * 1000, 3),
        "ms_per_event": round(outcome.seconds / outcome.events * 1000, 3),
        "events_per_second": round(outcome.events / outcome.seconds, 1),
        "batches_per_second": round(outcome.batches / outcome.seconds, 1),
    }


@contextmanager
def in_memory_ports() -> Iterator[InMemorySessionStore]:
    """The track function's services built on the fakes (`track.dependencies` patched)."""
    from track import dependencies

    sites = InMemorySiteStore(replay_site())
    sites.add_key(replay_site().site_id, SITE_KEY)
    directory = SiteDirectory(sites, ttl_seconds=60)
    sessions = InMemorySessionStore()
    tracker = Tracker(sessions, Limits())

    def site_directory() -> SiteDirectory:
        return directory

    def track_service() -> Tracker:
        return tracker

    with (
        mock.patch.object(dependencies, "site_directory", site_directory),
        mock.patch.object(dependencies, "tracker", track_service),
    ):
        yield sessions


def with_fakes(batches: list[Batch], rounds: int = 3) -> dict[str, Any]:
    """CPU time per batch of the handler on the fakes; each round on fresh stores (first
    delivery, as in production), after one warm-up round."""
    samples = ReplayOutcome()
    for round_number in range(rounds + 1):
        with in_memory_ports():
            outcome = replay(batches, timer=time.process_time)
        if round_number == 0:
            continue
        samples.batches += outcome.batches
        samples.events += outcome.events
        samples.accepted += outcome.accepted
        samples.seconds_per_batch.extend(outcome.seconds_per_batch)
    return summarise(samples, "CPU (process_time), DynamoDB replaced by in-memory fakes")
