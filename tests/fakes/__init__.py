"""In-memory fakes of the core's ports, for unit tests and the bench: same contracts as the
DynamoDB adapters (optimistic versions, chunks written before the session, markers counted once),
no sockets. Stored objects are copies, so a caller's later changes do not leak into the store,
just as they would not into a table.

A port's fake moves into a module of its own here as its contract test (run against the fake
and the DynamoDB adapter alike) is written: `knowledge`, `chats`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime

from klantreis.agents.ports import AgentProfile, AgentStatus
from klantreis.engagement.config import EngagementConfig, OpeningHours
from klantreis.engagement.features import SitePageStats
from klantreis.engagement.model import PropensityModel, parse_model
from klantreis.engagement.records import Decision, EngagementState, Offer, OfferResponse, Snapshot
from klantreis.errors import ConcurrentUpdate, NotFound
from klantreis.journey.session import JourneyEntry, SessionState
from klantreis.journey.store import JourneyChunk
from klantreis.projections.day_counters import COUNTERS, DayKey
from klantreis.routing import eligibility
from klantreis.routing.stats import RoutingStats
from klantreis.sites import Site

SessionKey = tuple[str, str, str]
"""(site_id, visitor_id, session_id)."""


class InMemorySessionStore:
    """klantreis.journey.store.SessionStore in memory."""

    def __init__(self, *, stale_reads: bool = False) -> None:
        self.stale_reads = stale_reads
        """When set, reads that need not be consistent see the state before the last write, as
        an eventually consistent DynamoDB read may."""
        self._previous: dict[SessionKey, SessionState | None] = {}
        self.states: dict[SessionKey, SessionState] = {}
        self._visitors: set[tuple[str, str]] = set()
        self.chunks: dict[tuple[str, str], dict[str, JourneyChunk]] = defaultdict(dict)
        """(site_id, visitor_id) → sort key → chunk, as the visitor's partition holds them."""
        self.saves = 0
        self.conflicts = 0

    def get(
        self, site_id: str, visitor_id: str, session_id: str, *, consistent: bool = True
    ) -> SessionState | None:
        key = (site_id, visitor_id, session_id)
        stored = self._previous.get(key) if self.stale_reads and not consistent else self.states.get(key)
        return stored.model_copy(deep=True) if stored else None

    def visitor_has_sessions(self, site_id: str, visitor_id: str) -> bool:
        return (site_id, visitor_id) in self._visitors

    def save(self, state: SessionState, expected_version: int | None, chunk: JourneyChunk | None) -> None:
        if chunk is not None:
            # Written first and kept even when the session write below loses: the adapter does
            # the same, and `journey` ignores chunks the session does not list.
            self.chunks[(state.site_id, state.visitor_id)][chunk.sort_key] = chunk
        key = (state.site_id, state.visitor_id, state.session_id)
        current = self.states.get(key)
        if expected_version is None and current is not None:
            self.conflicts += 1
            raise ConcurrentUpdate(f"session {state.session_id} exists already")
        if expected_version is not None and (current is None or current.version != expected_version):
            self.conflicts += 1
            found = current.version if current else None
            raise ConcurrentUpdate(
                f"session {state.session_id}: expected version {expected_version}, found {found}"
            )
        self._previous[key] = current
        self.states[key] = state.model_copy(deep=True)
        self._visitors.add((state.site_id, state.visitor_id))
        self.saves += 1

    def journey(self, state: SessionState) -> list[JourneyEntry]:
        stored = self.chunks.get((state.site_id, state.visitor_id), {})
        entries: list[JourneyEntry] = []
        for sort_key in state.journey_chunks:
            if sort_key in stored:
                entries.extend(stored[sort_key].entries)
        entries.extend(state.journey)
        return sorted(entries, key=lambda entry: entry.at)

    def sessions(self, site_id: str, visitor_id: str) -> list[SessionState]:
        return [
            state.model_copy(deep=True)
            for (site, visitor, _), state in sorted(self.states.items())
            if (site, visitor) == (site_id, visitor_id)
        ]


