"""The per-instance memo behind the site, settings, model and page-statistics caches."""

from __future__ import annotations

import pytest

from klantreis.cache import TtlCache


class Loader:
    def __init__(self) -> None:
        self.calls = 0
        self.failing = False

    def __call__(self, key: str) -> str | None:
        self.calls += 1
        if self.failing:
            raise ConnectionError("store unavailable")
        return None if key == "missing" else f"{key}-{self.calls}"


def test_fresh_values_and_misses_are_served_from_memory() -> None:
    now = [0.0]
    load = Loader()
    cache: TtlCache[str | None] = TtlCache(60, clock=lambda: now[0])
    assert cache.get("a", load) == cache.get("a", load) == "a-1"
    assert cache.get("missing", load) is cache.get("missing", load) is None
    assert load.calls == 2
    now[0] = 60
    assert cache.get("a", load) == "a-3"


def test_an_expired_value_serves_again_only_for_the_named_errors() -> None:
    now = [0.0]
    load = Loader()
    cache: TtlCache[str | None] = TtlCache(60, clock=lambda: now[0])
    cache.get("a", load)
    load.failing, now[0] = True, 61
    assert cache.get("a", load, stale_on=(ConnectionError,)) == "a-1"
    with pytest.raises(ConnectionError):
        cache.get("b", load, stale_on=(ConnectionError,))
    with pytest.raises(ConnectionError):
        TtlCache[str | None](60).get("a", load)


def test_the_least_recently_used_key_goes_first_and_forget_drops_one() -> None:
    load = Loader()
    cache: TtlCache[str | None] = TtlCache(60, max_entries=2, clock=lambda: 0.0)
    for key in ("a", "b", "a", "c"):
        cache.get(key, load)
    cache.get("a", load)
    assert load.calls == 3
    cache.get("b", load)
    cache.forget("a")
    cache.get("a", load)
    assert load.calls == 5
