"""The agents' DynamoDB adapter (the port: klantreis.agents.ports). One item per agent
(SITE#{site} / AGENT#{agent}) holds profile and live state, so an assignment is one conditional
update of that item."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from klantreis import dynamo, keys
from klantreis.agents.ports import PROFILE_FIELDS, AgentProfile, AgentProfileInput, AgentStatus
from klantreis.errors import NotFound


def stamp(moment: datetime) -> str:
    """Times on agent items, in one fixed-width UTC form so conditions can compare them as strings."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def agent_from_item(plain: dict[str, Any]) -> AgentProfile:
    return AgentProfile.model_validate({k: v for k, v in plain.items() if k not in ("PK", "SK")})


def agent_key(site_id: str, agent_id: str) -> dict[str, Any]:
    return dynamo.to_item({"PK": keys.site_pk(site_id), "SK": keys.agent_sk(agent_id)})


class DynamoAgentStore:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def put(self, agent: AgentProfile) -> None:
        """Writes a whole agent item (the local seed and tests); operators use `put_profile`."""
        plain = agent.model_dump(mode="json", exclude_none=True, exclude={"chat_ids"})
        for name in ("last_seen_at", "last_assigned_at", "status_changed_at"):
            moment = getattr(agent, name)
            if moment is not None:
                plain[name] = stamp(moment)
        item = {"PK": keys.site_pk(agent.site_id), "SK": keys.agent_sk(agent.agent_id), **plain}
        if agent.chat_ids:
            item["chat_ids"] = set(agent.chat_ids)
        self._db.put_item(TableName=self._table, Item=dynamo.to_item(item))

    def put_profile(
        self, site_id: str, agent_id: str, profile: AgentProfileInput
    ) -> tuple[AgentProfile, bool]:
        """Sets the operator's part of an agent, keeping the live state; (agent, created)."""
        values = profile.model_dump(mode="json")
        names = {f"#{name}": name for name in PROFILE_FIELDS}
        sets = ", ".join(f"#{name} = :{name}" for name in PROFILE_FIELDS)
        with dynamo.translated():
            answer = self._db.update_item(
                TableName=self._table,
                Key=agent_key(site_id, agent_id),
                UpdateExpression=f"SET {sets}, site_id = :site, agent_id = :agent, "
                "#status = if_not_exists(#status, :offline), "
                "active_chats = if_not_exists(active_chats, :zero)",
                ExpressionAttributeNames={**names, "#status": "status"},
                ExpressionAttributeValues={
                    **{f":{name}": dynamo.to_value(values[name]) for name in PROFILE_FIELDS},
                    ":site": dynamo.to_value(site_id),
                    ":agent": dynamo.to_value(agent_id),
                    ":offline": dynamo.to_value("offline"),
                    ":zero": dynamo.to_value(0),
                },
                ReturnValues="ALL_OLD",
            )
        created = not answer.get("Attributes")
        stored = self.get(site_id, agent_id)
        if stored is None:  # pragma: no cover - written just above with a consistent read after
            raise NotFound("no such agent")
        return stored, created

    def get(self, site_id: str, agent_id: str) -> AgentProfile | None:
        answer = self._db.get_item(
            TableName=self._table, Key=agent_key(site_id, agent_id), ConsistentRead=True
        )
        item = answer.get("Item")
        return agent_from_item(dynamo.from_item(item)) if item else None

    def list(self, site_id: str) -> list[AgentProfile]:
        items = dynamo.query_prefix(
            self._db,
            self._table,
            keys.site_pk(site_id),
            keys.AGENT_PREFIX,
            ConsistentRead=True,
        )
        agents = []
        for item in items:
            try:
                agents.append(agent_from_item(dynamo.from_item(item)))
            except ValidationError:
                continue  # a malformed item is no agent; the operator's next PUT repairs it
        return sorted(agents, key=lambda a: a.agent_id)

    def set_status(self, site_id: str, agent_id: str, status: AgentStatus, now: datetime) -> AgentProfile:
        """NotFound for an unknown agent."""
        return self._update_existing(
            site_id,
            agent_id,
            "SET #status = :status, last_seen_at = :now, status_changed_at = :now",
            {"#status": "status"},
            {":status": status, ":now": stamp(now)},
        )

    def heartbeat(self, site_id: str, agent_id: str, now: datetime) -> AgentProfile:
        return self._update_existing(site_id, agent_id, "SET last_seen_at = :now", {}, {":now": stamp(now)})

    def mark_offline_if_silent(
        self, site_id: str, agent_id: str, seen_before: datetime, now: datetime
    ) -> bool:
        """Sets a silent agent offline unless a heartbeat arrived meanwhile; True if it did."""
        answer = dynamo.conditional(
            self._db.update_item,
            TableName=self._table,
            Key=agent_key(site_id, agent_id),
            UpdateExpression="SET #status = :offline, status_changed_at = :now",
            ConditionExpression="attribute_exists(PK) AND (attribute_not_exists(last_seen_at) "
            "OR last_seen_at < :before)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=dynamo.to_item(
                {":offline": "offline", ":now": stamp(now), ":before": stamp(seen_before)}
            ),
        )
        return answer is not None

    def _update_existing(
        self, site_id: str, agent_id: str, expression: str, names: dict[str, str], values: dict[str, Any]
    ) -> AgentProfile:
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": agent_key(site_id, agent_id),
            "UpdateExpression": expression,
            "ConditionExpression": "attribute_exists(PK)",
            "ExpressionAttributeValues": dynamo.to_item(values),
            "ReturnValues": "ALL_NEW",
        }
        if names:
            request["ExpressionAttributeNames"] = names
        with dynamo.translated(on_conflict=lambda: NotFound("no such agent")):
            answer = self._db.update_item(**request)
        return agent_from_item(dynamo.from_item(answer["Attributes"]))