class InMemorySiteStore:
    """klantreis.sites.SiteStore in memory."""

    def __init__(self, *sites: Site) -> None:
        self.sites: dict[str, Site] = {site.site_id: site for site in sites}
        self.keys: dict[str, str] = {}
        self.lookups = 0

    def get(self, site_id: str) -> Site | None:
        self.lookups += 1
        return self.sites.get(site_id)

    def site_id_for_key(self, site_key: str) -> str | None:
        self.lookups += 1
        return self.keys.get(site_key)

    def put(self, site: Site) -> None:
        self.sites[site.site_id] = site

    def add_key(self, site_id: str, site_key: str) -> None:
        if len(site_key) < 8:
            raise ValueError("a site key has at least 8 characters")
        self.keys[site_key] = site_id

    def revoke_key(self, site_key: str) -> bool:
        return self.keys.pop(site_key, None) is not None


class InMemoryCounterStore:
    """klantreis.projections.day_counters.CounterStore in memory: a batch's deltas count once per marker."""

    def __init__(self) -> None:
        self.days: dict[DayKey, dict[str, float]] = {}
        self.markers: dict[str, int] = {}

    def add_once(self, marker: str, deltas: Mapping[DayKey, Mapping[str, float]], now: int) -> bool:
        if not deltas or marker in self.markers:
            return False
        self.markers[marker] = now
        for day_key, change in deltas.items():
            totals = self.days.setdefault(day_key, dict.fromkeys(COUNTERS, 0.0))
            for name, value in change.items():
                totals[name] = totals.get(name, 0.0) + value
        return True

    def day_totals(self, site_id: str, day: str) -> dict[str, float]:
        totals = dict(self.days.get((site_id, day), dict.fromkeys(COUNTERS, 0.0)))
        totals["revenue"] = round(totals.get("revenue", 0.0), 2)
        return totals


class InMemoryEngagementSettingsStore:
    """klantreis.engagement.store.EngagementSettingsStore in memory; counts reads, so tests see
    what a cache saves."""

    def __init__(self) -> None:
        self.configs: dict[str, EngagementConfig] = {}
        self.hours: dict[str, OpeningHours] = {}
        self.reads = 0

    def get_config(self, site_id: str) -> EngagementConfig | None:
        self.reads += 1
        return self.configs.get(site_id)

    def put_config(self, site_id: str, config: EngagementConfig) -> None:
        self.configs[site_id] = config

    def get_hours(self, site_id: str) -> OpeningHours | None:
        self.reads += 1
        return self.hours.get(site_id)

    def put_hours(self, site_id: str, hours: OpeningHours) -> None:
        self.hours[site_id] = hours


class InMemoryEngagementRecords:
    """klantreis.engagement.records.EngagementRecords in memory: the state's version is checked
    like the adapter's conditional write, an offer takes one response. `sessions` is where the
    tests (and the bench) put the tracked sessions `decide` reads."""

    def __init__(self) -> None:
        self.sessions: dict[SessionKey, SessionState] = {}
        self.agents: dict[str, dict[str, AgentProfile]] = defaultdict(dict)
        self.states: dict[tuple[str, str], EngagementState] = {}
        self.decisions: list[Decision] = []
        self.offers: dict[tuple[str, str], Offer] = {}
        self.snapshots = 0
        self.writes = 0
        self.routing: dict[str, RoutingStats] = {}
        """Queue lengths and handle time per site (routing keeps them; `decide` reads them)."""

    def add_session(self, state: SessionState) -> None:
        self.sessions[(state.site_id, state.visitor_id, state.session_id)] = state.model_copy(deep=True)

    def put_agent(self, agent: AgentProfile) -> None:
        self.agents[agent.site_id][agent.agent_id] = agent

    def snapshot(
        self, site_id: str, visitor_id: str, session_id: str, *, consistent: bool = False
    ) -> Snapshot:
        self.snapshots += 1
        session = self.sessions.get((site_id, visitor_id, session_id))
        state = self.states.get((site_id, visitor_id), EngagementState())
        return Snapshot(
            session.model_copy(deep=True) if session else None,
            state.model_copy(),
            sorted(self.agents[site_id].values(), key=lambda agent: agent.agent_id),
            self.routing.get(site_id, RoutingStats()),
        )

    def record(self, decision: Decision, offer: Offer | None, state: EngagementState | None) -> None:
        key = (decision.site_id, decision.visitor_id)
        if state is not None:
            stored = self.states.get(key)
            if (stored.version if stored else 0) != state.version - 1:
                raise ConcurrentUpdate(f"engagement state of {decision.visitor_id} moved")
            self.states[key] = state.model_copy()
        if offer is not None:
            self.offers[(offer.site_id, offer.offer_id)] = offer
        self.decisions.append(decision)
        self.writes += 1

    def offer(self, site_id: str, offer_id: str) -> Offer | None:
        return self.offers.get((site_id, offer_id))

    def respond(self, offer: Offer, response: OfferResponse, at: datetime) -> None:
        key = (offer.site_id, offer.offer_id)
        stored = self.offers.get(key)
        if stored is None or stored.response is not None:
            raise ConcurrentUpdate(f"offer {offer.offer_id} was answered already")
        self.offers[key] = stored.model_copy(update={"response": response, "responded_at": at})
        if response == "rejected":
            visitor = (offer.site_id, offer.visitor_id)
            state = self.states.get(visitor, EngagementState())
            self.states[visitor] = state.model_copy(
                update={"rejected_at": int(at.timestamp()), "version": state.version + 1}
            )
        self.writes += 1


