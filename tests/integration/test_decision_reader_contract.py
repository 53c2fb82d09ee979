"""The chat context's decision reader (klantreis.conversations.context.DecisionReader), run against
the DynamoDB adapter and the in-memory fake alike: both look at the visitor's `limit` newest
decisions only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from klantreis import dynamo
from klantreis.conversations.decisions_dynamo_store import DynamoDecisionReader
from klantreis.conversations.ports import DecisionReader
from klantreis.engagement.records import Decision, decision_item
from tests.fakes.decisions import InMemoryDecisionReader

AT = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
LIMIT = 3
Record = Callable[[Decision], None]


@pytest.fixture(params=["dynamodb", "fake"])
def reader(request: pytest.FixtureRequest) -> tuple[DecisionReader, Record]:
    """The reader with a limit of LIMIT, and how a test records a decision where it reads."""
    if request.param == "fake":
        fake = InMemoryDecisionReader(limit=LIMIT)
        return fake, fake.decisions.append
    dynamodb: Any = request.getfixturevalue("dynamodb")
    table: str = request.getfixturevalue("table_name")

    def put(decision: Decision) -> None:
        dynamodb.put_item(TableName=table, Item=dynamo.to_item(decision_item(decision)))

    return DynamoDecisionReader(dynamodb, table, limit=LIMIT), put


def decision(decision_id: str, minutes: int, session_id: str = "s-1", visitor_id: str = "anna") -> Decision:
    return Decision(
        site_id="demo", visitor_id=visitor_id, session_id=session_id, decision_id=decision_id,
        at=AT + timedelta(minutes=minutes), day="2026-12-04", reason="not_qualified", score=0.1 * minutes,
    )  # fmt: skip


def test_the_newest_decision_of_the_session_is_read(reader: tuple[DecisionReader, Record]) -> None:
    store, record = reader
    for made in (decision("d-1", 1), decision("d-2", 2), decision("d-3", 3, session_id="s-2")):
        record(made)
    record(decision("d-9", 9, visitor_id="bram"))
    assert store.latest_decision("demo", "anna", "s-1") == decision("d-2", 2)
    assert store.latest_decision("demo", "anna", "s-2") == decision("d-3", 3, session_id="s-2")
    assert store.latest_decision("demo", "anna", "s-3") is None
    assert store.latest_decision("demo", "carla", "s-1") is None


def test_only_the_visitors_newest_decisions_are_looked_at(reader: tuple[DecisionReader, Record]) -> None:
    # given a session's decision followed by LIMIT decisions of a later session
    store, record = reader
    record(decision("d-0", 0))
    for minutes in range(1, LIMIT + 1):
        record(decision(f"d-{minutes}", minutes, session_id="s-2"))
    # then the earlier session's decision is beyond what the reader looks at
    assert store.latest_decision("demo", "anna", "s-1") is None
    assert store.latest_decision("demo", "anna", "s-2") == decision(f"d-{LIMIT}", LIMIT, session_id="s-2")
