"""Engagement's records in DynamoDB (the port: klantreis.engagement.ports.EngagementRecords, and
the decision log): decisions and the engagement state in the visitor's partition
(SITE#{site}#V#{visitor}), so erasure covers them; an offer under its own id
(SITE#{site}#OFFER#{offer}) with GSI1PK = the visitor's partition key, so erasure finds it too. A warm
decision costs two round trips: one BatchGetItem (session, state, the site's agents) and one write (a
PutItem of the decision, or a TransactWriteItems of decision, offer and state). See
docs/decisions.md.

Apart from the model stores (klantreis.engagement.dynamo_store): the chat starter reads offers here,
and it must not load the propensity and uplift models to do so (a cold start of the route function)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from klantreis import dynamo, keys
from klantreis.agents.dynamo_store import agent_from_item
from klantreis.agents.ports import AgentProfile
from klantreis.engagement.records import (
    STATE_TTL_SECONDS,
    Decision,
    EngagementState,
    Offer,
    OfferResponse,
    Snapshot,
    decision_from_item,
    decision_item,
    epoch_seconds,
    offer_from_item,
    offer_item,
    state_item,
)
from klantreis.journey.session import SessionState
from klantreis.journey.session_item import session_from_item
from klantreis.routing.stats import RoutingStats, routing_stats_from_item

AGENT_IDS_TTL_SECONDS = 30.0
MAX_AGENTS = 97
"""BatchGetItem reads at most 100 keys: the session, the state, the routing statistics and this many
agents."""


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
        with dynamo.translated():
            # More than 100 keys (a site with many agents) take several requests.
            found = list(dynamo.batch_get(self._db, self._table, wanted, consistent=consistent, max_rounds=6))
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
        now = epoch_seconds(decision.at)
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
                            ":at": dynamo.to_value(epoch_seconds(at)),
                            ":expires": dynamo.to_value(epoch_seconds(at) + STATE_TTL_SECONDS),
                            ":one": dynamo.to_value(1),
                        },
                    }
                }
            )
        with dynamo.translated():
            self._db.transact_write_items(TransactItems=actions)
