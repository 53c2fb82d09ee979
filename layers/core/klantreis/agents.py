"""Agents: the operator's profile of each agent, and the live state routing keeps on the same item
(status, heartbeat, the chats the agent is in).

One item per agent (SITE#{site} / AGENT#{agent}) holds both, so an assignment is one conditional
update of that item: `active_chats < max_chats` is checked and the count raised atomically, which
keeps capacity exact however many Lambda instances assign at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from klantreis import dynamo, keys
from klantreis.errors import NotFound
from klantreis.routing import eligibility
from klantreis.strict import STRICT_INPUT

AgentStatus = Literal["available", "away", "offline"]
Label = Annotated[str, StringConstraints(min_length=1, max_length=60)]
DEFAULT_HEARTBEAT_SECONDS = 120.0
PROFILE_FIELDS = (
    "display_name", "categories", "skills", "languages", "max_chats", "discount_mandate_percent",
)  # fmt: skip


class AgentProfileInput(BaseModel):
    """What an operator sets (`PUT /v1/agents/{agent_id}`); the live state is the agent's own."""

    model_config = ConfigDict(**STRICT_INPUT, extra="forbid")

    display_name: str = Field(min_length=1, max_length=100)
    categories: list[Label] = Field(default_factory=list, max_length=100)
    skills: list[Label] = Field(default_factory=list, max_length=100)
    languages: list[Label] = Field(default_factory=lambda: ["nl"], max_length=20)
    max_chats: int = Field(2, ge=1, le=20)
    discount_mandate_percent: float = Field(0, ge=0, le=100)

    @field_validator("categories", "skills", "languages")
    @classmethod
    def _distinct(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(values))


class AgentProfile(BaseModel):
    model_config = ConfigDict(frozen=True)

    site_id: str
    agent_id: str
    display_name: str = Field(min_length=1, max_length=100)
    categories: list[Label] = Field(default_factory=list, max_length=100)
    skills: list[Label] = Field(default_factory=list, max_length=100)
    languages: list[Label] = Field(default_factory=lambda: ["nl"], max_length=20)
    max_chats: int = Field(2, ge=1, le=20)
    discount_mandate_percent: float = Field(0, ge=0, le=100)
    status: AgentStatus = "offline"
    active_chats: int = Field(0, ge=0)
    """Chats the agent is in now (routing maintains it); free capacity is max_chats above it."""
    chat_ids: list[str] = Field(default_factory=list)
    """The chats counted in `active_chats` (a string set in the table)."""
    last_seen_at: datetime | None = None
    """When the agent's console last reported in (status change or heartbeat)."""
    last_assigned_at: datetime | None = None
    """When the agent last got a chat: routing's "longest idle" tie-break."""
    status_changed_at: datetime | None = None

    @field_validator("chat_ids", mode="before")
    @classmethod
    def _from_set(cls, value: Any) -> Any:
        return sorted(value) if isinstance(value, set | frozenset) else value

    def is_present(self, now: datetime, heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS) -> bool:
        """The console reported in within the heartbeat window; silent agents count as offline."""
        return (
            self.last_seen_at is not None and (now - self.last_seen_at).total_seconds() <= heartbeat_seconds
        )

    def effective_status(
        self, now: datetime, heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS
    ) -> AgentStatus:
        return self.status if self.is_present(now, heartbeat_seconds) else "offline"

    def serves(self, category: str | None, skills: Iterable[str] = ()) -> bool:
        """The category is one of the agent's (any when None) and every skill asked for is theirs."""
        return eligibility.serves(self.categories, self.skills, category, skills)

    @property
    def free_slots(self) -> int:
        return max(0, self.max_chats - self.active_chats)

    def serving(
        self,
        category: str | None,
        now: datetime,
        heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS,
        skills: Iterable[str] = (),
    ) -> bool:
        """Available and present for the category and skills, with or without a free slot: one
        whose slots a queued chat waits for."""
        return eligibility.may_serve(
            available=self.status == "available",
            present=self.is_present(now, heartbeat_seconds),
            serving=self.serves(category, skills),
        )

    def can_take(
        self,
        category: str | None,
        now: datetime,
        heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS,
        skills: Iterable[str] = (),
    ) -> bool:
        """Available and present, with free capacity, serving the category and skills."""
        return eligibility.may_take(
            available=self.status == "available",
            present=self.is_present(now, heartbeat_seconds),
            serving=self.serves(category, skills),
            free_slots=self.free_slots,
        )

    @property
    def idle_since(self) -> float:
        """Epoch seconds since the agent last got a chat or changed status (smaller: idle longer)."""
        moments = [m for m in (self.last_assigned_at, self.status_changed_at) if m is not None]
        return max(moments).timestamp() if moments else 0.0


def serving_slots(
    agents: Iterable[AgentProfile],
    category: str | None,
    now: datetime,
    heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS,
    skills: Iterable[str] = (),
) -> int:
    """The slots (full or free) of the agents serving the category: the expected wait's divisor."""
    wanted = list(skills)
    return sum(a.max_chats for a in agents if a.serving(category, now, heartbeat_seconds, wanted))


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
