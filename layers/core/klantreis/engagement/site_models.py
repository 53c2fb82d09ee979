"""A site's own purchase-propensity model (retrained on its sessions with `make train`), kept in
the table as gzipped JSON under SITE#{site}/MODEL; the shipped default model serves every site
that has none. Cached per Lambda instance, so a warm decision reads nothing for it. The store's
port: klantreis.engagement.ports.SiteModelStore; its DynamoDB adapter: klantreis.engagement.dynamo_store."""

from __future__ import annotations

import time
from collections.abc import Callable

from klantreis.cache import TtlCache
from klantreis.engagement.model import PropensityModel
from klantreis.engagement.ports import SiteModelStore


class SiteModels:
    """ModelSource: the site's own model if it has one, else `default`; both cached for a while
    (a new model reaches running functions within `ttl_seconds`)."""

    def __init__(
        self,
        store: SiteModelStore,
        default: PropensityModel,
        ttl_seconds: float = 300.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._default = default
        self._cached: TtlCache[PropensityModel | None] = TtlCache(ttl_seconds, clock=clock)

    def for_site(self, site_id: str) -> PropensityModel:
        return self._cached.get(site_id, self._store.get) or self._default
