"""Fixtures shared by every test folder: the template's table in moto, the demo site, the stream
pump that plays Lambda's stream event source; and hypothesis' profile for every property test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from klantreis.sites import Site
from klantreis_local import runtime

# Property tests draw the same examples on every run and machine (a failure reproduces; a green
# run means the same as the last one), and no deadline: two busy cores shared by parallel
# workers make any per-example time limit a flake, and speed is the benchmarks' business.
settings.register_profile(
    "klantreis",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("klantreis")


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    """A fresh in-process moto DynamoDB with the table built from template.yaml."""
    with runtime.local_dynamodb("klantreis-test") as client:
        yield client


@pytest.fixture
def table_name(dynamodb: Any) -> str:
    return "klantreis-test"


@pytest.fixture
def demo_site(dynamodb: Any, table_name: str) -> Site:
    runtime.seed_demo(dynamodb, table_name)
    from klantreis.sites.dynamo_store import DynamoSiteStore

    site = DynamoSiteStore(dynamodb, table_name).get(runtime.DEMO_SITE)
    assert site is not None
    return site


@pytest.fixture
def stream(dynamodb: Any, table_name: str) -> runtime.StreamPump:
    return runtime.StreamPump(dynamodb, table_name)
