"""The proactive-chat decision: should the widget offer this visitor a chat now?

Gates in the contract's order, each with its reason: consent (`no_consent`) and bots (`bot`);
a matching engagement rule (`not_qualified`); opening hours (`outside_hours`); an available agent
for the category with free capacity (`no_agent`); the frequency caps (`capped`); the holdout
(`holdout`, recorded as "would have offered"); then, for a site whose uplift model is trained on
enough holdout outcomes, the offer policy (`not_qualified` when a chat is expected to gain
nothing, `no_agent` when its gain is below the bar the agents' free capacity sets). The holdout is drawn
before the policy and never depends on it, so the uplift stays measurable. Every decision is
recorded with its reason, rule, scores, policy (and estimated uplift) and the features that
weighed most; an offer gets an unguessable id the widget answers.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from klantreis.agents.ports import DEFAULT_HEARTBEAT_SECONDS, serving_slots
from klantreis.engagement.config import EngagementConfig, EngagementRule, OpeningHours
from klantreis.engagement.features import (
    PageStatsSource,
    SitePageStats,
    abandonment_risk,
    history_evidence,
    main_category,
    purchase_intent,
    session_categories,
    session_features,
)
from klantreis.engagement.model import CATEGORICAL_CODES, PropensityModel, SessionFeatures, prior_model
from klantreis.engagement.ports import EngagementRecords, ModelSource, UpliftSource
from klantreis.engagement.records import (
    Decision,
    EngagementState,
    Offer,
    OfferResponse,
    Reason,
    Snapshot,
    WeighingFeature,
)
from klantreis.engagement.rules import Moment, matching_rule
from klantreis.engagement.uplift import (
    RULES,
    Capacity,
    UpliftInputs,
    UpliftModel,
    Verdict,
    capacity_window,
    choose,
)
from klantreis.errors import ConcurrentUpdate, Conflict, NotFound, Throttled
from klantreis.journey.session import SessionState
from klantreis.routing.wait import DEFAULT_HANDLE_SECONDS, expected_wait_seconds
from klantreis.sites import Site

TOP_FEATURES = 3
HOLDOUT_BUCKETS = 2**64


class SettingsSource(Protocol):
    """The site's engagement configuration and opening hours (cached by the implementation)."""

    def config(self, site_id: str) -> EngagementConfig: ...

    def hours(self, site: Site) -> OpeningHours: ...


class NoPageStats:
    """A PageStatsSource for sites without history: no page has evidence, the prior decides."""

    def for_site(self, site_id: str) -> SitePageStats:
        return SitePageStats()


@dataclass(frozen=True)
class DecideRequest:
    visitor_id: str
    session_id: str
    idle_seconds: int = 0
    url: str | None = None
    consent: bool = True
    bot_client: bool = False
    """The decide request's own User-Agent says bot."""


@dataclass(frozen=True)
class DecideAnswer:
    offer: bool
    reason: Reason
    score: float
    offer_id: str | None = None
    message: str | None = None

    @property
    def action(self) -> str | None:
        return "chat" if self.offer else None


