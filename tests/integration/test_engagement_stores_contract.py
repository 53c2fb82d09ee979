"""Engagement's storage contracts (klantreis.engagement.ports: settings, a site's own model, what
decisions leave behind; and klantreis.engagement.features.PageStatsSource), each run against the
DynamoDB adapter and the in-memory fake alike (tests/contract.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from klantreis.agents.dynamo_store import DynamoAgentStore
from klantreis.agents.ports import AgentProfile
from klantreis.engagement.config import EngagementConfig, OpeningHours
from klantreis.engagement.dynamo_store import DynamoPageStatsSource, DynamoSiteModelStore
from klantreis.engagement.features import PageStatsSource, SitePageStats
from klantreis.engagement.model import ModelError
from klantreis.engagement.ports import EngagementRecords, EngagementSettingsStore, SiteModelStore
from klantreis.engagement.records import Decision, EngagementState, Offer
from klantreis.engagement.records_dynamo_store import DynamoEngagementRecords
from klantreis.engagement.settings_dynamo_store import DynamoEngagementSettingsStore
from klantreis.errors import ConcurrentUpdate
from klantreis.journey.dynamo_store import DynamoSessionStore
from klantreis.journey.session import SessionState
from tests.contract import both
from tests.factories import T0, constant_model
from tests.fakes.engagement import (
    InMemoryEngagementRecords,
    InMemoryEngagementSettingsStore,
    InMemoryPageStatsSource,
    InMemorySiteModelStore,
)

settings = both(DynamoEngagementSettingsStore, InMemoryEngagementSettingsStore)
models = both(DynamoSiteModelStore, InMemorySiteModelStore)
page_stats = both(DynamoPageStatsSource, InMemoryPageStatsSource)

AT = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
Seed = Callable[[SessionState, AgentProfile], None]


@pytest.fixture(params=["dynamodb", "fake"])
def records(request: pytest.FixtureRequest) -> tuple[EngagementRecords, Seed]:
    """The records, and how a test puts a tracked session and an agent where `snapshot` reads them."""
    if request.param == "fake":
        fake = InMemoryEngagementRecords()

        def seed_fake(session: SessionState, agent: AgentProfile) -> None:
            fake.add_session(session)
            fake.put_agent(agent)

        return fake, seed_fake
    dynamodb: Any = request.getfixturevalue("dynamodb")
    table: str = request.getfixturevalue("table_name")

    def seed_table(session: SessionState, agent: AgentProfile) -> None:
        DynamoSessionStore(dynamodb, table).save(session, None, None)
        DynamoAgentStore(dynamodb, table).put(agent)

    return DynamoEngagementRecords(dynamodb, table), seed_table


# ------------------------------------------------------------------------------ settings
def test_settings_are_none_until_put_and_read_back_as_put(settings: EngagementSettingsStore) -> None:
    assert settings.get_config("demo") is None
    assert settings.get_hours("demo") is None
    config = EngagementConfig.webshop_default()
    hours = OpeningHours.webshop_default("Europe/Amsterdam")
    settings.put_config("demo", config)
    settings.put_hours("demo", hours)
    assert settings.get_config("demo") == config
    assert settings.get_hours("demo") == hours
    assert settings.get_config("other") is None


# ------------------------------------------------------------------------------ site models
def test_a_site_model_is_stored_validated_and_removable(models: SiteModelStore) -> None:
    assert models.get("demo") is None
    stored = models.put("demo", constant_model(2.0))
    again = models.get("demo")
    assert again is not None
    assert again.model_dump() == stored.model_dump()
    assert models.get("other") is None
    assert models.delete("demo") is True
    assert models.delete("demo") is False
    assert models.get("demo") is None


def test_an_invalid_model_is_refused_and_nothing_stored(models: SiteModelStore) -> None:
    with pytest.raises(ModelError):
        models.put("demo", b'{"format": "something else"}')
    assert models.get("demo") is None


# ------------------------------------------------------------------------------ page statistics
def test_a_site_without_history_has_no_page_statistics(page_stats: PageStatsSource) -> None:
    assert page_stats.for_site("demo") == SitePageStats()


# ------------------------------------------------------------------------------ records
def decision(decision_id: str, offer_id: str | None = None, minutes: int = 0) -> Decision:
    return Decision(
        site_id="demo", visitor_id="anna", session_id="s-1", decision_id=decision_id,
        at=AT + timedelta(minutes=minutes), day="2026-12-04",
        reason="qualified" if offer_id else "not_qualified", offer_id=offer_id,
    )  # fmt: skip


def offer(offer_id: str) -> Offer:
    return Offer(
        site_id="demo", offer_id=offer_id, visitor_id="anna", session_id="s-1", rule_id="checkout",
        message="Kan ik helpen?", day="2026-12-04", created_at=AT,
    )  # fmt: skip


def test_a_visitor_without_records_has_an_empty_snapshot(records: tuple[EngagementRecords, Seed]) -> None:
    store, _ = records
    snapshot = store.snapshot("demo", "anna", "s-1")
    assert (snapshot.session, snapshot.state, snapshot.agents) == (None, EngagementState(), [])


def test_the_snapshot_holds_the_session_and_the_sites_agents(records: tuple[EngagementRecords, Seed]) -> None:
    store, seed = records
    session = SessionState(
        site_id="demo", visitor_id="anna", session_id="s-1", first_at=T0, last_at=T0, version=1
    )
    sanne = AgentProfile(site_id="demo", agent_id="sanne", display_name="Sanne", status="available")
    seed(session, sanne)
    snapshot = store.snapshot("demo", "anna", "s-1", consistent=True)
    assert snapshot.session == session
    assert snapshot.agents == [sanne]
    assert store.snapshot("demo", "anna", "s-2", consistent=True).session is None


def test_the_state_is_written_by_version_with_its_decision_and_offer(
    records: tuple[EngagementRecords, Seed],
) -> None:
    store, _ = records
    # given a first offer, recorded with the visitor's first state
    first = EngagementState(version=1, session_id="s-1", session_offers=1)
    store.record(decision("d-1", "o-1"), offer("o-1"), first)
    # when a racing decision writes a state of the same version
    with pytest.raises(ConcurrentUpdate):
        store.record(decision("d-2", "o-2", minutes=1), offer("o-2"), first)
    # then the first state and offer stand; the next version is written
    assert store.snapshot("demo", "anna", "s-1", consistent=True).state == first
    assert store.offer("demo", "o-1") == offer("o-1")
    assert store.offer("demo", "o-2") is None
    second = first.model_copy(update={"version": 2, "session_offers": 2})
    store.record(decision("d-3", "o-3", minutes=2), offer("o-3"), second)
    assert store.snapshot("demo", "anna", "s-1", consistent=True).state == second


def test_an_offer_takes_one_answer_and_a_rejection_marks_the_state(
    records: tuple[EngagementRecords, Seed],
) -> None:
    store, _ = records
    state = EngagementState(version=1, session_id="s-1", session_offers=1)
    store.record(decision("d-1", "o-1"), offer("o-1"), state)
    answered = AT + timedelta(seconds=20)
    store.respond(offer("o-1"), "rejected", answered)
    with pytest.raises(ConcurrentUpdate):
        store.respond(offer("o-1"), "accepted", answered)
    stored = store.offer("demo", "o-1")
    assert stored is not None
    assert (stored.response, stored.responded_at) == ("rejected", answered)
    after = store.snapshot("demo", "anna", "s-1", consistent=True).state
    assert (after.rejected_at, after.version) == (int(answered.timestamp()), 2)
    with pytest.raises(ConcurrentUpdate):
        store.respond(offer("o-unknown"), "accepted", answered)


def test_a_decision_alone_is_written_without_touching_the_state(
    records: tuple[EngagementRecords, Seed],
) -> None:
    store, _ = records
    store.record(decision("d-1"), None, None)
    assert store.snapshot("demo", "anna", "s-1", consistent=True).state == EngagementState()
