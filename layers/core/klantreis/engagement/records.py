"""What engagement decisions leave behind: the decision records, the offers, and each visitor's
engagement state (the frequency caps' memory). The port, and its DynamoDB adapter.

Decisions and the state live in the visitor's partition (SITE#{site}#V#{visitor}), so erasure
covers them; an offer is addressed by its own id (SITE#{site}#OFFER#{offer}) and carries
GSI1PK = the visitor's partition key, so erasure finds it too. A warm decision costs two round
trips: one BatchGetItem (session, state, the site's agents) and one write (a PutItem of the
decision, or a TransactWriteItems of decision, offer and state). See docs/decisions.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from klantreis import dynamo, keys
from klantreis.agents.dynamo_store import agent_from_item
from klantreis.agents.ports import AgentProfile
from klantreis.engagement.uplift import Policy
from klantreis.errors import Throttled
from klantreis.journey.session import SessionState
from klantreis.journey.session_item import session_from_item
from klantreis.routing.stats import RoutingStats, routing_stats_from_item

Reason = Literal[
    "qualified", "holdout", "outside_hours", "no_agent", "capped", "not_qualified", "no_consent", "bot"
]
REASONS: tuple[Reason, ...] = (
    "qualified", "holdout", "outside_hours", "no_agent", "capped", "not_qualified", "no_consent", "bot",
)  # fmt: skip
OfferResponse = Literal["accepted", "rejected", "ignored"]
OFFER_RESPONSES: tuple[OfferResponse, ...] = ("accepted", "rejected", "ignored")

DECISION_TTL_SECONDS = 90 * 86_400
OFFER_TTL_SECONDS = 30 * 86_400
STATE_TTL_SECONDS = 90 * 86_400
"""Refreshed by every write; the longest cooldown a site can set is 90 days."""
AGENT_IDS_TTL_SECONDS = 30.0
MAX_AGENTS = 97
"""BatchGetItem reads at most 100 keys: the session, the state, the routing statistics and this many
agents."""


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


class EngagementRecords(Protocol):
    def snapshot(
        self, site_id: str, visitor_id: str, session_id: str, *, consistent: bool = False
    ) -> Snapshot: ...

    def record(self, decision: Decision, offer: Offer | None, state: EngagementState | None) -> None:
        """Writes the decision, and the offer and the new state (atomically) when given. The
        state is written only if the stored version is still `state.version - 1` (or none is
        stored when that is 0); ConcurrentUpdate otherwise."""
        ...

    def offer(self, site_id: str, offer_id: str) -> Offer | None: ...

    def respond(self, offer: Offer, response: OfferResponse, at: datetime) -> None:
        """Stores the response if the offer has none yet (ConcurrentUpdate otherwise); a
        rejection also marks the visitor's state (the cooldown)."""
        ...


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def decision_from_item(plain: Mapping[str, Any]) -> Decision:
    site_id, visitor_id = keys.parse_visitor_pk(str(plain["PK"]))
    fields = {k: v for k, v in plain.items() if k not in ("PK", "SK", "expires_at")}
    return Decision.model_validate({**fields, "site_id": site_id, "visitor_id": visitor_id})