def in_holdout(site_id: str, visitor_id: str, share: float) -> bool:
    """Deterministic per (site, visitor): sha256 of both, as a number in [0, 1), below `share`.
    `#` cannot occur in ids, so no two pairs hash the same text."""
    digest = hashlib.sha256(f"{site_id}#{visitor_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / HOLDOUT_BUCKETS < share


def new_id() -> str:
    """128 random bits as hex: unguessable, and within the id pattern."""
    return secrets.token_hex(16)


def weighing_features(
    model: PropensityModel, features: SessionFeatures, top: int = TOP_FEATURES
) -> list[WeighingFeature]:
    """The features that moved the score most: for each numeric input of the model, the score
    minus the score with that input at 0 (one tree walk per input), largest changes first."""
    x = model.vector(features)
    score = _logistic(model.raw_score(x))
    effects: list[WeighingFeature] = []
    for index, column in enumerate(model.features):
        if column in CATEGORICAL_CODES or x[index] == 0.0:
            continue
        neutral = list(x)
        neutral[index] = 0.0
        effect = score - _logistic(model.raw_score(neutral))
        if effect:
            effects.append(WeighingFeature(feature=column, value=round(x[index], 4), effect=round(effect, 4)))
    effects.sort(key=lambda weighing: abs(weighing.effect), reverse=True)
    return effects[:top]


def _logistic(raw: float) -> float:
    if raw >= 0:
        return 1.0 / (1.0 + math.exp(-raw))
    odds = math.exp(raw)
    return odds / (1.0 + odds)


@dataclass(frozen=True)
class _Scored:
    intent: float
    risk: float
    moment: Moment
    top: list[WeighingFeature]


class Decider:
    """Decides, records, and takes offer responses. Warm, a decision is one read (snapshot) and
    one write (record); settings, page stats and the model are cached by their sources."""

    def __init__(
        self,
        records: EngagementRecords,
        settings: SettingsSource,
        model: PropensityModel,
        page_stats: PageStatsSource | None = None,
        *,
        models: ModelSource | None = None,
        uplift: UpliftSource | None = None,
        prior: PropensityModel | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        ids: Callable[[], str] = new_id,
        heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS,
    ) -> None:
        self._heartbeat = heartbeat_seconds
        self._records = records
        self._settings = settings
        self._model = model
        self._models = models
        self._uplift = uplift
        self._prior = prior or prior_model()
        self._page_stats = page_stats or NoPageStats()
        self._clock = clock
        self._ids = ids

    def decide(self, site: Site, ask: DecideRequest) -> DecideAnswer:
        for consistent in (False, True):
            try:
                return self._decide_once(site, ask, consistent=consistent)
            except ConcurrentUpdate:
                continue  # another decision or a rejection moved the state; decide again on it
        raise Throttled("this visitor's engagement state is changing; retry shortly")

    def _decide_once(self, site: Site, ask: DecideRequest, *, consistent: bool) -> DecideAnswer:
        now = self._clock()
        day = site.local_day(now)
        if not ask.consent or ask.bot_client:
            # Nothing of the session is read: without consent it is not ours to weigh.
            reason: Reason = "no_consent" if not ask.consent else "bot"
            self._records.record(self._decision(site, ask, now, day, reason), None, None)
            return DecideAnswer(offer=False, reason=reason, score=0.0)

        snapshot = self._records.snapshot(site.site_id, ask.visitor_id, ask.session_id, consistent=consistent)
        session = snapshot.session
        if session is None:
            self._records.record(self._decision(site, ask, now, day, "not_qualified"), None, None)
            return DecideAnswer(offer=False, reason="not_qualified", score=0.0)
        if session.client is not None and session.client.bot:
            self._records.record(self._decision(site, ask, now, day, "bot"), None, None)
            return DecideAnswer(offer=False, reason="bot", score=0.0)

        config = self._settings.config(site.site_id)
        scored = self._score(site, ask, session, now, config)
        rule = matching_rule(config.rules, scored.moment)
        if rule is None:
            decision = self._decision(site, ask, now, day, "not_qualified", scored=scored)
            self._records.record(decision, None, None)
            return DecideAnswer(offer=False, reason="not_qualified", score=scored.intent)

        category = rule.category or main_category(session)
        blocked = self._blocked(
            site, config, snapshot, category=category, ask=ask, now=now, day=day,
            max_wait_seconds=rule.max_expected_wait_seconds,
        )  # fmt: skip
        if blocked is not None:
            decision = self._decision(site, ask, now, day, blocked, scored=scored, rule=rule)
            self._records.record(decision, None, None)
            return DecideAnswer(offer=False, reason=blocked, score=scored.intent)

        verdict = self._verdict(site, snapshot, scored, category, now)
        state = self._counted(snapshot.state, ask.session_id, day)
        first_in_session = state.session_offers == 1
        # The holdout is drawn first and by the visitor alone: the policy never picks its members.
        if in_holdout(site.site_id, ask.visitor_id, config.holdout_share):
            decision = self._decision(
                site, ask, now, day, "holdout", scored=scored, rule=rule, first_in_session=first_in_session,
                verdict=verdict,
            )  # fmt: skip
            self._records.record(decision, None, state)
            return DecideAnswer(offer=False, reason="holdout", score=scored.intent)
        if not verdict.offer:
            declined: Reason = "not_qualified" if (verdict.expected_gain or 0.0) <= 0 else "no_agent"
            decision = self._decision(
                site, ask, now, day, declined, scored=scored, rule=rule, verdict=verdict
            )
            self._records.record(decision, None, None)
            return DecideAnswer(offer=False, reason=declined, score=scored.intent)

        offer = Offer(
            site_id=site.site_id,
            offer_id=self._ids(),
            visitor_id=ask.visitor_id,
            session_id=ask.session_id,
            rule_id=rule.rule_id,
            category=category,
            message=rule.message,
            day=day,
            created_at=now,
            score=scored.intent,
        )
        decision = self._decision(
            site, ask, now, day, "qualified", scored=scored, rule=rule, offer_id=offer.offer_id,
            first_in_session=first_in_session, verdict=verdict,
        )  # fmt: skip
        self._records.record(decision, offer, state)
        return DecideAnswer(
            offer=True, reason="qualified", score=scored.intent, offer_id=offer.offer_id, message=rule.message
        )

    def _score(
        self, site: Site, ask: DecideRequest, session: SessionState, now: datetime, config: EngagementConfig
    ) -> _Scored:
        stats = self._page_stats.for_site(site.site_id)
        special_days = config.special_days_near(now.astimezone(site.zone).date())
        features = session_features(session, stats, timezone=site.timezone, special_days=special_days)
        model = self._models.for_site(site.site_id) if self._models else self._model
        # A site's own model was trained on its own history: that is all the evidence there is.
        evidence = 1.0 if model is not self._model else history_evidence(session, stats)
        intent = round(purchase_intent(model, self._prior, features, evidence), 4)
        idle = max(ask.idle_seconds, 0)
        risk = abandonment_risk(session, idle, intent)
        moment = Moment(
            stage=session.stage.value,
            cart_value=session.cart_value,
            categories=session_categories(session),
            url=ask.url or session.last_page_url,
            idle_seconds=idle,
            purchase_intent=intent,
            abandonment_risk=risk,
        )
        weighed = model if evidence >= 0.5 else self._prior  # the model that said most of the score
        return _Scored(intent, risk, moment, weighing_features(weighed, features))

    def _verdict(
        self, site: Site, snapshot: Snapshot, scored: _Scored, category: str | None, now: datetime
    ) -> Verdict:
        """The offer policy's verdict: the rules' (offer) unless the site has an uplift model."""
        model = self._uplift.for_site(site.site_id) if self._uplift else None
        if model is None:
            return RULES
        moment = scored.moment
        inputs = UpliftInputs(
            purchase_intent=scored.intent,
            abandonment_risk=scored.risk,
            cart_value=moment.cart_value,
            stage=moment.stage,
            idle_seconds=moment.idle_seconds,
        )
        return choose(model, inputs, self._capacity(model, snapshot, category, now))

    def _capacity(
        self, model: UpliftModel, snapshot: Snapshot, category: str | None, now: datetime
    ) -> Capacity:
        """The category's agent slots, and those in use or claimed by the queue, as the bar sees them."""
        serving = [a for a in snapshot.agents if a.serving(category, now, self._heartbeat)]
        slots = sum(a.max_chats for a in serving)
        busy = sum(min(a.active_chats, a.max_chats) for a in serving) + snapshot.routing.queued_in(category)
        handle = snapshot.routing.mean_handle_seconds or DEFAULT_HANDLE_SECONDS
        return capacity_window(model, slots=slots, busy=busy, mean_handle_seconds=handle)

    def _blocked(
        self,
        site: Site,
        config: EngagementConfig,
        snapshot: Snapshot,
        *,
        category: str | None,
        ask: DecideRequest,
        now: datetime,
        day: str,
        max_wait_seconds: int,
    ) -> Reason | None:
        if not self._settings.hours(site).is_open(now):
            return "outside_hours"
        if not self._agent_in_time(snapshot, category, now, max_wait_seconds):
            return "no_agent"
        state, caps = snapshot.state, config.caps
        in_session = state.session_offers if state.session_id == ask.session_id else 0
        today = state.day_offers if state.day == day else 0
        cooling = (
            state.rejected_at is not None
            and now.timestamp() - state.rejected_at < caps.cooldown_after_reject_seconds
        )
        if in_session >= caps.per_session or today >= caps.per_day or cooling:
            return "capped"
        return None

    def _agent_in_time(
        self, snapshot: Snapshot, category: str | None, now: datetime, max_wait_seconds: int
    ) -> bool:
        """An agent for the category is free now, or the chat's expected wait in the queue (from
        the queue's length and the agents' handle time) is within the rule's limit."""
        agents = snapshot.agents
        if any(a.can_take(category, now, self._heartbeat) for a in agents):
            return True
        serving = serving_slots(agents, category, now, self._heartbeat)
        routing = snapshot.routing
        wait = expected_wait_seconds(routing.queued_in(category) + 1, serving, routing.mean_handle_seconds)
        return wait is not None and wait <= max_wait_seconds

    @staticmethod
    def _counted(state: EngagementState, session_id: str, day: str) -> EngagementState:
        """The state after one more offer (or holdout "would have offered")."""
        return EngagementState(
            version=state.version + 1,
            session_id=session_id,
            session_offers=(state.session_offers if state.session_id == session_id else 0) + 1,
            day=day,
            day_offers=(state.day_offers if state.day == day else 0) + 1,
            rejected_at=state.rejected_at,
        )

    def _decision(
        self,
        site: Site,
        ask: DecideRequest,
        now: datetime,
        day: str,
        reason: Reason,
        *,
        scored: _Scored | None = None,
        rule: EngagementRule | None = None,
        offer_id: str | None = None,
        first_in_session: bool = False,
        verdict: Verdict | None = None,
    ) -> Decision:
        moment = scored.moment if scored else None
        return Decision(
            site_id=site.site_id,
            visitor_id=ask.visitor_id,
            session_id=ask.session_id,
            decision_id=self._ids(),
            at=now,
            day=day,
            reason=reason,
            rule_id=rule.rule_id if rule else None,
            score=scored.intent if scored else None,
            abandonment_risk=scored.risk if scored else None,
            top_features=scored.top if scored else [],
            would_have_offered=reason in ("qualified", "holdout"),
            qualified=rule is not None,
            offer_id=offer_id,
            first_in_session=first_in_session,
            cart_value=moment.cart_value if moment else None,
            stage=moment.stage if moment else None,
            idle_seconds=moment.idle_seconds if moment else None,
            policy=verdict.policy if verdict else "rules",
            uplift_model=verdict.model_version if verdict else None,
            estimated_uplift=verdict.estimated_uplift if verdict else None,
            expected_gain=verdict.expected_gain if verdict else None,
            min_gain=verdict.min_gain if verdict else None,
            policy_offer=verdict.offer if verdict and verdict.policy == "gain" else None,
        )

    def respond(self, site: Site, offer_id: str, response: OfferResponse) -> Offer:
        """Stores the visitor's answer to an offer: NotFound for an unknown (or another site's)
        offer, Conflict for a different second answer; the same answer again changes nothing."""
        offer = self._records.offer(site.site_id, offer_id)
        if offer is None:
            raise NotFound("no such offer")
        if offer.response is None:
            try:
                self._records.respond(offer, response, self._clock())
                return offer.model_copy(update={"response": response})
            except ConcurrentUpdate:
                offer = self._records.offer(site.site_id, offer_id)
                if offer is None:
                    raise NotFound("no such offer") from None
        if offer.response != response:
            raise Conflict(f"this offer was {offer.response} already")
        return offer
