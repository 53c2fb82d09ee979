"""The local stack's presence keeper and the console: the stack keeps the demo agents present
until an agent's own console beats or sets a status; from then on that agent's presence is the
console's alone (a closed console times out, a signed-out agent stays offline)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from klantreis.agents.dynamo_store import DynamoAgentStore
from klantreis.sites import Site
from klantreis_local.runtime import DEMO_SITE, DemoPresence, keep_demo_agents_present


def test_an_agent_whose_console_beat_is_left_to_the_console(
    demo_site: Site, dynamodb: Any, table_name: str
) -> None:
    agents = DynamoAgentStore(dynamodb, table_name)
    presence = DemoPresence()
    # given the stack has beaten for both demo agents
    keep_demo_agents_present(dynamodb, table_name, presence)
    assert set(presence.beaten) == {"mirjam", "sven"}
    # when mirjam's console beats (a second later than the stack did)
    console_beat = presence.beaten["mirjam"] + timedelta(seconds=1)
    agents.heartbeat(DEMO_SITE, "mirjam", console_beat)
    keep_demo_agents_present(dynamodb, table_name, presence)
    # then the stack leaves mirjam to her console, and keeps beating for sven
    assert presence.owned_by_console == {"mirjam"}
    mirjam = agents.get(DEMO_SITE, "mirjam")
    assert mirjam is not None
    assert mirjam.last_seen_at == console_beat
    sven_before = presence.beaten["sven"]
    keep_demo_agents_present(dynamodb, table_name, presence)
    assert presence.beaten["sven"] >= sven_before
    # and once her console is silent past the window she counts as offline
    assert mirjam.effective_status(console_beat + timedelta(minutes=3), 120) == "offline"


def test_signing_out_is_not_undone_by_the_stack(demo_site: Site, dynamodb: Any, table_name: str) -> None:
    agents = DynamoAgentStore(dynamodb, table_name)
    presence = DemoPresence()
    keep_demo_agents_present(dynamodb, table_name, presence)
    # when mirjam's console signs out (status offline, which counts as seen)
    agents.set_status(DEMO_SITE, "mirjam", "offline", datetime.now(UTC) + timedelta(seconds=1))
    keep_demo_agents_present(dynamodb, table_name, presence)
    keep_demo_agents_present(dynamodb, table_name, presence)
    # then she stays offline and the stack no longer beats for her
    mirjam = agents.get(DEMO_SITE, "mirjam")
    assert mirjam is not None
    assert mirjam.status == "offline"
    assert "mirjam" in presence.owned_by_console


def test_without_a_presence_record_the_stack_beats_for_every_demo_agent(
    demo_site: Site, dynamodb: Any, table_name: str
) -> None:
    before = datetime.now(UTC)
    keep_demo_agents_present(dynamodb, table_name)
    agents = DynamoAgentStore(dynamodb, table_name)
    for agent_id in ("mirjam", "sven"):
        agent = agents.get(DEMO_SITE, agent_id)
        assert agent is not None
        assert agent.last_seen_at is not None
        assert agent.last_seen_at >= before
