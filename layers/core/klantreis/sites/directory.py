"""The short-lived in-memory directory of sites, over the klantreis.sites.ports.SiteStore port."""

from __future__ import annotations

import time
from collections.abc import Callable

from klantreis.cache import TtlCache
from klantreis.errors import NotFound
from klantreis.sites.models import Site
from klantreis.sites.ports import SiteStore


class SiteDirectory:
    """Caches key→site and id→site lookups for a short while: every widget request needs the one,
    every agent request the other, and a site's profile changes rarely (a revoked key or new
    origin takes effect within `ttl_seconds`)."""

    def __init__(
        self,
        store: SiteStore,
        ttl_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 1024,
    ) -> None:
        self._store = store
        self._by_key: TtlCache[Site | None] = TtlCache(ttl_seconds, max_entries=max_entries, clock=clock)
        self._by_id: TtlCache[Site | None] = TtlCache(ttl_seconds, max_entries=max_entries, clock=clock)

    def site_for_key(self, site_key: str) -> Site | None:
        return self._by_key.get(site_key, self._lookup)

    def site(self, site_id: str) -> Site | None:
        """The site of an agent's or operator's token (their claims name it)."""
        return self._by_id.get(site_id, self._store.get)

    def existing(self, site_id: str) -> Site:
        """The site an agent's or operator's claims name; NotFound when it is gone (a token that
        outlived its site's erasure)."""
        site = self.site(site_id)
        if site is None:
            raise NotFound("no such site")
        return site

    def _lookup(self, site_key: str) -> Site | None:
        site_id = self._store.site_id_for_key(site_key)
        return self._store.get(site_id) if site_id else None
