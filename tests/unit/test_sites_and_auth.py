"""Sites (origins, page types, days, cached lookups) and who may call what."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from klantreis.auth import Principal, authenticate_widget, principal_from_claims
from klantreis.errors import Forbidden, NotFound, Unauthorized
from klantreis.sites import PageTypeRule, Site, SiteDirectory, normalize_origin
from tests.fakes import InMemorySiteStore

SITE = Site(site_id="demo", name="Demo", allowed_origins=["https://Shop.example/", "http://127.0.0.1:3000"])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://Shop.Example", "https://shop.example"),
        ("https://shop.example:443/", "https://shop.example"),
        ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
    ],
)
def test_origins_are_normalised(raw: str, expected: str) -> None:
    assert normalize_origin(raw) == expected


@pytest.mark.parametrize("raw", ["shop.example", "ftp://shop.example", "https://shop.example/path", "null"])
def test_non_origins_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="not an origin"):
        normalize_origin(raw)


def test_origin_check() -> None:
    assert SITE.allows_origin("https://shop.example")
    assert SITE.allows_origin(None)
    assert not SITE.allows_origin("https://evil.example")
    assert not SITE.allows_origin("null")


def test_page_types_by_first_matching_rule() -> None:
    site = Site(
        site_id="s",
        name="S",
        page_types=[
            PageTypeRule(pattern="/help/contact*", page_type="contact"),
            PageTypeRule(pattern="/help*", page_type="informational"),
        ],
    )
    assert site.page_type("https://s/help/contact?x=1") == "contact"
    assert site.page_type("https://s/help/") == "informational"
    assert site.page_type("https://s/laarzen") == "product_related"
    assert site.page_type(None) == "product_related"
    assert SITE.page_type("https://s/checkout/2") == "administrative"


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        Site(site_id="s", name="S", timezone="Mars/Olympus")


def test_local_day() -> None:
    assert SITE.local_day(datetime(2026, 6, 30, 22, 30, tzinfo=UTC)) == "2026-07-01"


def store_with(site: Site, site_key: str) -> InMemorySiteStore:
    store = InMemorySiteStore(site)
    store.add_key(site.site_id, site_key)
    return store


def test_directory_caches_lookups_for_a_while() -> None:
    store = store_with(SITE, "demo-site-key")
    now = [0.0]
    directory = SiteDirectory(store, ttl_seconds=60, clock=lambda: now[0])
    assert directory.site_for_key("demo-site-key") == SITE
    assert directory.site_for_key("demo-site-key") == SITE
    assert store.lookups == 2, "one key lookup and one site read, then nothing"
    store.revoke_key("demo-site-key")
    now[0] = 61
    assert directory.site_for_key("demo-site-key") is None


def test_directory_caches_sites_by_id_for_agents_requests() -> None:
    # given a directory over a store with the demo site
    store = store_with(SITE, "demo-site-key")
    now = [0.0]
    directory = SiteDirectory(store, ttl_seconds=60, clock=lambda: now[0])
    # when an agent's requests ask for their site again and again
    assert directory.site(SITE.site_id) == SITE
    assert directory.site(SITE.site_id) == SITE
    assert directory.site("unknown") is None
    # then the store was read once per site within the cache time
    assert store.lookups == 2
    now[0] = 61
    assert directory.site(SITE.site_id) == SITE
    assert store.lookups == 3


def test_a_site_the_claims_name_must_exist() -> None:
    directory = SiteDirectory(store_with(SITE, "demo-site-key"), 60)
    assert directory.existing(SITE.site_id) == SITE
    with pytest.raises(NotFound, match="no such site"):
        directory.existing("erased")


def test_directory_is_bounded() -> None:
    store = InMemorySiteStore()
    directory = SiteDirectory(store, ttl_seconds=60, max_entries=2, clock=lambda: 0.0)
    for key in ("a", "b", "c", "a"):
        directory.site_for_key(key)
    assert store.lookups == 4


def widget(headers: dict[str, str]) -> Site:
    directory = SiteDirectory(store_with(SITE, "demo-site-key"), 60)
    return authenticate_widget(directory, headers)


def test_widget_with_key_and_allowed_origin() -> None:
    assert widget({"x-site-key": "demo-site-key", "origin": "https://shop.example"}).site_id == "demo"


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({}, Unauthorized),
        ({"X-Site-Key": "nope"}, Unauthorized),
        ({"X-Site-Key": "k" * 500}, Unauthorized),
        ({"X-Site-Key": "demo-site-key", "Origin": "https://evil.example"}, Forbidden),
    ],
)
def test_widget_refusals(headers: dict[str, str], error: type[Exception]) -> None:
    with pytest.raises(error):
        widget(headers)


def test_claims_from_cognito_with_or_without_custom_prefix() -> None:
    direct = principal_from_claims({"sub": "mirjam", "site_id": "demo", "role": "agent"})
    custom = principal_from_claims({"sub": "mirjam", "custom:site_id": "demo", "custom:role": "agent"})
    assert direct == custom == Principal(sub="mirjam", site_id="demo", role="agent")


@pytest.mark.parametrize(
    "claims",
    [
        None,
        {},
        {"sub": "x", "site_id": "demo"},
        {"sub": "x", "site_id": "demo", "role": "admin"},
        {"sub": "x", "site_id": "a#b", "role": "agent"},
    ],
)
def test_incomplete_claims_are_unauthorized(claims: dict[str, str] | None) -> None:
    with pytest.raises(Unauthorized):
        principal_from_claims(claims)


def test_roles_and_sites_are_enforced() -> None:
    agent = Principal(sub="mirjam", site_id="demo", role="agent")
    assert agent.require("agent", "operator") is agent
    with pytest.raises(Forbidden):
        agent.require("operator")
    with pytest.raises(Forbidden):
        agent.require_site("other")
