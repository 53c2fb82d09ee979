"""The agent's profile and live state, and what routing needs of their storage (`AgentStore`;
the DynamoDB adapter is klantreis.agents.dynamo_store)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

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
        return eligibility.may_serve(**self._standing(category, now, heartbeat_seconds, skills))

    def can_take(
        self,
        category: str | None,
        now: datetime,
        heartbeat_seconds: float = DEFAULT_HEARTBEAT_SECONDS,
        skills: Iterable[str] = (),
    ) -> bool:
        """Available and present, with free capacity, serving the category and skills."""
        standing = self._standing(category, now, heartbeat_seconds, skills)
        return eligibility.may_take(**standing, free_slots=self.free_slots)

    def _standing(
        self, category: str | None, now: datetime, heartbeat_seconds: float, skills: Iterable[str]
    ) -> dict[str, bool]:
        """What the eligibility rule asks of this agent, besides the free slots."""
        return {
            "available": self.status == "available",
            "present": self.is_present(now, heartbeat_seconds),
            "serving": self.serves(category, skills),
        }

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


class AgentStore(Protocol):
    """What chat placement and the sweep need of the agents' storage."""

    def get(self, site_id: str, agent_id: str) -> AgentProfile | None: ...
    def list(self, site_id: str) -> list[AgentProfile]: ...
    def set_status(self, site_id: str, agent_id: str, status: AgentStatus, now: datetime) -> AgentProfile: ...
    def heartbeat(self, site_id: str, agent_id: str, now: datetime) -> AgentProfile: ...
    def mark_offline_if_silent(
        self, site_id: str, agent_id: str, seen_before: datetime, now: datetime
    ) -> bool: ...
