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
    reports_bucket: str | None = Field(None, alias="REPORTS_BUCKET")
    """The S3 bucket the nightly report job writes CSV and HTML to (unset locally: skipped)."""
    alert_topic_arn: str | None = Field(None, alias="ALERT_TOPIC_ARN")
    """The SNS topic of report alerts (unset locally: alerts are only logged)."""
    alert_webhook_secret_arn: str | None = Field(None, alias="ALERT_WEBHOOK_SECRET_ARN")
    """The Secrets Manager secret (`{"url": ...}`) of the alert webhook (deployed stacks)."""
    alert_webhook_url: str | None = Field(None, alias="ALERT_WEBHOOK_URL", repr=False)
    """A Slack-compatible incoming webhook that receives report alerts too, named directly (the
    local stack and tests), used when no secret is named."""
    csat_drop_points: float = Field(10.0, alias="CSAT_DROP_POINTS", gt=0, le=100)
    """Alert when today's CSAT is this many percentage points below the trailing 7 days'."""
    alert_min_surveys: int = Field(5, alias="ALERT_MIN_SURVEYS", ge=1, le=10_000)
    """Fewer CSAT answers today than this never raise a CSAT alert."""
    service_level_target: float = Field(0.8, alias="SERVICE_LEVEL_TARGET", gt=0, le=1)
    """The share of chats that should be answered within `service_level_seconds`."""
    service_level_seconds: float = Field(30.0, alias="SERVICE_LEVEL_SECONDS", gt=0, le=3600)

    @field_validator(
        "reports_bucket", "alert_topic_arn", "alert_webhook_secret_arn", "alert_webhook_url", mode="before"
    )
    @classmethod
    def _empty_report_option_is_unset(cls, value: object) -> object:
        """The template passes "" for an alert channel left out."""
        return None if value == "" else value

    @field_validator("token_secret_arn", "token_key", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """A template that passes "" for an unused option means unset, not an invalid value."""
        return None if value == "" else value


@cache
def get_settings() -> Settings:
    """The settings of this process; tests call `get_settings.cache_clear()` after changing env."""
    return Settings.model_validate(dict(os.environ))
