"""The cached reader `decide` uses: web-shop defaults for a site without settings, one store read
per site per TTL, and changes seen once the TTL has passed (or at once after `forget`)."""

from __future__ import annotations

import pytest

from klantreis.engagement.config import EngagementConfig, OpeningHours
from klantreis.engagement.settings import EngagementSettings
from klantreis.sites import Site
from tests.fakes import InMemoryEngagementSettingsStore

LISBON = Site(site_id="lisbon", name="Loja", timezone="Europe/Lisbon")
DEMO = Site(site_id="demo", name="Demo")


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store() -> InMemoryEngagementSettingsStore:
    return InMemoryEngagementSettingsStore()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(store: InMemoryEngagementSettingsStore, clock: FakeClock) -> EngagementSettings:
    return EngagementSettings(store, ttl_seconds=60, clock=clock)


def test_a_site_without_settings_gets_the_webshop_defaults(settings: EngagementSettings) -> None:
    assert settings.config("lisbon") == EngagementConfig.webshop_default()
    assert settings.hours(LISBON) == OpeningHours.webshop_default("Europe/Lisbon")
    assert settings.hours(LISBON).timezone == "Europe/Lisbon"


def test_stored_settings_win_over_the_defaults(
    store: InMemoryEngagementSettingsStore, settings: EngagementSettings
) -> None:
    custom = EngagementConfig(rules=[], holdout_share=0.25)
    store.put_config("demo", custom)
    store.put_hours("demo", OpeningHours.always_open())
    assert settings.config("demo") == custom
    assert settings.hours(DEMO) == OpeningHours.always_open()


def test_reads_within_the_ttl_cost_one_store_read_per_site_and_setting(
    store: InMemoryEngagementSettingsStore, settings: EngagementSettings, clock: FakeClock
) -> None:
    for _ in range(5):
        settings.config("demo")
        settings.hours(DEMO)
        clock.now += 11
    assert store.reads == 2
    settings.config("lisbon")
    assert store.reads == 3


def test_a_missing_setting_is_cached_too(
    store: InMemoryEngagementSettingsStore, settings: EngagementSettings, clock: FakeClock
) -> None:
    # a site without settings is the common case; it must not cost a read per request
    settings.config("demo")
    clock.now += 30
    settings.config("demo")
    assert store.reads == 1


def test_a_change_is_seen_once_the_ttl_has_passed(
    store: InMemoryEngagementSettingsStore, settings: EngagementSettings, clock: FakeClock
) -> None:
    # given the defaults cached
    assert settings.config("demo").holdout_share == 0.10
    # when the settings change in the store
    store.put_config("demo", EngagementConfig(holdout_share=0.3))
    store.put_hours("demo", OpeningHours.always_open())
    # then the old ones are answered until the TTL has passed, the new ones after
    clock.now += 59.9
    assert settings.config("demo").holdout_share == 0.10
    clock.now += 0.1
    assert settings.config("demo").holdout_share == 0.3
    assert settings.hours(DEMO) == OpeningHours.always_open()


def test_forget_drops_one_sites_cached_settings(
    store: InMemoryEngagementSettingsStore, settings: EngagementSettings
) -> None:
    settings.config("demo")
    settings.hours(DEMO)
    settings.config("lisbon")
    store.put_config("demo", EngagementConfig(holdout_share=0.2))
    settings.forget("demo")
    assert settings.config("demo").holdout_share == 0.2
    reads = store.reads
    settings.config("lisbon")
    assert store.reads == reads


def test_a_zero_ttl_reads_every_time(store: InMemoryEngagementSettingsStore, clock: FakeClock) -> None:
    settings = EngagementSettings(store, ttl_seconds=0, clock=clock)
    settings.config("demo")
    settings.config("demo")
    assert store.reads == 2


def test_the_cache_holds_at_most_max_entries_sites(
    store: InMemoryEngagementSettingsStore, clock: FakeClock
) -> None:
    settings = EngagementSettings(store, ttl_seconds=60, clock=clock, max_entries=2)
    for site_id in ("a", "b", "c"):
        settings.config(site_id)
    assert store.reads == 3
    settings.config("c")
    settings.config("b")
    assert store.reads == 3  # the two most recent are kept
    settings.config("a")
    assert store.reads == 4  # the oldest was dropped
