"""klantreis.sites.ports.SiteStore in memory (held to the port's contract with the DynamoDB adapter:
tests/integration/test_site_store_contract.py)."""

from __future__ import annotations

from klantreis.sites import Site


class InMemorySiteStore:
    """klantreis.sites.SiteStore in memory."""

    def __init__(self, *sites: Site) -> None:
        self.sites: dict[str, Site] = {site.site_id: site for site in sites}
        self.keys: dict[str, str] = {}
        self.lookups = 0

    def get(self, site_id: str) -> Site | None:
        self.lookups += 1
        return self.sites.get(site_id)

    def site_id_for_key(self, site_key: str) -> str | None:
        self.lookups += 1
        return self.keys.get(site_key)

    def put(self, site: Site) -> None:
        self.sites[site.site_id] = site

    def add_key(self, site_id: str, site_key: str) -> None:
        if len(site_key) < 8:
            raise ValueError("a site key has at least 8 characters")
        self.keys[site_key] = site_id

    def revoke_key(self, site_key: str) -> bool:
        return self.keys.pop(site_key, None) is not None
