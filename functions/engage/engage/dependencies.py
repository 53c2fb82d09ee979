"""The providers of the engage function's routes (`Depends(...)`; tests override them on the
app): each reads the instance's services (`klantreis.services`), built on first use."""

from __future__ import annotations

from klantreis import services
from klantreis.engagement.decide import Decider
from klantreis.engagement.ports import EngagementSettingsStore
from klantreis.engagement.records_dynamo_store import DynamoDecisionLog
from klantreis.engagement.settings import EngagementSettings
from klantreis.sites import SiteDirectory, SiteStore


def site_store() -> SiteStore:
    return services.current().site_store


def site_directory() -> SiteDirectory:
    """Widget site keys to sites (the widget routes authenticate through it)."""
    return services.current().site_directory


def settings_store() -> EngagementSettingsStore:
    return services.current().engagement_settings_store


def engagement_settings() -> EngagementSettings:
    return services.current().engagement_settings


def decision_log() -> DynamoDecisionLog:
    return services.current().decision_log


def decider() -> Decider:
    return services.current().decider
