"""The one rule of who may take a chat (klantreis.routing.eligibility), and that the agent
profile asks it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from klantreis.agents.ports import AgentProfile
from klantreis.routing import eligibility

NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("available", "present", "serving", "free_slots", "may"),
    [
        (True, True, True, 1, True),
        (False, True, True, 1, False),
        (True, False, True, 1, False),
        (True, True, False, 1, False),
        (True, True, True, 0, False),
    ],
)
def test_an_agent_may_take_a_chat_only_when_every_part_holds(
    available: bool, present: bool, serving: bool, free_slots: int, may: bool
) -> None:
    parts = {"available": available, "present": present, "serving": serving}
    assert eligibility.may_take(**parts, free_slots=free_slots) is may
    # serving without a free slot: the agent a queued chat waits for
    assert eligibility.may_serve(**parts) is (may or free_slots == 0)


def test_serving_means_the_category_and_every_skill_asked_for() -> None:
    assert eligibility.serves(["sneakers"], ["nl"], "sneakers", ["nl"])
    assert eligibility.serves(["sneakers"], [], None, [])
    assert not eligibility.serves(["sneakers"], ["nl"], "laarzen", [])
    assert not eligibility.serves(["sneakers"], ["nl"], "sneakers", ["de"])


def test_the_agent_profile_asks_the_rule() -> None:
    # given an available, present agent of sneakers with one of two chats
    agent = AgentProfile(
        site_id="demo", agent_id="sven", display_name="Sven", categories=["sneakers"], max_chats=2,
        status="available", active_chats=1, last_seen_at=NOW - timedelta(seconds=5),
    )  # fmt: skip
    # when / then: a free slot for sneakers, none for another category, none when full
    assert agent.can_take("sneakers", NOW)
    assert not agent.can_take("laarzen", NOW)
    assert not agent.model_copy(update={"active_chats": 2}).can_take("sneakers", NOW)
    assert agent.model_copy(update={"active_chats": 2}).serving("sneakers", NOW)
    assert not agent.can_take("sneakers", NOW + timedelta(hours=1))
