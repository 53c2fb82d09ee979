"""The in-memory fakes have their ports' methods, and the tracker works on them as on the table.
Their behaviour is held to the DynamoDB adapters' by the contract tests
(tests/integration/test_*_contract.py), which run the same checks against both."""

from __future__ import annotations

import inspect
import json
from datetime import timedelta

import pytest

from klantreis.agents.ports import AgentStore
from klantreis.conversations.ports import DecisionReader
from klantreis.engagement.features import PageStatsSource
from klantreis.engagement.ports import EngagementRecords, EngagementSettingsStore, SiteModelStore
from klantreis.journey.ports import JourneyChunk, SessionStore
from klantreis.journey.session import SessionState
from klantreis.journey.tracker import Limits, Tracker, parse_batch
from klantreis.knowledge.ports import KnowledgeStore
from klantreis.projections.day_counters import CounterStore
from klantreis.reports.ports import ReportStore
from klantreis.sites import Site, SiteStore
from tests.factories import T0, anna_journey, batch, event
from tests.fakes.agents import InMemoryAgentStore
from tests.fakes.decisions import InMemoryDecisionReader
from tests.fakes.engagement import (
    InMemoryEngagementRecords,
    InMemoryEngagementSettingsStore,
    InMemoryPageStatsSource,
    InMemorySiteModelStore,
)
from tests.fakes.journey import InMemorySessionStore
from tests.fakes.knowledge import InMemoryKnowledgeStore
from tests.fakes.projections import InMemoryCounterStore
from tests.fakes.reports import InMemoryReportStore
from tests.fakes.sites import InMemorySiteStore

SITE = Site(site_id="demo", name="Demo")


def state(**fields: object) -> SessionState:
    values: dict[str, object] = {
        "site_id": "demo", "visitor_id": "anna", "session_id": "s-1", "first_at": T0, "last_at": T0,
    }  # fmt: skip
    values.update(fields)
    return SessionState.model_validate(values)


def track(tracker: Tracker, body: dict[str, object]) -> tuple[int, int]:
    parsed = parse_batch(json.dumps(body), Limits())
    result = tracker.track(SITE, parsed.envelope, parsed.valid, T0 + timedelta(minutes=10))
    return result.accepted, result.duplicates


@pytest.mark.parametrize(
    ("fake", "port"),
    [
        (InMemorySessionStore, SessionStore),
        (InMemorySiteStore, SiteStore),
        (InMemoryCounterStore, CounterStore),
        (InMemoryKnowledgeStore, KnowledgeStore),
        (InMemoryAgentStore, AgentStore),
        (InMemoryEngagementSettingsStore, EngagementSettingsStore),
        (InMemorySiteModelStore, SiteModelStore),
        (InMemoryEngagementRecords, EngagementRecords),
        (InMemoryPageStatsSource, PageStatsSource),
        (InMemoryReportStore, ReportStore),
        (InMemoryDecisionReader, DecisionReader),
    ],
)
def test_each_fake_has_the_methods_of_its_port(fake: type, port: type) -> None:
    methods = [name for name, member in vars(port).items() if callable(member) and not name.startswith("_")]
    assert methods
    for name in methods:
        wanted = list(inspect.signature(getattr(port, name)).parameters)
        assert list(inspect.signature(getattr(fake, name)).parameters) == wanted, name


def test_the_tracker_on_the_fakes_stores_anna_once() -> None:
    store = InMemorySessionStore()
    tracker = Tracker(store, Limits())
    body = batch(*anna_journey())
    assert track(tracker, body) == (7, 0)
    assert track(tracker, body) == (0, 7)
    assert store.saves == 1
    [anna] = store.sessions("demo", "anna")
    assert anna.checkout_step == 2


class RacingStore(InMemorySessionStore):
    """Another instance writes the session just before this one's first save."""

    def __init__(self, competitor: SessionState) -> None:
        super().__init__()
        self._competitor: SessionState | None = competitor

    def save(self, state: SessionState, expected_version: int | None, chunk: JourneyChunk | None) -> None:
        if self._competitor is not None:
            competitor, self._competitor = self._competitor, None
            super().save(competitor, None, None)
        super().save(state, expected_version, chunk)


def test_the_tracker_redoes_its_fold_after_losing_a_race() -> None:
    # given another instance that stores the same session first, with another event
    elsewhere = InMemorySessionStore()
    track(Tracker(elsewhere, Limits()), batch(event("page_view", event_id="from-the-other")))
    competitor = elsewhere.get("demo", "anna", "s-1")
    assert competitor is not None
    store = RacingStore(competitor)
    tracker = Tracker(store, Limits(), sleep=lambda _: None)
    # when this instance tracks its own event
    accepted = track(tracker, batch(event("page_view", event_id="from-this-one")))
    # then it lost the first write, read the session again, and both events are stored once
    assert accepted == (1, 0)
    assert store.conflicts == 1
    stored = store.get("demo", "anna", "s-1")
    assert stored is not None
    assert (stored.version, stored.event_count) == (2, 2)
