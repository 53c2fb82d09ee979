"""What sites need of storage; the DynamoDB adapter is klantreis.sites.dynamo_store, the test fake
tests/fakes/sites.py."""

from __future__ import annotations

from typing import Protocol

from klantreis.sites.models import Site


class SiteStore(Protocol):
    def get(self, site_id: str) -> Site | None: ...

    def site_id_for_key(self, site_key: str) -> str | None: ...

    def put(self, site: Site) -> None: ...

    def add_key(self, site_id: str, site_key: str) -> None: ...

    def revoke_key(self, site_key: str) -> bool: ...
