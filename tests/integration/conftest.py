"""Fixtures of the integration tests beyond tests/conftest.py's."""

from __future__ import annotations

import pytest

from engage import dependencies as engage_dependencies
from engage.handler import app as engage_app
from klantreis import services
from klantreis.engagement.decide import Decider
from klantreis.engagement.model import default_model
from klantreis.sites import Site
from tests.factories import NOON, SetClock
from track import dependencies as track_dependencies
from track.handler import app as track_app


@pytest.fixture
def noon_clock(monkeypatch: pytest.MonkeyPatch, demo_site: Site) -> SetClock:
    """One clock for the track function and the decider, at NOON until the test moves it: its
    batches and decisions then fall on one local day whenever it runs (at local midnight, a
    journey sent at once would span two days)."""
    clock = SetClock(NOON)
    built = services.current()
    decider = Decider(
        built.engagement_records,
        built.engagement_settings,
        default_model(),
        built.page_stats,
        models=built.site_models,
        uplift=built.uplift_models,
        clock=clock,
    )
    monkeypatch.setitem(track_app.dependency_overrides, track_dependencies.now, clock)
    monkeypatch.setitem(engage_app.dependency_overrides, engage_dependencies.decider, lambda: decider)
    return clock
