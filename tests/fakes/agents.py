"""klantreis.agents.ports.AgentStore in memory (held to the port's contract with the DynamoDB adapter:
tests/integration/test_agent_store_contract.py)."""

from __future__ import annotations

from datetime import datetime

from klantreis.agents.ports import AgentProfile, AgentStatus
from klantreis.errors import ConcurrentUpdate, NotFound
from klantreis.routing import eligibility


class InMemoryAgentStore:
    """klantreis.agents.ports.AgentStore (DynamoAgentStore's semantics) in
    memory. `take` and `release` are the conditional agent updates the chat store's transactions
    carry: a lost race raises ConcurrentUpdate and changes nothing."""

    def __init__(self, *agents: AgentProfile) -> None:
        self.agents: dict[tuple[str, str], AgentProfile] = {}
        for agent in agents:
            self.put(agent)

    def put(self, agent: AgentProfile) -> None:
        # The table keeps chat ids as a string set, which reads back sorted.
        stored = agent.model_copy(update={"chat_ids": sorted(agent.chat_ids)}, deep=True)
        self.agents[(agent.site_id, agent.agent_id)] = stored

    def get(self, site_id: str, agent_id: str) -> AgentProfile | None:
        agent = self.agents.get((site_id, agent_id))
        return agent.model_copy(deep=True) if agent else None

    def list(self, site_id: str) -> list[AgentProfile]:
        return [a.model_copy(deep=True) for (site, _), a in sorted(self.agents.items()) if site == site_id]

    def _existing(self, site_id: str, agent_id: str) -> AgentProfile:
        agent = self.agents.get((site_id, agent_id))
        if agent is None:
            raise NotFound("no such agent")
        return agent

    def set_status(self, site_id: str, agent_id: str, status: AgentStatus, now: datetime) -> AgentProfile:
        agent = self._existing(site_id, agent_id).model_copy(
            update={"status": status, "last_seen_at": now, "status_changed_at": now}
        )
        self.put(agent)
        return agent

    def heartbeat(self, site_id: str, agent_id: str, now: datetime) -> AgentProfile:
        agent = self._existing(site_id, agent_id).model_copy(update={"last_seen_at": now})
        self.put(agent)
        return agent

    def mark_offline_if_silent(
        self, site_id: str, agent_id: str, seen_before: datetime, now: datetime
    ) -> bool:
        agent = self.agents.get((site_id, agent_id))
        if agent is None or (agent.last_seen_at is not None and agent.last_seen_at >= seen_before):
            return False
        self.put(agent.model_copy(update={"status": "offline", "status_changed_at": now}))
        return True

    def check_take(self, site_id: str, agent_id: str, chat_id: str) -> None:
        agent = self.agents.get((site_id, agent_id))
        # The adapter's condition: the rule's status and slot parts (presence was read before).
        if (
            agent is None
            or not eligibility.may_take(
                available=agent.status == "available", present=True, serving=True, free_slots=agent.free_slots
            )
            or chat_id in agent.chat_ids
        ):
            raise ConcurrentUpdate(f"agent {agent_id} cannot take chat {chat_id}")

    def take(self, site_id: str, agent_id: str, chat_id: str, at: datetime) -> None:
        agent = self.agents[(site_id, agent_id)]
        self.put(
            agent.model_copy(
                update={
                    "active_chats": agent.active_chats + 1,
                    "chat_ids": sorted([*agent.chat_ids, chat_id]),
                    "last_assigned_at": at,
                }
            )
        )

    def check_release(self, site_id: str, agent_id: str, chat_id: str) -> None:
        agent = self.agents.get((site_id, agent_id))
        if agent is None or chat_id not in agent.chat_ids:
            raise ConcurrentUpdate(f"agent {agent_id} does not hold chat {chat_id}")

    def release(self, site_id: str, agent_id: str, chat_id: str) -> None:
        agent = self.agents[(site_id, agent_id)]
        self.put(
            agent.model_copy(
                update={
                    "active_chats": agent.active_chats - 1,
                    "chat_ids": [c for c in agent.chat_ids if c != chat_id],
                }
            )
        )
