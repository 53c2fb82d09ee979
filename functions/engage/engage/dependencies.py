"""The services this function uses, built once per Lambda instance on first use."""

from __future__ import annotations

from functools import cache

from klantreis import dynamo
from klantreis.engagement.decide import Decider
from klantreis.engagement.features import PageStatsSource
from klantreis.engagement.model import default_model
from klantreis.engagement.pagestats import DynamoPageStatsSource
from klantreis.engagement.records import DynamoDecisionLog, DynamoEngagementRecords, EngagementRecords
from klantreis.engagement.site_models import DynamoSiteModelStore, SiteModels
from klantreis.engagement.store import (
    DynamoEngagementSettingsStore,
    EngagementSettings,
    EngagementSettingsStore,
)
from klantreis.engagement.uplift import DynamoUpliftModelStore, SiteUpliftModels
from klantreis.settings import get_settings
from klantreis.sites import DynamoSiteStore, SiteDirectory, SiteStore


@cache
def site_store() -> SiteStore:
    return DynamoSiteStore(dynamo.client(), get_settings().table_name)


@cache
def settings_store() -> EngagementSettingsStore:
    return DynamoEngagementSettingsStore(dynamo.client(), get_settings().table_name)


@cache
def engagement_settings() -> EngagementSettings:
    """Rules and opening hours as `decide` reads them: cached as long as site profiles are."""
    return EngagementSettings(settings_store(), get_settings().site_cache_seconds)


@cache
def site_directory() -> SiteDirectory:
    """Widget site keys to sites (the widget routes authenticate through it)."""
    return SiteDirectory(site_store(), get_settings().site_cache_seconds)


@cache
def engagement_records() -> EngagementRecords:
    return DynamoEngagementRecords(dynamo.client(), get_settings().table_name)


@cache
def decision_log() -> DynamoDecisionLog:
    return DynamoDecisionLog(dynamo.client(), get_settings().table_name)


@cache
def page_stats() -> PageStatsSource:
    """Bounce and exit rates and page values from the site's own history (cached per site)."""
    return DynamoPageStatsSource(dynamo.client(), get_settings().table_name)


@cache
def site_models() -> SiteModels:
    return SiteModels(DynamoSiteModelStore(dynamo.client(), get_settings().table_name), default_model())


@cache
def uplift_models() -> SiteUpliftModels:
    """The sites' uplift models (offers by expected gain); a site without one decides by rules."""
    return SiteUpliftModels(DynamoUpliftModelStore(dynamo.client(), get_settings().table_name))


@cache
def decider() -> Decider:
    return Decider(
        engagement_records(),
        engagement_settings(),
        default_model(),
        page_stats(),
        models=site_models(),
        uplift=uplift_models(),
        heartbeat_seconds=get_settings().agent_heartbeat_seconds,
    )


def reset() -> None:
    """Forgets every built service (tests that change the environment call this)."""
    factories = (site_store, settings_store, engagement_settings, site_directory, uplift_models)
    for factory in (*factories, engagement_records, page_stats, site_models, decider, decision_log):
        factory.cache_clear()
