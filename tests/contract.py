"""Contract tests run one set of behaviour checks against a port's DynamoDB adapter (on the moto
table built from template.yaml) and its in-memory fake (tests/fakes/), so the fake cannot drift
from what the adapter does. `both(adapter, fake)` is the parametrised fixture such a module uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

Adapter = Callable[[Any, str], Any]
"""Builds the DynamoDB adapter from the client and the table's name."""


def both(adapter: Adapter, fake: Callable[[], Any]) -> Any:
    """A fixture giving the adapter, then the fake: every test that takes it runs twice."""

    @pytest.fixture(params=["dynamodb", "fake"])
    def store(request: pytest.FixtureRequest) -> Any:
        if request.param == "fake":
            return fake()
        return adapter(request.getfixturevalue("dynamodb"), request.getfixturevalue("table_name"))

    return store
