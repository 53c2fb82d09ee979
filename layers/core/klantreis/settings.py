"""The function environment as one validated settings model, read once on first use."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, ConfigDict, Field


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


@cache
def get_settings() -> Settings:
    """The settings of this process; tests call `get_settings.cache_clear()` after changing env."""
    return Settings.model_validate(dict(os.environ))
