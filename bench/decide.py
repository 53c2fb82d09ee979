"""`decide` speed: DynamoDB round trips per warm decision (in-process moto, counted by a botocore
hook on the function's client), and handler CPU time per decision with DynamoDB replaced by the
in-memory fakes (resolver, validation, widget authentication, features, model, rules, caps,
recording; no botocore, no item (de)serialisation)."""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from unittest import mock

from bench.scenarios import quiet
from bench.throughput import percentile
from klantreis.agents.ports import AgentProfile
from klantreis.engagement.config import EngagementConfig, OpeningHours
from klantreis.engagement.decide import Decider, in_holdout
from klantreis.engagement.model import default_model
from klantreis.engagement.settings import EngagementSettings
from klantreis.journey.events import TrackedEvent
from klantreis.journey.session import SessionFold, SessionState
from klantreis.sites import Site, SiteDirectory
from tests.factories import T0, FakeContext, anna_journey, api_event, batch, event
from tests.fakes import InMemoryEngagementRecords, InMemoryEngagementSettingsStore, InMemorySiteStore

TABLE = "klantreis-bench"
SITE_KEY = "demo-site-key"
CPU_GOAL_MS = 10.0
ROUND_TRIP_GOAL = 2


def _ask(visitor_id: str) -> dict[str, Any]:
    body = {"visitor_id": visitor_id, "session_id": "s-1", "idle_seconds": 30}
    headers = {"X-Site-Key": SITE_KEY, "Origin": "http://127.0.0.1:3000"}
    return api_event("POST", "/v1/engagement/decide", body=body, headers=headers)


def _visitors(count: int) -> list[tuple[str, list[dict[str, Any]]]]:
    """Half like Anna (offered, or held out), half browsing (not qualified)."""
    browsing = [event("page_view", url="https://shop.example/laarzen")]
    return [(f"v-{n}", anna_journey() if n % 2 == 0 else browsing) for n in range(count)]


DATA_PATH = frozenset({"BatchGetItem", "PutItem", "TransactWriteItems"})
"""The requests of the decision itself; others (GetItem, Query) refresh a cache: the site key and
settings every 60 s, the site's agent ids every 30 s."""


def round_trips(count: int = 100) -> dict[str, Any]:
    """DynamoDB requests per warm decision against moto, by operation and by outcome. moto takes
    ~0.2 s per decision (its own work), so caches expire during the run and their refreshes show;
    they are reported apart from the decision's own round trips."""
    from engage.handler import lambda_handler as engage
    from klantreis import dynamo
    from klantreis_local import runtime
    from track.handler import lambda_handler as track

    per_decision: list[int] = []
    refreshes: Counter[str] = Counter()
    by_reason: dict[str, Counter[str]] = {}
    decisions: Counter[str] = Counter()
    with runtime.local_dynamodb(TABLE) as db, quiet():
        runtime.seed_demo(db, TABLE)
        visitors = _visitors(count)
        for visitor_id, events in visitors:
            body = batch(*events, visitor_id=visitor_id)
            track(api_event("POST", "/v1/events", body=body, headers={"X-Site-Key": SITE_KEY}), FakeContext())
        engage(_ask("warm-up"), FakeContext())  # the cold path: site key, settings, agent ids
        started = time.perf_counter()
        calls: Counter[str] = Counter()

        def count_call(model: Any, **_: Any) -> None:
            calls[model.name] += 1

        dynamo.client().meta.events.register("before-call.dynamodb", count_call)
        for visitor_id, _ in visitors:
            calls.clear()
            answer = json.loads(engage(_ask(visitor_id), FakeContext())["body"])
            per_decision.append(sum(n for op, n in calls.items() if op in DATA_PATH))
            refreshes.update({op: n for op, n in calls.items() if op not in DATA_PATH})
            by_reason.setdefault(answer["reason"], Counter()).update(calls)
            decisions[answer["reason"]] += 1
        dynamo.client().meta.events.unregister("before-call.dynamodb", count_call)
    return {
        "decisions": len(per_decision),
        "mean": round(statistics.mean(per_decision), 3),
        "max": max(per_decision),
        "goal": ROUND_TRIP_GOAL,
        "cache_refreshes": dict(sorted(refreshes.items())),
        "seconds": round(time.perf_counter() - started, 1),
        "requests_by_reason": {
            reason: {"decisions": decisions[reason], **dict(sorted(ops.items()))}
            for reason, ops in sorted(by_reason.items())
        },
    }


