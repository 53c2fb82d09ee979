"""In-memory fakes of the core's ports, for unit tests and the bench: same contracts as the
DynamoDB adapters (optimistic versions, chunks written before the session, markers counted once),
no sockets. Stored objects are copies, so a caller's later changes do not leak into the store,
just as they would not into a table.

A port's fake moves into a module of its own here as its contract test (run against the fake
and the DynamoDB adapter alike) is written: `knowledge`."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from klantreis import keys
from klantreis.agents.ports import AgentProfile, AgentStatus
from klantreis.conversations.models import (
    MAX_CHAT_MESSAGES,
    Chat,
    ChatAgent,
    Message,
    RoutingRecord,
    SurveyAnswers,
    SurveySummary,
)
from klantreis.conversations.store import MESSAGE_PAGE, Discount, QueueEntry, message_id
from klantreis.engagement.config import EngagementConfig, OpeningHours
from klantreis.engagement.features import SitePageStats
from klantreis.engagement.model import PropensityModel, parse_model
from klantreis.engagement.records import Decision, EngagementState, Offer, OfferResponse, Snapshot
from klantreis.errors import ConcurrentUpdate, Conflict, NotFound
from klantreis.journey.ports import JourneyChunk
from klantreis.journey.session import JourneyEntry, SessionState
from klantreis.projections.day_counters import COUNTERS, DayKey
from klantreis.routing import eligibility
from klantreis.routing.performance import Performance, survey_counts
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


class InMemoryChatStore:
    """klantreis.conversations.store.ChatStore in memory, over an InMemoryAgentStore (the agent
    items the adapter's transactions update) and optionally InMemoryEngagementRecords (the offers
    a chat accepts). Each write checks every condition of the adapter's transaction before it
    changes anything, so a lost race (ConcurrentUpdate) or a refusal (Conflict) is all-or-nothing.
    The queue is ordered by queue key, as the table's sort key orders it.

    `before_write`, when set, is called with the write's name before its conditions are checked:
    a test makes another Lambda instance move first there."""

    def __init__(self, agents: InMemoryAgentStore, offers: InMemoryEngagementRecords | None = None) -> None:
        self.agents = agents
        self.offers = offers
        self.chats: dict[tuple[str, str], Chat] = {}
        self.messages_of: dict[tuple[str, str], dict[str, Message]] = defaultdict(dict)
        self.records: dict[tuple[str, str], list[RoutingRecord]] = defaultdict(list)
        self.queues: dict[str, dict[str, QueueEntry]] = defaultdict(dict)
        self.queued: dict[str, Counter[str]] = defaultdict(Counter)
        """site → queue category ('*' for none) → chats waiting (the ROUTING#STATS counters)."""
        self.handled: dict[str, tuple[int, float]] = defaultdict(lambda: (0, 0.0))
        self.perf: dict[tuple[str, str, str], dict[str, float]] = defaultdict(dict)
        """(site, category or '*', agent) → the PERF counters."""
        self.discounts: dict[tuple[str, str], Discount] = {}
        self.surveys: dict[tuple[str, str], SurveyAnswers] = {}
        self.before_write: Callable[[str], None] | None = None

    # ------------------------------------------------------------------ reads
    def chat(self, site_id: str, chat_id: str) -> Chat | None:
        chat = self.chats.get((site_id, chat_id))
        return chat.model_copy(deep=True) if chat else None

    def chats_of_visitor(self, site_id: str, visitor_id: str) -> list[Chat]:
        return sorted(
            (c for c in self.chats.values() if (c.site_id, c.visitor_id) == (site_id, visitor_id)),
            key=lambda c: (c.created_at, c.chat_id),
        )

    def queue(self, site_id: str, limit: int = 50, after: str | None = None) -> list[QueueEntry]:
        entries = [
            entry for key, entry in sorted(self.queues[site_id].items()) if after is None or key > after
        ]
        return entries[:limit]

    def routing_stats(self, site_id: str) -> RoutingStats:
        ended, seconds = self.handled[site_id]
        return RoutingStats(queued=dict(self.queued[site_id]), ended=ended, handle_seconds=seconds)

    def performance(self, site_id: str, category: str | None) -> dict[str, Performance]:
        wanted = category or keys.UNCATEGORIZED
        return {
            agent_id: Performance.from_counts(counts)
            for (site, cat, agent_id), counts in self.perf.items()
            if (site, cat) == (site_id, wanted)
        }

    def messages(
        self, site_id: str, chat_id: str, since: str | None, limit: int = MESSAGE_PAGE
    ) -> list[Message]:
        stored = self.messages_of.get((site_id, chat_id), {})
        return [stored[m] for m in sorted(stored) if since is None or m > since][:limit]

    def latest_messages(self, site_id: str, chat_id: str, limit: int) -> list[Message]:
        stored = self.messages_of.get((site_id, chat_id), {})
        return [stored[m] for m in sorted(stored)][-limit:]

    def routing_records(self, site_id: str, chat_id: str) -> list[RoutingRecord]:
        return list(self.records[(site_id, chat_id)])

    def discount(self, site_id: str, code: str) -> Discount | None:
        return self.discounts.get((site_id, code))

    # ------------------------------------------------------------------ writes
    def _begin(self, name: str) -> None:
        if self.before_write is not None:
            self.before_write(name)

    def _check_offer(self, site_id: str, offer_id: str | None) -> None:
        if not offer_id or self.offers is None:
            return
        offer = self.offers.offers.get((site_id, offer_id))
        if offer is None or offer.chat_id or offer.response not in (None, "accepted"):
            raise ConcurrentUpdate(f"offer {offer_id} was used or declined")

    def _accept_offer(self, chat: Chat, offer_id: str | None) -> None:
        if not offer_id or self.offers is None:
            return
        key = (chat.site_id, offer_id)
        offer = self.offers.offers[key]
        self.offers.offers[key] = offer.model_copy(
            update={
                "chat_id": chat.chat_id,
                "response": offer.response or "accepted",
                "responded_at": offer.responded_at or chat.created_at,
            }
        )

    def _count(self, chat: Chat, agent_id: str, **counts: float) -> None:
        perf = self.perf[(chat.site_id, chat.category or keys.UNCATEGORIZED, agent_id)]
        for name, value in counts.items():
            perf[name] = perf.get(name, 0.0) + value

    def _enqueue(self, chat: Chat, queue_key: str) -> None:
        self.queues[chat.site_id][queue_key] = QueueEntry(
            queue_key=queue_key,
            chat_id=chat.chat_id,
            category=chat.category,
            skills=tuple(sorted(chat.skills)),
        )
        self.queued[chat.site_id][chat.category or keys.UNCATEGORIZED] += 1

    def _dequeue(self, chat: Chat, queue_key: str) -> None:
        del self.queues[chat.site_id][queue_key]
        self.queued[chat.site_id][chat.category or keys.UNCATEGORIZED] -= 1

    def create_assigned(
        self, chat: Chat, agent: AgentProfile, record: RoutingRecord, offer_id: str | None
    ) -> None:
        self._begin("create_assigned")
        assert chat.agent is not None
        assert chat.assigned_at is not None
        if (chat.site_id, chat.chat_id) in self.chats:
            raise ConcurrentUpdate(f"chat {chat.chat_id} exists")
        self.agents.check_take(chat.site_id, agent.agent_id, chat.chat_id)
        self._check_offer(chat.site_id, offer_id)
        self.chats[(chat.site_id, chat.chat_id)] = chat.model_copy(deep=True)
        self.agents.take(chat.site_id, agent.agent_id, chat.chat_id, chat.assigned_at)
        self.records[(chat.site_id, chat.chat_id)].append(record)
        self._count(chat, agent.agent_id, chats=1)
        self._accept_offer(chat, offer_id)

    def create_queued(self, chat: Chat, record: RoutingRecord, offer_id: str | None) -> None:
        self._begin("create_queued")
        assert chat.queue_key is not None
        if (chat.site_id, chat.chat_id) in self.chats or chat.queue_key in self.queues[chat.site_id]:
            raise ConcurrentUpdate(f"chat {chat.chat_id} exists")
        self._check_offer(chat.site_id, offer_id)
        self.chats[(chat.site_id, chat.chat_id)] = chat.model_copy(deep=True)
        self._enqueue(chat, chat.queue_key)
        self.records[(chat.site_id, chat.chat_id)].append(record)
        self._accept_offer(chat, offer_id)

    def assign_queued(self, chat: Chat, entry_key: str, agent: AgentProfile, record: RoutingRecord) -> None:
        self._begin("assign_queued")
        stored = self.chats.get((chat.site_id, chat.chat_id))
        if stored is None or stored.status != "queued" or entry_key not in self.queues[chat.site_id]:
            raise ConcurrentUpdate(f"chat {chat.chat_id} is no longer queued")
        self.agents.check_take(chat.site_id, agent.agent_id, chat.chat_id)
        waited = (record.at - chat.created_at).total_seconds()
        wait = chat.wait_seconds if chat.wait_seconds is not None else waited
        self.chats[(chat.site_id, chat.chat_id)] = stored.model_copy(
            update={
                "status": "assigned",
                "agent": ChatAgent(agent_id=agent.agent_id, display_name=agent.display_name),
                "assigned_at": record.at,
                "wait_seconds": round(max(wait, 0.0), 3),
                "queue_key": None,
            }
        )
        self._dequeue(stored, entry_key)
        self.agents.take(chat.site_id, agent.agent_id, chat.chat_id, record.at)
        self.records[(chat.site_id, chat.chat_id)].append(record)
        self._count(stored, agent.agent_id, chats=1)

    def requeue(self, chat: Chat, queue_key: str, record: RoutingRecord) -> None:
        self._begin("requeue")
        assert chat.agent is not None
        stored = self.chats.get((chat.site_id, chat.chat_id))
        if stored is None or stored.status != "assigned" or stored.agent_id != chat.agent.agent_id:
            raise ConcurrentUpdate(f"chat {chat.chat_id} is no longer {chat.agent.agent_id}'s")
        self.agents.check_release(chat.site_id, chat.agent.agent_id, chat.chat_id)
        if queue_key in self.queues[chat.site_id]:
            raise ConcurrentUpdate(f"queue entry {queue_key} exists")
        self.chats[(chat.site_id, chat.chat_id)] = stored.model_copy(
            update={
                "status": "queued",
                "queue_key": queue_key,
                "agent": None,
                "reassignments": stored.reassignments + 1,
            }
        )
        self.agents.release(chat.site_id, chat.agent.agent_id, chat.chat_id)
        self._enqueue(stored, queue_key)
        self.records[(chat.site_id, chat.chat_id)].append(record)

    def end(self, chat: Chat, at: datetime, resolved: bool | None, release: bool) -> None:
        self._begin("end")
        stored = self.chats.get((chat.site_id, chat.chat_id))
        if stored is None or stored.status != chat.status:
            raise ConcurrentUpdate(f"chat {chat.chat_id} changed")
        dequeue = chat.status == "queued" and chat.queue_key is not None
        if dequeue and chat.queue_key not in self.queues[chat.site_id]:
            raise ConcurrentUpdate(f"chat {chat.chat_id} left the queue")
        served_by = chat.agent_id if chat.status == "assigned" else None
        if served_by and release:
            self.agents.check_release(chat.site_id, served_by, chat.chat_id)
        update: dict[str, Any] = {"status": "ended", "ended_at": at, "queue_key": None}
        if resolved is not None:
            update["resolved"] = resolved
        self.chats[(chat.site_id, chat.chat_id)] = stored.model_copy(update=update)
        if dequeue:
            assert chat.queue_key is not None
            self._dequeue(stored, chat.queue_key)
        if served_by:
            handled = max(0.0, (at - (chat.assigned_at or at)).total_seconds())
            self._count(stored, served_by, ended=1, handle_seconds=handled, resolved=int(bool(resolved)))
            ended, seconds = self.handled[chat.site_id]
            self.handled[chat.site_id] = (ended + 1, seconds + handled)
            if release:
                self.agents.release(chat.site_id, served_by, chat.chat_id)

    def add_message(self, chat: Chat, message: Message) -> Message:
        """Numbered with the chat's next sequence number, as the adapter's counter does."""
        self._begin("add_message")
        stored = self.chats.get((chat.site_id, chat.chat_id))
        held = self.messages_of[(chat.site_id, chat.chat_id)]
        if stored is None or stored.status == "ended" or len(held) >= MAX_CHAT_MESSAGES:
            raise Conflict("this chat has ended or holds its maximum of messages")
        numbered = message.model_copy(update={"message_id": message_id(len(held) + 1)})
        held[numbered.message_id] = numbered
        return numbered

    def add_transcript(self, chat: Chat, messages: list[Message]) -> list[Message]:
        """The chat's first messages, numbered 1..n."""
        self._begin("add_transcript")
        numbered = [m.model_copy(update={"message_id": message_id(n)}) for n, m in enumerate(messages, 1)]
        held = self.messages_of[(chat.site_id, chat.chat_id)]
        held.clear()
        held.update((m.message_id, m) for m in numbered)
        return numbered

    def release(self, site_id: str, agent_id: str, chat_id: str) -> bool:
        """Frees a slot held for a chat that is gone; True if the agent still counted it."""
        try:
            self.agents.check_release(site_id, agent_id, chat_id)
        except ConcurrentUpdate:
            return False
        self.agents.release(site_id, agent_id, chat_id)
        return True

    def add_discount(self, chat: Chat, discount: Discount) -> None:
        self._begin("add_discount")
        stored = self.chats.get((chat.site_id, chat.chat_id))
        if (
            stored is None
            or stored.status != "assigned"
            or stored.discount_code is not None
            or stored.agent_id != discount.agent_id
            or (chat.site_id, discount.code) in self.discounts
        ):
            raise Conflict("this chat has a discount code already, or is no longer yours")
        self.chats[(chat.site_id, chat.chat_id)] = stored.model_copy(
            update={"discount_code": discount.code, "discount_percent": discount.percent}
        )
        self.discounts[(chat.site_id, discount.code)] = discount

    def add_survey(self, chat: Chat, answers: SurveyAnswers, at: datetime, day: str) -> None:
        self._begin("add_survey")
        stored = self.chats.get((chat.site_id, chat.chat_id))
        if stored is None or (chat.site_id, chat.chat_id) in self.surveys:
            raise Conflict("this chat has its survey already")
        self.surveys[(chat.site_id, chat.chat_id)] = answers
        summary = SurveySummary(csat=answers.csat, nps=answers.nps, ces=answers.ces, at=at)
        self.chats[(chat.site_id, chat.chat_id)] = stored.model_copy(update={"survey": summary})
        if chat.agent is not None:
            self._count(chat, chat.agent.agent_id, **survey_counts(answers.csat, answers.nps, answers.ces))

    def mark_follow_up(self, earlier: Chat, chat_id: str) -> None:
        stored = self.chats.get((earlier.site_id, earlier.chat_id))
        if stored is not None and stored.follow_up_chat_id is None:
            self.chats[(earlier.site_id, earlier.chat_id)] = stored.model_copy(
                update={"follow_up_chat_id": chat_id}
            )

    def mark_converted(self, chat: Chat, at: datetime, value: float, code: str | None = None) -> bool:
        stored = self.chats.get((chat.site_id, chat.chat_id))
        discount = self.discounts.get((chat.site_id, code)) if code else None
        if stored is None or stored.converted_at is not None:
            return False
        if code and (discount is None or discount.used_at is not None):
            return False
        self.chats[(chat.site_id, chat.chat_id)] = stored.model_copy(
            update={"converted_at": at, "conversion_value": value}
        )
        if discount is not None:
            self.discounts[(chat.site_id, discount.code)] = replace(discount, used_at=at)
        if chat.agent is not None:
            self._count(chat, chat.agent.agent_id, conversions=1)
        return True


class InMemoryChats(InMemoryChatStore):
    """InMemoryChatStore holding given chats: what the context (ChatHistory) and attribution
    (AttributionStore) read and write; `conversions` is the agents' PERF conversions counter."""

    def __init__(self, *chats: Chat) -> None:
        super().__init__(InMemoryAgentStore())
        for chat in chats:
            self.put(chat)

    def put(self, chat: Chat) -> None:
        self.chats[(chat.site_id, chat.chat_id)] = chat

    def put_discount(self, discount: Discount) -> None:
        self.discounts[(discount.site_id, discount.code)] = discount

    @property
    def conversions(self) -> dict[tuple[str, str, str], int]:
        """(site_id, category, agent_id) → conversions."""
        return {key: int(perf["conversions"]) for key, perf in self.perf.items() if perf.get("conversions")}
