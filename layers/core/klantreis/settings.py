"""The function environment as one validated settings model, read once on first use."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Settings(BaseModel):
    """Everything a function reads from its environment (set by template.yaml's Globals)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    table_name: str = Field(alias="TABLE_NAME", min_length=3)
    stage: str = Field("dev", alias="STAGE")
    cors_allow_origin: str = Field("*", alias="CORS_ALLOW_ORIGIN")
    journey_retention_days: int = Field(30, alias="JOURNEY_RETENTION_DAYS", ge=1, le=3650)
    max_batch_events: int = Field(100, alias="MAX_BATCH_EVENTS", ge=1, le=1000)
    max_batch_bytes: int = Field(512_000, alias="MAX_BATCH_BYTES", ge=1024, le=6_000_000)
    max_event_bytes: int = Field(32_768, alias="MAX_EVENT_BYTES", ge=256, le=400_000)
    site_cache_seconds: float = Field(60.0, alias="SITE_CACHE_SECONDS", ge=0, le=3600)
    user_pool_id: str | None = Field(None, alias="USER_POOL_ID")
    user_pool_client_id: str | None = Field(None, alias="USER_POOL_CLIENT_ID")
    agent_heartbeat_seconds: float = Field(120.0, alias="AGENT_HEARTBEAT_SECONDS", ge=10, le=3600)
    """An agent silent this long counts as offline."""
    token_secret_arn: str | None = Field(None, alias="TOKEN_SECRET_ARN")
    """The Secrets Manager secret holding the chat/survey token keys (deployed stacks)."""
    token_key: str | None = Field(None, alias="TOKEN_KEY", min_length=16, repr=False)
    """A fixed token key for the local stack and tests, used when no secret is named."""

    @field_validator("token_secret_arn", "token_key", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """A template that passes "" for an unused option means unset, not an invalid value."""
        return None if value == "" else value


@cache
def get_settings() -> Settings:
    """The settings of this process; tests call `get_settings.cache_clear()` after changing env."""
    return Settings.model_validate(dict(os.environ))