class DynamoDecisionLog:
    """The decision log of a visitor: the `decide` answers kept in the visitor's partition (for
    the decision TTL), newest first."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def decisions(self, site_id: str, visitor_id: str, session_id: str | None, limit: int) -> list[Decision]:
        query: dict[str, Any] = {"ScanIndexForward": False}
        if session_id is not None:
            query["FilterExpression"] = "session_id = :session"
            query["ExpressionAttributeValues"] = {":session": dynamo.to_value(session_id)}
        visitor = keys.visitor_pk(site_id, visitor_id)
        found: list[Decision] = []
        with dynamo.translated():
            for item in dynamo.query_prefix(self._db, self._table, visitor, keys.DECISION_PREFIX, **query):
                try:
                    found.append(decision_from_item(dynamo.from_item(item)))
                except (ValidationError, ValueError):
                    continue  # a record the model no longer reads is left out, never a 5xx
                if len(found) >= limit:
                    break
        return found


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
        expires_at=_epoch(decision.at) + DECISION_TTL_SECONDS,
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
        expires_at=_epoch(offer.created_at) + OFFER_TTL_SECONDS,
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


def _agent(plain: dict[str, Any]) -> AgentProfile | None:
    try:
        return agent_from_item(plain)
    except ValidationError:
        return None  # a malformed profile is no agent to offer; routing owns its repair


class DynamoEngagementRecords:
    """EngagementRecords in the single table. The site's agent ids come from a Query cached for
    `agent_ids_ttl` seconds; the agents' items themselves (status, load) are read fresh with
    every decision, in the same BatchGetItem as the session and the state."""

    def __init__(
        self,
        dynamodb: Any,
        table: str,
        *,
        agent_ids_ttl: float = AGENT_IDS_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = dynamodb
        self._table = table
        self._ttl = agent_ids_ttl
        self._clock = clock
        self._agent_ids: dict[str, tuple[float, list[str]]] = {}

    def agent_ids(self, site_id: str) -> list[str]:
        now = self._clock()
        cached = self._agent_ids.get(site_id)
        if cached and now - cached[0] < self._ttl:
            return cached[1]
        items = dynamo.query_prefix(
            self._db,
            self._table,
            keys.site_pk(site_id),
            keys.AGENT_PREFIX,
            ProjectionExpression="SK",
        )
        ids = [item["SK"]["S"].removeprefix(keys.AGENT_PREFIX) for item in items][:MAX_AGENTS]
        self._agent_ids[site_id] = (now, ids)
        return ids

    def snapshot(
        self, site_id: str, visitor_id: str, session_id: str, *, consistent: bool = False
    ) -> Snapshot:
        visitor = keys.visitor_pk(site_id, visitor_id)
        wanted = [
            {"PK": visitor, "SK": keys.session_sk(session_id)},
            {"PK": visitor, "SK": keys.ENGAGEMENT_STATE},
            {"PK": keys.site_pk(site_id), "SK": keys.ROUTING_STATS},
            *({"PK": keys.site_pk(site_id), "SK": keys.agent_sk(a)} for a in self.agent_ids(site_id)),
        ]
        request: dict[str, Any] = {
            self._table: {"Keys": [dynamo.to_item(k) for k in wanted], "ConsistentRead": consistent}
        }
        found: list[dict[str, Any]] = []
        with dynamo.translated():
            for attempt in range(6):
                answer = self._db.batch_get_item(RequestItems=request)
                found += answer.get("Responses", {}).get(self._table, [])
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(min(0.02 * 2**attempt, 0.5))
            else:
                raise Throttled("the database is busy; retry shortly")
        session: SessionState | None = None
        state = EngagementState()
        agents: list[AgentProfile] = []
        routing = RoutingStats()
        for item in found:
            plain = dynamo.from_item(item)
            sort_key: str = plain["SK"]
            if sort_key.startswith(keys.SESSION_PREFIX):
                session = session_from_item(plain)
            elif sort_key == keys.ENGAGEMENT_STATE:
                state = EngagementState.model_validate(plain)
            elif sort_key == keys.ROUTING_STATS:
                routing = routing_stats_from_item(plain)
            elif (agent := _agent(plain)) is not None:
                agents.append(agent)
        return Snapshot(session, state, sorted(agents, key=lambda a: a.agent_id), routing)

    def record(self, decision: Decision, offer: Offer | None, state: EngagementState | None) -> None:
        now = _epoch(decision.at)
        with dynamo.translated():
            if offer is None and state is None:
                self._db.put_item(TableName=self._table, Item=dynamo.to_item(decision_item(decision)))
                return
            actions: list[dict[str, Any]] = [
                {"Put": {"TableName": self._table, "Item": dynamo.to_item(decision_item(decision))}}
            ]
            if offer is not None:
                actions.append(
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": dynamo.to_item(offer_item(offer)),
                            "ConditionExpression": "attribute_not_exists(PK)",
                        }
                    }
                )
            if state is not None:
                actions.append({"Put": self._state_put(decision, state, now)})
            self._db.transact_write_items(TransactItems=actions)

    def _state_put(self, decision: Decision, state: EngagementState, now: int) -> dict[str, Any]:
        put: dict[str, Any] = {
            "TableName": self._table,
            "Item": dynamo.to_item(state_item(decision.site_id, decision.visitor_id, state, now)),
        }
        if state.version <= 1:
            put["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            put["ConditionExpression"] = "version = :expected"
            put["ExpressionAttributeValues"] = {":expected": dynamo.to_value(state.version - 1)}
        return put

    def offer(self, site_id: str, offer_id: str) -> Offer | None:
        answer = self._db.get_item(
            TableName=self._table,
            Key=dynamo.to_item({"PK": keys.offer_pk(site_id, offer_id), "SK": keys.OFFER}),
            ConsistentRead=True,
        )
        item = answer.get("Item")
        return offer_from_item(dynamo.from_item(item)) if item else None

    def respond(self, offer: Offer, response: OfferResponse, at: datetime) -> None:
        actions: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": dynamo.to_item(
                        {"PK": keys.offer_pk(offer.site_id, offer.offer_id), "SK": keys.OFFER}
                    ),
                    "UpdateExpression": "SET #response = :response, responded_at = :at",
                    "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(#response)",
                    "ExpressionAttributeNames": {"#response": "response"},
                    "ExpressionAttributeValues": {
                        ":response": dynamo.to_value(response),
                        ":at": dynamo.to_value(at.isoformat()),
                    },
                }
            }
        ]
        if response == "rejected":
            # The cooldown's memory; the version moves so a decision racing this one re-reads.
            actions.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": dynamo.to_item(
                            {
                                "PK": keys.visitor_pk(offer.site_id, offer.visitor_id),
                                "SK": keys.ENGAGEMENT_STATE,
                            }
                        ),
                        "UpdateExpression": "SET rejected_at = :at, expires_at = :expires ADD version :one",
                        "ExpressionAttributeValues": {
                            ":at": dynamo.to_value(_epoch(at)),
                            ":expires": dynamo.to_value(_epoch(at) + STATE_TTL_SECONDS),
                            ":one": dynamo.to_value(1),
                        },
                    }
                }
            )
        with dynamo.translated():
            self._db.transact_write_items(TransactItems=actions)
