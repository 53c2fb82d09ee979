"""What engagement decisions leave behind: the decision records, the offers, and each visitor's
engagement state (the frequency caps' memory), with their stored form (pure: the port is
klantreis.engagement.ports.EngagementRecords, its DynamoDB adapter klantreis.engagement.records_dynamo_store,
where the partitions and round trips are told).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from klantreis import keys
from klantreis.agents.ports import AgentProfile
from klantreis.journey.session import SessionState
from klantreis.routing.stats import RoutingStats

Reason = Literal[
    "qualified", "holdout", "outside_hours", "no_agent", "capped", "not_qualified", "no_consent", "bot"
]
REASONS: tuple[Reason, ...] = (
    "qualified", "holdout", "outside_hours", "no_agent", "capped", "not_qualified", "no_consent", "bot",
)  # fmt: skip
OfferResponse = Literal["accepted", "rejected", "ignored"]
OFFER_RESPONSES: tuple[OfferResponse, ...] = ("accepted", "rejected", "ignored")
Policy = Literal["rules", "gain"]
"""Who chose among rule-eligible visitors (klantreis.engagement.uplift's `choose`)."""

DECISION_TTL_SECONDS = 90 * 86_400
OFFER_TTL_SECONDS = 30 * 86_400
STATE_TTL_SECONDS = 90 * 86_400
"""Refreshed by every write; the longest cooldown a site can set is 90 days."""


class EngagementState(BaseModel):
    """A visitor's memory for the frequency caps: offers (and holdout "would have offered"s) in
    the current session and on the current local day, and the last rejection."""

    model_config = ConfigDict(extra="ignore")

    version: int = 0
    session_id: str | None = None
    session_offers: int = 0
    day: str | None = None
    day_offers: int = 0
    rejected_at: int | None = None
    """Epoch seconds of the visitor's last rejected offer."""


class WeighingFeature(BaseModel):
    model_config = ConfigDict(frozen=True)

    feature: str
    value: float
    effect: float
    """Score minus the score with this feature at its neutral value (0)."""


class Decision(BaseModel):
    """One answer to `decide`, as recorded for operators and the funnel counters."""

    model_config = ConfigDict(frozen=True)

    site_id: str
    visitor_id: str
    session_id: str
    decision_id: str
    at: datetime
    day: str
    """Local day of the site (the counters' day)."""
    reason: Reason
    rule_id: str | None = None
    score: float | None = None
    abandonment_risk: float | None = None
    top_features: list[WeighingFeature] = Field(default_factory=list)
    would_have_offered: bool = False
    qualified: bool = False
    """A rule matched (the funnel's first step), whatever a later gate decided."""
    offer_id: str | None = None
    first_in_session: bool = False
    """The session's first offer (or, in the holdout, its first "would have offered")."""
    cart_value: float | None = None
    stage: str | None = None
    idle_seconds: int | None = None
    """With the scores, what the uplift model learns from (klantreis.engagement.uplift)."""
    policy: Policy = "rules"
    """Who chose among rule-eligible visitors: the rules and scores, or the expected gain."""
    uplift_model: str | None = None
    """The uplift model's version behind a `gain` decision."""
    estimated_uplift: float | None = None
    """P(buy | offered) - P(buy | not), by the uplift model."""
    expected_gain: float | None = None
    """Estimated uplift x cart value minus the offer's cost in agent time (site currency)."""
    min_gain: float | None = None
    """The gain an offer had to bring at the agents' load then."""
    policy_offer: bool | None = None
    """The gain policy's verdict; on a holdout decision, whether it would have offered."""


class Offer(BaseModel):
    model_config = ConfigDict(frozen=True)

    site_id: str
    offer_id: str
    visitor_id: str
    session_id: str
    rule_id: str
    category: str | None = None
    message: str
    day: str
    created_at: datetime
    score: float | None = None
    """The session's purchase intent when offered (routing's queue priority reads it)."""
    chat_id: str | None = None
    """The chat started from this offer (one at most)."""
    response: OfferResponse | None = None
    responded_at: datetime | None = None


@dataclass(frozen=True)
class Snapshot:
    """What one decision reads: the session (None before its first event), the visitor's
    engagement state, and the site's agents."""

    session: SessionState | None
    state: EngagementState
    agents: list[AgentProfile] = field(default_factory=list)
    routing: RoutingStats = field(default_factory=RoutingStats)
    """Queue lengths and handle time: the expected wait of a chat offered now."""


def epoch_seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def decision_from_item(plain: Mapping[str, Any]) -> Decision:
    site_id, visitor_id = keys.parse_visitor_pk(str(plain["PK"]))
    fields = {k: v for k, v in plain.items() if k not in ("PK", "SK", "expires_at")}
    return Decision.model_validate({**fields, "site_id": site_id, "visitor_id": visitor_id})


def decision_item(decision: Decision) -> dict[str, Any]:
    plain = decision.model_dump(
        mode="json", exclude={"site_id", "visitor_id"}, exclude_none=True, exclude_defaults=True
    )
    plain.update(
        PK=keys.visitor_pk(decision.site_id, decision.visitor_id),
        SK=keys.decision_sk(plain["at"], decision.decision_id),
        session_id=decision.session_id,
        day=decision.day,
        reason=decision.reason,
        expires_at=epoch_seconds(decision.at) + DECISION_TTL_SECONDS,
    )
    return plain


def offer_item(offer: Offer) -> dict[str, Any]:
    plain = offer.model_dump(mode="json", exclude={"site_id", "offer_id"}, exclude_none=True)
    visitor = keys.visitor_pk(offer.site_id, offer.visitor_id)
    plain.update(
        PK=keys.offer_pk(offer.site_id, offer.offer_id),
        SK=keys.OFFER,
        GSI1PK=visitor,
        GSI1SK=f"{keys.OFFER}#{offer.offer_id}",
        expires_at=epoch_seconds(offer.created_at) + OFFER_TTL_SECONDS,
    )
    return plain


def offer_from_item(plain: dict[str, Any]) -> Offer:
    site_id, offer_id = keys.parse_offer_pk(plain["PK"])
    fields = {k: v for k, v in plain.items() if k not in ("PK", "SK", "GSI1PK", "GSI1SK", "expires_at")}
    return Offer.model_validate({**fields, "site_id": site_id, "offer_id": offer_id})


def state_item(site_id: str, visitor_id: str, state: EngagementState, now: int) -> dict[str, Any]:
    plain = state.model_dump(exclude_none=True)
    plain.update(
        PK=keys.visitor_pk(site_id, visitor_id), SK=keys.ENGAGEMENT_STATE, expires_at=now + STATE_TTL_SECONDS
    )
    return plain