def _session(site: Site, visitor_id: str, events: list[dict[str, Any]]) -> SessionState:
    state = SessionState(
        site_id=site.site_id, visitor_id=visitor_id, session_id="s-1", first_at=T0, last_at=T0
    )
    SessionFold(state, site).apply_all([(i, TrackedEvent.model_validate(e)) for i, e in enumerate(events)])
    return state


@contextmanager
def in_memory_engage(site: Site, visitors: list[tuple[str, list[dict[str, Any]]]]) -> Iterator[None]:
    """The engage function's services built on the fakes: `klantreis.services.current`, which
    every provider and route check reads at call time, gives them instead of DynamoDB's."""
    from klantreis import services

    sites = InMemorySiteStore(site)
    sites.add_key(site.site_id, SITE_KEY)
    directory = SiteDirectory(sites, ttl_seconds=60)
    records = InMemoryEngagementRecords()
    for agent_id in ("mirjam", "sven"):
        records.put_agent(
            AgentProfile(
                site_id=site.site_id, agent_id=agent_id, display_name=agent_id, max_chats=20,
                categories=["dameslaarzen", "herenschoenen"], status="available",
                last_seen_at=datetime.now(UTC) + timedelta(days=3650),  # present throughout the run
            )
        )  # fmt: skip
    for visitor_id, events in visitors:
        records.add_session(_session(site, visitor_id, events))
    settings = InMemoryEngagementSettingsStore()
    settings.put_config(site.site_id, EngagementConfig.webshop_default())
    settings.put_hours(site.site_id, OpeningHours.always_open(site.timezone))
    decider = Decider(records, EngagementSettings(settings, 60), default_model())
    fakes = SimpleNamespace(site_directory=directory, decider=decider)
    with mock.patch.object(services, "current", return_value=fakes):
        yield


def cpu(count: int = 2_000, rounds: int = 3) -> dict[str, Any]:
    """CPU time (thread_time) of the whole warm handler per decision, DynamoDB on the fakes."""
    from engage.handler import lambda_handler as engage

    site = Site(site_id="demo", name="Demo", allowed_origins=["http://127.0.0.1:3000"])
    samples: list[float] = []
    reasons: Counter[str] = Counter()
    for round_number in range(rounds + 1):
        visitors = _visitors(count)
        with in_memory_engage(site, visitors), quiet():
            for visitor_id, _ in visitors:
                event_ = _ask(visitor_id)
                started = time.thread_time()
                answer = engage(event_, FakeContext())
                elapsed = time.thread_time() - started
                if round_number:
                    samples.append(elapsed)
                    reasons[json.loads(answer["body"])["reason"]] += 1
    held = sum(1 for visitor_id, _ in _visitors(count) if in_holdout(site.site_id, visitor_id, 0.10))
    return {
        "clock": "CPU (thread_time), DynamoDB replaced by in-memory fakes",
        "decisions": len(samples),
        "p50_ms": round(statistics.median(samples) * 1000, 3),
        "p99_ms": round(percentile(samples, 0.99) * 1000, 3),
        "max_ms": round(max(samples) * 1000, 3),
        "goal_p99_ms": CPU_GOAL_MS,
        "reasons": dict(sorted(reasons.items())),
        "visitors_in_holdout_per_round": held,
    }


def measure() -> dict[str, Any]:
    return {"round_trips": round_trips(), "cpu": cpu()}
