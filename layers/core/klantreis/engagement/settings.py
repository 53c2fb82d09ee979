"""A site's engagement settings (rules, holdout, caps; opening hours) as `decide` reads them:
through a short-lived cache over the klantreis.engagement.ports.EngagementSettingsStore port (its
DynamoDB adapter: klantreis.engagement.settings_dynamo_store)."""

from __future__ import annotations

import time
from collections.abc import Callable

from klantreis.cache import TtlCache
from klantreis.engagement.config import EngagementConfig, OpeningHours
from klantreis.engagement.ports import EngagementSettingsStore
from klantreis.sites import Site


class EngagementSettings:
    """A site's settings as `decide` needs them on every request, cached for `ttl_seconds` per
    site (a change reaches other Lambda instances within that time). A site without stored
    settings gets the web-shop defaults: `EngagementConfig.webshop_default()` and
    `OpeningHours.webshop_default` in the site's time zone."""

    def __init__(
        self,
        store: EngagementSettingsStore,
        ttl_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 1024,
    ) -> None:
        self._store = store
        self._configs: TtlCache[EngagementConfig | None] = TtlCache(
            ttl_seconds, max_entries=max_entries, clock=clock
        )
        self._hours: TtlCache[OpeningHours | None] = TtlCache(
            ttl_seconds, max_entries=max_entries, clock=clock
        )

    def config(self, site_id: str) -> EngagementConfig:
        stored = self._configs.get(site_id, self._store.get_config)
        return stored if stored is not None else EngagementConfig.webshop_default()

    def hours(self, site: Site) -> OpeningHours:
        stored = self._hours.get(site.site_id, self._store.get_hours)
        return stored if stored is not None else OpeningHours.webshop_default(site.timezone)

    def forget(self, site_id: str) -> None:
        """Drops the site's cached settings (after this instance changed them)."""
        self._configs.forget(site_id)
        self._hours.forget(site_id)
