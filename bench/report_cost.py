"""The daily report's cost does not grow with traffic: the same report over the same days reads the
same number of items after 10,000 and after 100,000 tracked events (at most the days' counter
slots and the site profile, whatever the traffic).

Events go the real way: through the track function's handler, the table's stream and the
aggregate function, into the day's counters; the report is asked through the report function's
handler, and every item DynamoDB hands back to it is counted (a botocore hook on its client).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench.replay import server_clock_at_sent_at, widget_headers

SITE = "rees46"
DAYS = 7
FIRST_DAY = date(2026, 11, 2)
EVENTS_PER_SESSION = 20
STREAM_BATCH = 5


@dataclass
class ReportReads:
    events: int
    items: int
    requests: int
    rows: int


def _sessions(start: int, count: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    """`count` sessions of EVENTS_PER_SESSION events, spread over the DAYS days."""
    for number in range(start, start + count):
        day = FIRST_DAY + timedelta(days=number % DAYS)
        at = datetime(day.year, day.month, day.day, 9, tzinfo=UTC) + timedelta(seconds=(number * 7) % 36_000)
        events = []
        for step in range(EVENTS_PER_SESSION):
            kind = "page_view"
            fields: dict[str, Any] = {"url": f"https://rees46.example/p/{rng.randrange(500)}"}
            if step == EVENTS_PER_SESSION - 3 and rng.random() < 0.3:
                kind, fields = "add_to_cart", {"product_id": f"p-{number}", "value": 49.95, "currency": "EUR"}
            elif step == EVENTS_PER_SESSION - 1 and rng.random() < 0.1:
                kind, fields = "purchase", {"value": 49.95, "currency": "EUR"}
            moment = at + timedelta(seconds=step * 5)
            events.append(
                {
                    "event_id": f"e-{number}-{step}",
                    "type": kind,
                    "timestamp": moment.isoformat().replace("+00:00", "Z"),
                    **fields,
                }
            )
        sent = at + timedelta(seconds=EVENTS_PER_SESSION * 5 + 1)
        yield {
            "visitor_id": f"v-{number}",
            "session_id": f"s-{number}",
            "sent_at": sent.isoformat().replace("+00:00", "Z"),
            "events": events,
        }


def _track(bodies: Iterator[dict[str, Any]]) -> int:
    from tests.factories import FakeContext, api_event
    from track.handler import lambda_handler

    events = 0
    with server_clock_at_sent_at() as clock:
        for body in bodies:
            clock.pinned = datetime.fromisoformat(body["sent_at"].replace("Z", "+00:00"))
            answer = lambda_handler(
                api_event("POST", "/v1/events", body=body, headers=widget_headers()), FakeContext()
            )
            assert answer["statusCode"] == 200, answer
            events += len(body["events"])
    return events


def _report_reads(dynamodb: Any) -> tuple[int, int, int]:
    """(items read, requests, rows) of GET /v1/reports/daily over the DAYS days."""
    from klantreis import dynamo
    from report.handler import lambda_handler
    from tests.factories import FakeContext, api_event

    counted = {"items": 0, "requests": 0}

    def count(parsed: dict[str, Any], **_: Any) -> None:
        counted["requests"] += 1
        counted["items"] += int(parsed.get("Count", 1 if parsed.get("Item") else 0))
        for items in (parsed.get("Responses") or {}).values():
            counted["items"] += len(items)

    client = dynamo.client()
    client.meta.events.register("after-call.dynamodb", count)
    try:
        last = FIRST_DAY + timedelta(days=DAYS - 1)
        event = api_event(
            "GET",
            "/v1/reports/daily",
            claims={"sub": "ops", "site_id": SITE, "role": "operator"},
        )
        event["queryStringParameters"] = {"from": FIRST_DAY.isoformat(), "to": last.isoformat()}
        answer = lambda_handler(event, FakeContext())
    finally:
        client.meta.events.unregister("after-call.dynamodb", count)
    assert answer["statusCode"] == 200, answer
    rows = len(json.loads(answer["body"])["rows"])
    return counted["items"], counted["requests"], rows


def measure(small: int = 10_000, large: int = 100_000) -> dict[str, Any]:
    from bench.moto_speedup import faster_moto
    from bench.rees46 import seed_site
    from klantreis_local import runtime

    rng = random.Random(7)
    readings: list[ReportReads] = []
    with (
        faster_moto(),
        runtime.local_dynamodb("klantreis-bench-report") as dynamodb,
    ):
        seed_site(dynamodb, "klantreis-bench-report")
        # Small stream batches, as a busy shop's many Lambda invocations: each day's counters then
        # use all their slots, the most a report ever reads.
        pump = runtime.StreamPump(dynamodb, "klantreis-bench-report", batch_size=STREAM_BATCH)
        tracked = 0
        for target in (small, large):
            sessions = (target - tracked) // EVENTS_PER_SESSION
            tracked += _track(_sessions(tracked // EVENTS_PER_SESSION, sessions, rng))
            pump.drain()
            items, requests, rows = _report_reads(dynamodb)
            readings.append(ReportReads(tracked, items, requests, rows))
    from klantreis.projections.day_counters import COUNTER_SLOTS

    return {
        "days": DAYS,
        "bound": DAYS * COUNTER_SLOTS + 1,
        "readings": [reading.__dict__ for reading in readings],
        "constant": readings[0].items == readings[-1].items,
    }
