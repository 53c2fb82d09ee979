"""Replays batches through the track function's Lambda handler in-process, as API Gateway would
hand them over, with the server's clock pinned to each batch's `sent_at`.

Why the clock is pinned: the tracker moves event times onto the server clock
(`received_at - (sent_at - timestamp)`, klantreis.journey.events.corrected_timestamp), so a
historical file replayed now would be counted on today's date (and split over two days when the
replay runs across midnight UTC). Receiving each batch at the moment the widget sent it (a widget
whose clock is right, no network delay) keeps every event at its time in the file, so counters
land on the file's own days and can be compared with it exactly.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from unittest import mock

from bench.rees46 import ORIGIN, SITE_KEY, USER_AGENT, Batch

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


class PinnedClock:
    """The track function's clock (`track.dependencies.now`) during a replay: the moment set by
    the replay."""

    pinned: ClassVar[datetime] = datetime(2019, 10, 1, tzinfo=UTC)

    @classmethod
    def now(cls) -> datetime:
        return cls.pinned


@contextmanager
def server_clock_at_sent_at() -> Iterator[type[PinnedClock]]:
    """Pins the clock the track route reads (`track.dependencies.now`); fails loudly if it is gone."""
    from track import dependencies

    with mock.patch.object(dependencies, "now", PinnedClock.now):
        yield PinnedClock


def widget_headers() -> dict[str, str]:
    return {"X-Site-Key": SITE_KEY, "Origin": ORIGIN, "User-Agent": USER_AGENT}


@dataclass
class ReplayOutcome:
    batches: int = 0
    events: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    seconds_per_batch: list[float] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return sum(self.seconds_per_batch)


def default_handler() -> Handler:
    from track.handler import lambda_handler

    return lambda_handler


def replay(
    batches: Iterable[Batch],
    *,
    handler: Handler | None = None,
    timer: Callable[[], float] = time.perf_counter,
) -> ReplayOutcome:
    """POSTs every batch to /v1/events through `handler` (the track function's by default);
    `timer` times each handler call (wall time by default)."""
    from tests.factories import FakeContext, api_event

    invoke = handler or default_handler()
    context = FakeContext()
    headers = widget_headers()
    outcome = ReplayOutcome()
    with server_clock_at_sent_at() as clock:
        for batch in batches:
            event = api_event("POST", "/v1/events", body=batch.body(), headers=headers)
            clock.pinned = batch.sent_at
            started = timer()
            answer = invoke(event, context)
            outcome.seconds_per_batch.append(timer() - started)
            outcome.batches += 1
            outcome.events += len(batch.rows)
            outcome.statuses[answer["statusCode"]] += 1
            body = json.loads(answer["body"])
            if answer["statusCode"] == 200:
                outcome.accepted += body["accepted"]
                outcome.duplicates += body["duplicates"]
                outcome.rejected.extend({"batch": batch.session_id, **r} for r in body["rejected"])
            else:
                outcome.rejected.append({"batch": batch.session_id, "status": answer["statusCode"], **body})
    return outcome
