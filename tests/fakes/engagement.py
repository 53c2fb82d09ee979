"""Engagement's ports in memory: klantreis.engagement.ports (settings, site models, records) and
klantreis.engagement.features.PageStatsSource (each held to its port's contract with the DynamoDB
adapter: tests/integration/test_engagement_stores_contract.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime

from klantreis.agents.ports import AgentProfile
from klantreis.engagement.config import EngagementConfig, OpeningHours
from klantreis.engagement.features import SitePageStats
from klantreis.engagement.model import PropensityModel, parse_model
from klantreis.engagement.records import Decision, EngagementState, Offer, OfferResponse, Snapshot
from klantreis.errors import ConcurrentUpdate
from klantreis.journey.session import SessionState
from klantreis.routing.stats import RoutingStats
from tests.fakes.journey import SessionKey


class InMemoryEngagementSettingsStore:
    """klantreis.engagement.ports.EngagementSettingsStore in memory; counts reads, so tests see
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
    """klantreis.engagement.ports.EngagementRecords in memory: the state's version is checked
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
    """klantreis.engagement.ports.SiteModelStore in memory; counts reads."""

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
