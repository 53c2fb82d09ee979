"""Fixtures shared by every test folder: the template's table in moto, the demo site, the stream
pump that plays Lambda's stream event source."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from klantreis.sites import Site
from klantreis_local import runtime


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
    from klantreis.sites import DynamoSiteStore

    site = DynamoSiteStore(dynamodb, table_name).get(runtime.DEMO_SITE)
    assert site is not None
    return site


@pytest.fixture
def stream(dynamodb: Any, table_name: str) -> runtime.StreamPump:
    return runtime.StreamPump(dynamodb, table_name)
