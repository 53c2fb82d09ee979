"""The stream wing decodes each record once: every projection of a batch reads the same
`ItemChange`, and an image is turned into its plain form at most once however many projections
read it (klantreis.projections.changes)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pytest

from klantreis import dynamo
from klantreis.projections import attribution, changes, day_counters, live_board, pages, report_counters
from klantreis.projections.changes import ItemChange
from klantreis.projections.exactly_once import batch_marker
from tests.unit.test_report_counting import assigned, chat, record, session, survey

AT = datetime(2026, 11, 22, 19, 0, tzinfo=UTC)


class NoChunks:
    def prefetch(self, wanted: Iterable[tuple[str, str]]) -> None:
        list(wanted)

    def entries(self, partition_key: str, sort_key: str) -> list[dict[str, Any]] | None:
        return None


def decision() -> dict[str, Any]:
    return {
        "PK": "SITE#demo#V#anna", "SK": f"DECISION#{AT.isoformat()}#d-1", "session_id": "s-1",
        "at": AT.isoformat(), "day": "2026-11-22", "reason": "qualified", "qualified": True,
        "first_in_session": True, "score": 0.4,
    }  # fmt: skip


def a_batch() -> list[dict[str, Any]]:
    """One of each kind the projections read: a new session, its purchase, a decision, a chat
    queued then assigned, a survey, and the removal of another visitor's session."""
    bought = session(purchases=1, revenue=40.0, version=2)
    return [
        record("1", session()),
        record("2", bought, session()),
        record("3", decision()),
        record("4", chat()),
        record("5", assigned(), chat()),
        record("6", survey(csat=5)),
        record("7", None, session() | {"PK": "SITE#demo#V#bram"}),
    ]


def run_every_projection(batch: list[ItemChange]) -> None:
    day_counters.deltas(batch)
    report_counters.deltas(batch)
    report_counters.first_purchases(batch)
    attribution.purchases(batch)
    pages.deltas(batch, NoChunks())
    live_board.board_changes(batch)


def test_every_projection_reads_each_image_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a batch of every kind, and a count of the images turned into their plain form
    records = a_batch()
    decoded: list[int] = []
    plain = dynamo.from_item

    def counting(item: dynamo.Item) -> dict[str, Any]:
        decoded.append(id(item))
        return plain(item)

    monkeypatch.setattr(dynamo, "from_item", counting)

    # when the batch is decoded once and every projection runs over it
    batch = changes.decode(records)
    run_every_projection(batch)

    # then no image was decoded twice, and none the projections do not read (the removal's old
    # image is read only by the live board, which needs just its keys for a session)
    assert len(decoded) == len(set(decoded))
    images = sum(("NewImage" in r["dynamodb"]) + ("OldImage" in r["dynamodb"]) for r in records)
    assert len(decoded) == images - 1


def test_a_change_keeps_the_records_envelope_and_its_plain_images() -> None:
    # given a chat's assignment as the stream delivers it
    raw = record("5", assigned(), chat())
    raw["dynamodb"]["ApproximateCreationDateTime"] = int(AT.timestamp())

    # when it is decoded
    [change] = changes.decode([raw])

    # then the keys, the kind and both images are there, plain
    keys = (change.partition_key, change.sort_key, change.event_name)
    assert keys == ("SITE#demo#CHAT#c-1", "CHAT", "MODIFY")
    kinds = (change.is_chat, change.is_write, change.is_removal, change.by_ttl)
    assert kinds == (True, True, False, False)
    assert (change.old or {}).get("status") == "queued"
    assert (change.new or {}).get("status") == "assigned"
    assert change.created_at == int(AT.timestamp())
    assert change.raw is raw


def test_a_removal_has_no_new_image_and_says_whether_ttl_made_it() -> None:
    # given the TTL removal of a session
    raw = record("7", None, session())
    raw["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}

    # when it is decoded
    [change] = changes.decode([raw])

    # then
    kinds = (change.is_removal, change.by_ttl, change.is_write, change.is_session)
    assert kinds == (True, True, False, True)
    assert change.new is None


def test_an_image_that_cannot_be_decoded_fails_where_a_projection_reads_it() -> None:
    # given a session record whose new image is not an attribute map
    broken = record("1", session())
    broken["dynamodb"]["NewImage"] = {"days": {"X": "?"}}
    [change] = changes.decode([broken])  # decoding the envelope alone never fails on it

    # when / then: the day counters, which read it, see the poison record
    with pytest.raises((TypeError, ValueError, KeyError)):
        day_counters.deltas([change])


def test_the_batch_marker_is_the_same_for_the_changes_and_their_records() -> None:
    # given a batch
    records = a_batch()

    # then the marker of the decoded changes' records is the records' own (a retried batch is
    # recognised whichever way it was read)
    assert batch_marker(change.raw for change in changes.decode(records)) == batch_marker(records)
    assert batch_marker(records[:3]) != batch_marker(records)
