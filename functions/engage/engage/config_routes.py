"""Operator routes of the engage function: a site's opening hours and engagement rules (rules,
holdout share, frequency caps). Only an operator of the site in the path may read or change them.

The caller is checked first (`checked_first`: 401 without claims, 403 for an agent or another
site's operator); only then are the path and the body validated (422, 400 for bad JSON), so
another site's operator learns nothing about this site's settings from a validation answer.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path

from engage import dependencies
from klantreis.api import checked_first, current_principal, new_router
from klantreis.auth import Principal
from klantreis.engagement.config import EngagementConfig, OpeningHours
from klantreis.engagement.ports import EngagementSettingsStore
from klantreis.engagement.settings import EngagementSettings
from klantreis.errors import NotFound, PayloadTooLarge
from klantreis.keys import ID_PATTERN
from klantreis.observability import logger, metrics
from klantreis.sites import Site, SiteStore

router = new_router()

SitePath = Annotated[str, Path(pattern=ID_PATTERN, max_length=100, description="The site (web shop).")]
Sites = Annotated[SiteStore, Depends(dependencies.site_store)]
SettingsStore = Annotated[EngagementSettingsStore, Depends(dependencies.settings_store)]
CachedSettings = Annotated[EngagementSettings, Depends(dependencies.engagement_settings)]
TAGS = ["engagement settings"]
MAX_CONFIG_BYTES = 200_000
"""The largest engagement configuration (as JSON): far above any real one, and within what one
DynamoDB item (400 KB) holds."""


def _require_operator_of(site_id: str) -> Principal:
    return current_principal(router).require("operator").require_site(site_id)


OPERATOR_OF_SITE = checked_first(lambda path: _require_operator_of(path["site_id"]))


def _operators_site(sites: SiteStore, site_id: str) -> Site:
    """The site in the path, after checking that the caller is one of its operators."""
    _require_operator_of(site_id)
    site = sites.get(site_id)
    if site is None:
        raise NotFound(f"unknown site {site_id!r}")
    return site


def _changed(cached: EngagementSettings, site_id: str, what: str) -> None:
    # This instance's `decide` sees the change at once; other instances within the cache time.
    cached.forget(site_id)
    metrics.add_metric(name="EngagementSettingsChanged", unit="Count", value=1)
    logger.info("engagement settings changed", extra={"site_id": site_id, "setting": what})


@router.get(
    "/v1/sites/<site_id>/opening-hours",
    summary="The site's opening hours (operator)",
    description="The stored hours, or the web-shop default (weekdays 08-21, weekends 09-17, in the "
    "site's time zone) while none are stored.",
    tags=TAGS,
)
@OPERATOR_OF_SITE
def get_opening_hours(site_id: SitePath, sites: Sites, store: SettingsStore) -> OpeningHours:
    site = _operators_site(sites, site_id)
    stored = store.get_hours(site.site_id)
    return stored if stored is not None else OpeningHours.webshop_default(site.timezone)


@router.put(
    "/v1/sites/<site_id>/opening-hours",
    summary="Set the site's opening hours (operator)",
    description="Proactive chats are offered only while open. Weekly intervals in the given time "
    "zone (the site's when left out), `[start, end)` with `24:00` as the end of a day; a missing or "
    "empty day is closed; a dated exception replaces that day's hours (`[]`: closed).",
    tags=TAGS,
)
@OPERATOR_OF_SITE
def put_opening_hours(
    site_id: SitePath, hours: OpeningHours, sites: Sites, store: SettingsStore, cached: CachedSettings
) -> OpeningHours:
    site = _operators_site(sites, site_id)
    if "timezone" not in hours.model_fields_set:
        hours = hours.model_copy(update={"timezone": site.timezone})
    store.put_hours(site.site_id, hours)
    _changed(cached, site.site_id, "opening_hours")
    return hours


@router.get(
    "/v1/sites/<site_id>/engagement-rules",
    summary="The site's proactive-chat rules, holdout share and frequency caps (operator)",
    description="The stored configuration, or the web-shop default while none is stored.",
    tags=TAGS,
)
@OPERATOR_OF_SITE
def get_engagement_rules(site_id: SitePath, sites: Sites, store: SettingsStore) -> EngagementConfig:
    site = _operators_site(sites, site_id)
    stored = store.get_config(site.site_id)
    return stored if stored is not None else EngagementConfig.webshop_default()


@router.put(
    "/v1/sites/<site_id>/engagement-rules",
    summary="Replace the site's proactive-chat rules, holdout share and frequency caps (operator)",
    description="Among the enabled rules whose triggers all hold, the highest `priority` wins, the "
    "earlier in `rules` on a tie. A session that has bought matches no rule.",
    responses={
        200: {"description": "the configuration as stored"},
        413: {"description": f"more than {MAX_CONFIG_BYTES} bytes as JSON (code payload_too_large)"},
    },
    tags=TAGS,
)
@OPERATOR_OF_SITE
def put_engagement_rules(
    site_id: SitePath, config: EngagementConfig, sites: Sites, store: SettingsStore, cached: CachedSettings
) -> EngagementConfig:
    site = _operators_site(sites, site_id)
    if len(config.model_dump_json().encode()) > MAX_CONFIG_BYTES:
        raise PayloadTooLarge(f"the engagement configuration holds at most {MAX_CONFIG_BYTES} bytes")
    store.put_config(site.site_id, config)
    _changed(cached, site.site_id, "engagement_rules")
    return config
