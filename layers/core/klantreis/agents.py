"""Agent profiles (the part the local stack seeds; routing builds on it)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from klantreis import dynamo, keys

AgentStatus = Literal["available", "away", "offline"]
Label = Annotated[str, StringConstraints(min_length=1, max_length=60)]


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
    last_seen_at: datetime | None = None
    """When the agent's console last reported in (routing maintains it)."""

    def can_take(self, category: str | None) -> bool:
        """Available, free capacity, and the category among theirs (any category when None)."""
        return (
            self.status == "available"
            and self.active_chats < self.max_chats
            and (category is None or category in self.categories)
        )


class DynamoAgentStore:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def put(self, agent: AgentProfile) -> None:
        self._db.put_item(
            TableName=self._table,
            Item=dynamo.to_item(
                {
                    "PK": keys.site_pk(agent.site_id),
                    "SK": keys.agent_sk(agent.agent_id),
                    **agent.model_dump(mode="json"),
                }
            ),
        )

    def get(self, site_id: str, agent_id: str) -> AgentProfile | None:
        answer = self._db.get_item(
            TableName=self._table,
            Key=dynamo.to_item({"PK": keys.site_pk(site_id), "SK": keys.agent_sk(agent_id)}),
        )
        item = answer.get("Item")
        if not item:
            return None
        plain = dynamo.from_item(item)
        return AgentProfile.model_validate({k: v for k, v in plain.items() if k not in ("PK", "SK")})
