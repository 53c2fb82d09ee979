"""The site store's contract (klantreis.sites.ports.SiteStore), run against the DynamoDB adapter and
the in-memory fake alike (tests/contract.py)."""

from __future__ import annotations

import pytest

from klantreis.sites import Site, SiteStore
from klantreis.sites.dynamo_store import DynamoSiteStore
from tests.contract import both
from tests.fakes.sites import InMemorySiteStore

store = both(DynamoSiteStore, InMemorySiteStore)

SITE = Site(site_id="demo", name="Demo", allowed_origins=["https://demo.example"])


def test_a_site_reads_back_as_it_was_put_and_a_put_replaces(store: SiteStore) -> None:
    assert store.get("demo") is None
    store.put(SITE)
    assert store.get("demo") == SITE
    renamed = SITE.model_copy(update={"name": "Demo schoenen"})
    store.put(renamed)
    assert store.get("demo") == renamed


def test_a_key_names_its_site_until_it_is_revoked(store: SiteStore) -> None:
    store.put(SITE)
    store.add_key("demo", "demo-site-key")
    assert store.site_id_for_key("demo-site-key") == "demo"
    assert store.site_id_for_key("another-key") is None
    assert store.revoke_key("demo-site-key") is True
    assert store.revoke_key("demo-site-key") is False
    assert store.site_id_for_key("demo-site-key") is None


def test_a_short_key_is_refused(store: SiteStore) -> None:
    with pytest.raises(ValueError, match="at least 8"):
        store.add_key("demo", "short")
    assert store.site_id_for_key("short") is None
