"""The knowledge store's contract, run against the DynamoDB adapter (moto, the template's table)
and the in-memory fake alike, so the fake cannot drift from what the adapter does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from klantreis.knowledge.dynamo_store import DynamoKnowledgeStore
from klantreis.knowledge.models import KnowledgeEntryInput
from klantreis.knowledge.ports import KnowledgeStore
from tests.fakes.knowledge import InMemoryKnowledgeStore

AT = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


def dynamo_store(request: pytest.FixtureRequest) -> KnowledgeStore:
    dynamodb: Any = request.getfixturevalue("dynamodb")
    return DynamoKnowledgeStore(dynamodb, request.getfixturevalue("table_name"))


def fake_store(_request: pytest.FixtureRequest) -> KnowledgeStore:
    return InMemoryKnowledgeStore()


@pytest.fixture(params=[dynamo_store, fake_store], ids=["dynamodb", "fake"])
def store(request: pytest.FixtureRequest) -> KnowledgeStore:
    build: Callable[[pytest.FixtureRequest], KnowledgeStore] = request.param
    return build(request)


def entry(title: str) -> KnowledgeEntryInput:
    return KnowledgeEntryInput(kind="faq", title=title, body=f"{title}: zie de website.")


def test_entries_come_back_by_id_per_site(store: KnowledgeStore) -> None:
    # given entries of two sites, written out of order
    store.put("demo", "b-returns", entry("Retour"), AT)
    stored = store.put("demo", "a-sizes", entry("Maten"), AT)
    store.put("other", "c-other", entry("Ander"), AT)
    # when the site's entries are read
    entries = store.entries("demo")
    # then they are the site's own, by id, as they were stored
    assert [e.entry_id for e in entries] == ["a-sizes", "b-returns"]
    assert entries[0] == stored
    assert stored.updated_at == AT


def test_a_put_replaces_and_a_delete_says_whether_there_was_one(store: KnowledgeStore) -> None:
    store.put("demo", "a-sizes", entry("Maten"), AT)
    store.put("demo", "a-sizes", entry("Maten en pasvorm"), AT)
    assert [e.title for e in store.entries("demo")] == ["Maten en pasvorm"]
    assert store.delete("demo", "a-sizes") is True
    assert store.delete("demo", "a-sizes") is False
    assert store.entries("demo") == []
