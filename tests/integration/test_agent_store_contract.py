"""The agent store's contract (klantreis.agents.ports.AgentStore), run against the DynamoDB adapter
and the in-memory fake alike (tests/contract.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from klantreis.agents.dynamo_store import DynamoAgentStore
from klantreis.agents.ports import AgentProfile
from klantreis.errors import NotFound
from tests.contract import both
from tests.fakes.agents import InMemoryAgentStore

store = both(DynamoAgentStore, InMemoryAgentStore)

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


def agent(agent_id: str, site_id: str = "demo", **fields: Any) -> AgentProfile:
    return AgentProfile(site_id=site_id, agent_id=agent_id, display_name=agent_id.title(), **fields)


def test_agents_read_back_by_id_per_site(store: Any) -> None:
    # given agents of two sites, put out of order
    store.put(agent("sanne", categories=["schoenen"], chat_ids=["c-2", "c-1"], active_chats=2))
    store.put(agent("bram"))
    store.put(agent("ander", site_id="other"))
    # then each site's agents come back by id, as they were put
    assert [a.agent_id for a in store.list("demo")] == ["bram", "sanne"]
    assert store.get("demo", "sanne") == agent(
        "sanne", categories=["schoenen"], chat_ids=["c-1", "c-2"], active_chats=2
    )
    assert store.get("demo", "ander") is None


def test_status_and_heartbeat_move_the_agent_and_an_unknown_agent_is_not_found(store: Any) -> None:
    store.put(agent("sanne"))
    available = store.set_status("demo", "sanne", "available", NOW)
    assert (available.status, available.last_seen_at, available.status_changed_at) == ("available", NOW, NOW)
    later = NOW + timedelta(seconds=30)
    seen = store.heartbeat("demo", "sanne", later)
    assert (seen.status, seen.last_seen_at, seen.status_changed_at) == ("available", later, NOW)
    assert store.get("demo", "sanne") == seen
    with pytest.raises(NotFound):
        store.set_status("demo", "nobody", "available", NOW)
    with pytest.raises(NotFound):
        store.heartbeat("demo", "nobody", NOW)


def test_only_a_silent_agent_is_marked_offline(store: Any) -> None:
    # given an agent last seen at NOW
    store.put(agent("sanne"))
    store.set_status("demo", "sanne", "available", NOW)
    # when the sweep asks for agents silent since before NOW, then since after it
    assert store.mark_offline_if_silent("demo", "sanne", NOW, NOW) is False
    later = NOW + timedelta(minutes=2)
    assert store.mark_offline_if_silent("demo", "sanne", NOW + timedelta(seconds=1), later) is True
    # then the agent went offline once, and an unknown agent is never marked
    stored = store.get("demo", "sanne")
    assert stored is not None
    assert (stored.status, stored.status_changed_at, stored.last_seen_at) == ("offline", later, NOW)
    assert store.mark_offline_if_silent("demo", "nobody", later, later) is False