class InMemoryPageStatsSource:
    """klantreis.engagement.features.PageStatsSource in memory: a site without history has none."""

    def __init__(self, sites: Mapping[str, SitePageStats] | None = None) -> None:
        self.sites: dict[str, SitePageStats] = dict(sites or {})
        self.lookups = 0

    def for_site(self, site_id: str) -> SitePageStats:
        self.lookups += 1
        return self.sites.get(site_id, SitePageStats())


class InMemorySiteModelStore:
    """klantreis.engagement.site_models.SiteModelStore in memory; counts reads."""

    def __init__(self, models: dict[str, PropensityModel] | None = None) -> None:
        self.models = dict(models or {})
        self.reads = 0

    def get(self, site_id: str) -> PropensityModel | None:
        self.reads += 1
        return self.models.get(site_id)

    def put(self, site_id: str, model_json: bytes) -> PropensityModel:
        self.models[site_id] = parse_model(model_json)
        return self.models[site_id]

    def delete(self, site_id: str) -> bool:
        return self.models.pop(site_id, None) is not None


class InMemoryDecisionReader:
    """klantreis.conversations.context.DecisionReader in memory: like the adapter, it looks at the
    visitor's `limit` newest decisions only."""

    def __init__(self, decisions: list[Decision] | None = None, *, limit: int = 20) -> None:
        self.decisions: list[Decision] = list(decisions or [])
        self.limit = limit
        self.reads = 0

    def latest_decision(self, site_id: str, visitor_id: str, session_id: str) -> Decision | None:
        self.reads += 1
        of_visitor = sorted(
            (d for d in self.decisions if (d.site_id, d.visitor_id) == (site_id, visitor_id)),
            key=lambda d: (d.at, d.decision_id),
            reverse=True,
        )[: self.limit]
        return next((d for d in of_visitor if d.session_id == session_id), None)


# ------------------------------------------------------------------------------ conversations


class InMemoryAgentStore:
    """The AgentStore port of klantreis.conversations.service (DynamoAgentStore's semantics) in
    memory. `take` and `release` are the conditional agent updates the chat store's transactions
    carry: a lost race raises ConcurrentUpdate and changes nothing."""

    def __init__(self, *agents: AgentProfile) -> None:
        self.agents: dict[tuple[str, str], AgentProfile] = {}
        for agent in agents:
            self.put(agent)

    def put(self, agent: AgentProfile) -> None:
        self.agents[(agent.site_id, agent.agent_id)] = agent.model_copy(deep=True)

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


# The chat fakes, re-exported where the tests import them from.
from tests.fakes.chats import InMemoryChats as InMemoryChats  # noqa: E402
from tests.fakes.chats import InMemoryChatStore as InMemoryChatStore  # noqa: E402
