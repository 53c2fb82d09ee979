"""The live board: the pure fold of session, decision and chat stream records into one site's board,
its stored form, the view agents read, and the consumer's read-fold-write loop (with a fake store)."""

from __future__ import annotations

import base64
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from klantreis import dynamo
from klantreis.conversations.chat_items import chat_item
from klantreis.conversations.models import Chat
from klantreis.engagement.records import Decision, decision_item
from klantreis.errors import ConcurrentUpdate
from klantreis.journey.session import CartLine, SessionState
from klantreis.journey.store import session_to_item
from klantreis.projections import live_board
from klantreis.projections.changes import decode
from klantreis.projections.live_board import (
    LIVE_WINDOW,
    MAX_LIVE_VISITORS,
    LiveBoard,
    LiveBoardUpdater,
    board_changes,
    board_from_item,
    board_item,
    live_visitors,
)
from klantreis.useragent import ClientInfo

NOW = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
_ids = itertools.count(1)


# --------------------------------------------------------------------------- records
def _lambda_json(value: dict[str, Any]) -> dict[str, Any]:
    """An attribute as Lambda's event JSON has it: binary base64-encoded."""
    [(kind, inner)] = value.items()
    if kind == "B":
        return {"B": base64.b64encode(inner).decode()}
    if kind == "M":
        return {"M": {k: _lambda_json(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_lambda_json(v) for v in inner]}
    return value


def _image(plain: dict[str, Any]) -> dict[str, Any]:
    return {name: _lambda_json(value) for name, value in dynamo.to_item(plain).items()}


def record(
    new: dict[str, Any] | None,
    old: dict[str, Any] | None = None,
    *,
    approx: datetime | None = None,
    ttl: bool = False,
) -> dict[str, Any]:
    """A Lambda stream record of one item change (INSERT, MODIFY, or REMOVE when `new` is None)."""
    some = new or old
    assert some is not None
    change: dict[str, Any] = {"Keys": _image({"PK": some["PK"], "SK": some["SK"]})}
    if new is not None:
        change["NewImage"] = _image(new)
    if old is not None:
        change["OldImage"] = _image(old)
    change["ApproximateCreationDateTime"] = int((approx or NOW).timestamp())
    name = "REMOVE" if new is None else "MODIFY" if old else "INSERT"
    found: dict[str, Any] = {"eventID": f"ev-{next(_ids)}", "eventName": name, "dynamodb": change}
    if ttl:
        found["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    return found


def session(
    visitor_id: str = "anna",
    *,
    at: datetime = NOW,
    session_id: str = "s-1",
    version: int = 1,
    cart: float = 0.0,
    checkout_step: int = 0,
    url: str | None = "https://shop.example/laarzen/bruin?utm_source=mail#top",
    bot: bool = False,
    site_id: str = "demo",
) -> dict[str, Any]:
    state = SessionState(
        site_id=site_id,
        visitor_id=visitor_id,
        session_id=session_id,
        version=version,
        first_at=at - timedelta(minutes=3),
        last_at=at,
        event_count=version,
        cart={"b-39": CartLine(quantity=1, unit_value=cart, category="dameslaarzen")} if cart else {},
        checkout_step=checkout_step,
        currency="EUR" if cart else None,
        last_page_url=url,
        last_page_type="product_related",
        seen=b"\x01\x02\x03\x04\x05\x06\x07\x08",
        client=ClientInfo(browser="chrome", bot=bot),
    )
    return session_to_item(state)


def decision(
    visitor_id: str = "anna",
    reason: str = "qualified",
    *,
    at: datetime = NOW,
    score: float | None = 0.7213,
    risk: float | None = 0.6,
    session_id: str = "s-1",
) -> dict[str, Any]:
    return decision_item(
        Decision(
            site_id="demo", visitor_id=visitor_id, session_id=session_id, decision_id=f"d-{next(_ids)}",
            at=at, day=at.date().isoformat(), reason=reason, score=score, abandonment_risk=risk,
            offer_id="o-1" if reason == "qualified" else None,
        )
    )  # fmt: skip


def chat(
    visitor_id: str = "anna",
    status: str = "queued",
    *,
    created: datetime = NOW,
    assigned: datetime | None = None,
    chat_id: str = "c-1",
    session_id: str = "s-1",
) -> dict[str, Any]:
    return chat_item(
        Chat.model_validate(
            {"site_id": "demo", "chat_id": chat_id, "visitor_id": visitor_id, "session_id": session_id,
             "status": status, "created_at": created, "day": created.date().isoformat(),
             "assigned_at": assigned}
        )
    )  # fmt: skip


def fold(*records: dict[str, Any], board: LiveBoard | None = None, now: datetime = NOW) -> LiveBoard:
    return live_board.fold(board or LiveBoard(site_id="demo"), decode(records), now)


def shown(board: LiveBoard, now: datetime = NOW) -> dict[str, dict[str, Any]]:
    return {v.visitor_id: v.model_dump() for v in live_visitors(board, now).visitors}


# --------------------------------------------------------------------------- the fold
def test_a_new_session_appears_with_its_stage_and_cart() -> None:
    # given Anna's session at checkout with 329.95 in her cart
    anna = session(cart=329.95, checkout_step=2)
    # when its stream record is folded into an empty board
    board = fold(record(anna))
    # then the view shows her at checkout, with her cart and her page without the query
    view = shown(board, NOW + timedelta(seconds=30))["anna"]
    assert (view["stage"], view["cart_value"], view["currency"]) == ("checkout", 329.95, "EUR")
    assert view["page"] == "https://shop.example/laarzen/bruin"
    assert (view["session_id"], view["last_at"], view["idle_seconds"]) == ("s-1", NOW, 30)
    assert (view["score"], view["offered"], view["reason"], view["chat_status"]) == (None, False, None, None)


def test_a_decision_adds_score_risk_and_whether_she_was_offered() -> None:
    board = fold(record(session(cart=329.95, checkout_step=2)))
    board = fold(record(decision(at=NOW + timedelta(seconds=30))), board=board)
    view = shown(board)["anna"]
    assert (view["score"], view["abandonment_risk"], view["offered"], view["reason"]) == (
        0.7213, 0.6, True, "qualified",
    )  # fmt: skip
    assert view["last_at"] == NOW + timedelta(seconds=30)
    assert view["value"] == round(329.95 * 0.7213, 2)


def test_the_latest_decision_counts_and_another_sessions_decision_is_not_shown() -> None:
    # given an offer, then a later holdout answer in the same session
    board = fold(
        record(session()),
        record(decision(at=NOW + timedelta(seconds=20), reason="holdout", score=0.4)),
        record(decision(at=NOW + timedelta(seconds=10))),
    )
    assert (shown(board)["anna"]["reason"], shown(board)["anna"]["offered"]) == ("holdout", False)
    # when she starts a new session
    board = fold(record(session(session_id="s-2", at=NOW + timedelta(seconds=40))), board=board)
    # then the earlier session's decision no longer describes her
    view = shown(board)["anna"]
    assert (view["session_id"], view["score"], view["reason"], view["offered"]) == ("s-2", None, None, False)


def test_a_session_change_replaces_an_earlier_one_and_never_the_reverse() -> None:
    later = record(session(version=3, cart=100.0, at=NOW + timedelta(seconds=20)))
    earlier = record(session(version=2, at=NOW + timedelta(seconds=10)))
    assert shown(fold(later, earlier)) == shown(fold(earlier, later))
    assert shown(fold(earlier, later))["anna"]["stage"] == "cart"


def test_visitors_idle_for_more_than_five_minutes_are_pruned() -> None:
    # given Bram, active six minutes ago, and Anna, active now
    bram = record(session("bram", at=NOW - timedelta(minutes=6)))
    anna = record(session("anna", at=NOW - timedelta(minutes=1)))
    # when both arrive in one batch (late), then Bram is not even added
    board = fold(bram, anna)
    assert set(board.entries) == {"anna"}
    # when the next batch comes five minutes later, then Anna has aged out of the board
    later = fold(record(session("cees")), board=board, now=NOW + timedelta(minutes=4, seconds=1))
    assert set(later.entries) == {"cees"}
    # and a board read after its last write leaves out who went idle since
    assert shown(board, NOW + timedelta(minutes=4, seconds=1)) == {}
    assert set(shown(board, NOW + timedelta(minutes=3, seconds=59))) == {"anna"}


def test_the_board_keeps_the_most_recent_visitors_up_to_its_cap() -> None:
    # given more visitors than the board holds, one a second
    records = [
        record(session(f"v{n:03d}", at=NOW - timedelta(seconds=n))) for n in range(MAX_LIVE_VISITORS + 5)
    ]
    # when they are folded (in any order)
    board = fold(*reversed(records))
    # then the most recent are kept
    assert len(board.entries) == MAX_LIVE_VISITORS
    assert set(board.entries) == {f"v{n:03d}" for n in range(MAX_LIVE_VISITORS)}


def test_a_chat_shows_its_status_and_a_late_older_image_does_not_turn_it_back() -> None:
    board = fold(record(session()), record(chat(status="queued")))
    assert (shown(board)["anna"]["chat_status"], shown(board)["anna"]["chat_id"]) == ("queued", "c-1")
    assigned = record(
        chat(status="assigned", assigned=NOW + timedelta(seconds=8)), approx=NOW + timedelta(seconds=8)
    )
    queued_again = record(chat(status="queued"), approx=NOW)
    board = fold(assigned, queued_again, board=board)
    assert shown(board)["anna"]["chat_status"] == "assigned"
    # a chat keeps a visitor live while it goes on, even without page views
    ongoing = record(chat(status="assigned", assigned=NOW), approx=NOW + timedelta(minutes=6))
    later = fold(ongoing, board=board, now=NOW + timedelta(minutes=6))
    assert shown(later, NOW + timedelta(minutes=6))["anna"]["chat_status"] == "assigned"


def test_a_redelivered_batch_gives_the_same_board() -> None:
    batch = [
        record(session(cart=329.95, checkout_step=2)),
        record(decision(at=NOW + timedelta(seconds=30))),
        record(chat(status="assigned", assigned=NOW + timedelta(seconds=40))),
        record(session("bram", at=NOW + timedelta(seconds=5))),
        record(None, old=session("cees")),
    ]
    once = fold(*batch, now=NOW + timedelta(minutes=1))
    twice = fold(*batch, board=once, now=NOW + timedelta(minutes=1))
    assert twice == once
    assert set(once.entries) == {"anna", "bram"}


@settings(max_examples=60, deadline=None)
@given(order=st.permutations(range(8)), cut=st.integers(min_value=0, max_value=8))
def test_the_board_does_not_depend_on_order_or_batching(order: list[int], cut: int) -> None:
    records = [
        record(session(version=1, at=NOW)),
        record(session(version=2, cart=50.0, at=NOW + timedelta(seconds=5))),
        record(decision(at=NOW + timedelta(seconds=6), reason="not_qualified", score=0.1)),
        record(decision(at=NOW + timedelta(seconds=9), score=0.8)),
        record(chat(status="queued"), approx=NOW + timedelta(seconds=10)),
        record(
            chat(status="assigned", assigned=NOW + timedelta(seconds=12)), approx=NOW + timedelta(seconds=12)
        ),
        record(session("bram", at=NOW + timedelta(seconds=3))),
        record(session("bram", version=2, at=NOW + timedelta(seconds=4), checkout_step=1, cart=10.0)),
    ]
    shuffled = [records[i] for i in order]
    reference = fold(*records, now=NOW + timedelta(seconds=20))
    split = fold(*shuffled[:cut], now=NOW + timedelta(seconds=15))
    split = fold(*shuffled[cut:], board=split, now=NOW + timedelta(seconds=20))
    assert split.entries == reference.entries


def test_erasure_drops_the_visitor_and_a_ttl_removal_does_not() -> None:
    board = fold(record(session()), record(session("bram")))
    erased = fold(record(None, old=decision()), board=board)
    assert set(erased.entries) == {"bram"}
    erased_chat = fold(record(None, old=chat("bram")), board=board)
    assert set(erased_chat.entries) == {"anna"}
    expired = fold(record(None, old=session(), ttl=True), board=board)
    assert set(expired.entries) == {"anna", "bram"}


def test_bots_are_not_on_the_board_and_other_items_are_ignored() -> None:
    site_item = {"PK": "SITE#demo", "SK": "PROFILE", "name": "Demo"}
    board = fold(
        record(session("crawler", bot=True)),
        record(decision("crawler", reason="bot", score=None, risk=None)),
        record(site_item),
    )
    assert board.entries == {}


def test_another_sites_records_stay_off_this_board() -> None:
    board = fold(record(session("anna")), record(session("other", site_id="elders")))
    assert set(board.entries) == {"anna"}


def test_an_unreadable_record_is_counted_and_left_out() -> None:
    broken = record(decision())
    del broken["dynamodb"]["NewImage"]["at"]
    changes, unreadable = board_changes(decode([broken, record(session())]))
    assert (len(changes), unreadable) == (1, 1)


def test_a_decision_or_chat_without_its_session_is_kept_but_not_shown() -> None:
    board = fold(record(decision()))
    assert set(board.entries) == {"anna"}
    assert shown(board) == {}
    board = fold(record(session()), board=board)
    assert shown(board)["anna"]["offered"] is True


def test_the_view_is_ordered_by_value_then_recency() -> None:
    board = fold(
        record(session("low", cart=10.0, at=NOW)),
        record(decision("low", score=0.9)),
        record(session("high", cart=200.0, at=NOW - timedelta(seconds=30))),
        record(decision("high", score=0.5, at=NOW - timedelta(seconds=30))),
        record(session("unscored", cart=100.0, at=NOW - timedelta(seconds=20))),
        record(session("idle-a", at=NOW - timedelta(seconds=40))),
        record(session("idle-b", at=NOW - timedelta(seconds=10))),
    )
    view = live_visitors(board, NOW)
    assert [v.visitor_id for v in view.visitors] == ["high", "unscored", "low", "idle-b", "idle-a"]
    assert view.count == 5
    assert [v.value for v in view.visitors] == [100.0, 50.0, 9.0, 0.0, 0.0]


# --------------------------------------------------------------------------- stored form
def test_the_stored_board_reads_back_equal() -> None:
    records = [
        record(session(cart=329.95, checkout_step=2)),
        record(decision(at=NOW + timedelta(microseconds=123_456))),
        record(chat(status="assigned", assigned=NOW + timedelta(seconds=3))),
        record(session("bram", url=None)),
    ]
    board = fold(*records)
    item = dynamo.from_item(dynamo.to_item(board_item(board, 7, NOW)))
    assert (item["PK"], item["SK"], item["version"], item["visitors"]) == ("SITE#demo", "LIVE", 7, 2)
    assert item["expires_at"] == int(NOW.timestamp()) + 86_400
    again = board_from_item(item)
    assert again.entries == board.entries
    assert again.version == 7
    assert shown(again)["bram"]["page"] == "product_related"
    # and a record folded again into the board read back changes nothing (so nothing is written)
    assert fold(*records, board=again).entries == again.entries


def test_a_full_board_of_long_ids_stays_far_below_the_item_limit() -> None:
    # given the worst case: the cap, 100-character ids, 200-character pages, a decision and a chat each
    long = "x" * 90
    records = []
    for n in range(MAX_LIVE_VISITORS):
        visitor = f"{long}{n:010d}"
        at = NOW - timedelta(milliseconds=n)
        page = f"https://shop.example/{'p' * 300}{n}"
        records.append(record(session(visitor, at=at, session_id=f"{long}s{n:09d}", cart=1234.56, url=page)))
        records.append(record(decision(visitor, at=at, session_id=f"{long}s{n:09d}")))
        records.append(record(chat(visitor, chat_id=f"c{n:031d}", session_id=f"{long}s{n:09d}", created=at)))
    board = fold(*records)
    size = sum(len(k) + len(str(v)) for k, v in board_item(board, 1, NOW).items())
    assert len(board.entries) == MAX_LIVE_VISITORS
    assert size < 200_000


# --------------------------------------------------------------------------- read-fold-write
class FakeBoardStore:
    """The store port in memory; `lose` makes the next puts lose the version race."""

    def __init__(self) -> None:
        self.stored: dict[str, LiveBoard] = {}
        self.puts = 0
        self.lose = 0

    def get(self, site_id: str, *, consistent: bool = False) -> LiveBoard:
        return self.stored.get(site_id) or LiveBoard(site_id=site_id)

    def put(self, board: LiveBoard, now: datetime) -> None:
        held = self.stored.get(board.site_id)
        if self.lose:
            self.lose -= 1
            # another consumer wrote meanwhile
            self.stored[board.site_id] = (held or LiveBoard(site_id=board.site_id)).model_copy(
                update={"version": (held.version if held else 0) + 1}
            )
            raise ConcurrentUpdate("lost")
        if (held.version if held else 0) != board.version:
            raise ConcurrentUpdate("stale")
        self.puts += 1
        self.stored[board.site_id] = board.model_copy(update={"version": board.version + 1})


def updater(store: FakeBoardStore) -> LiveBoardUpdater:
    return LiveBoardUpdater(store, lambda: NOW + timedelta(seconds=1), sleep=lambda _: None)


def test_one_write_per_site_and_batch() -> None:
    store = FakeBoardStore()
    batch = [record(session("anna")), record(session("bram")), record(session("x", site_id="elders"))]
    batch += [record(decision("anna")), record({"PK": "SITE#demo", "SK": "PROFILE"})]
    update = updater(store).apply(decode(batch))
    assert (update.records, update.changes, update.sites, update.writes, store.puts) == (5, 4, 2, 2, 2)
    assert set(store.stored["demo"].entries) == {"anna", "bram"}
    assert update.visitors == {"demo": 2, "elders": 1}


def test_a_redelivered_batch_writes_nothing() -> None:
    store = FakeBoardStore()
    batch = [record(session("anna")), record(decision("anna"))]
    updater(store).apply(decode(batch))
    again = updater(store).apply(decode(batch))
    assert (again.writes, again.unchanged, store.puts) == (0, 1, 1)


def test_a_lost_race_reads_again_and_folds_into_the_winners_board() -> None:
    store = FakeBoardStore()
    updater(store).apply(decode([record(session("bram"))]))
    store.lose = 2
    update = updater(store).apply(decode([record(session("anna"))]))
    assert (update.conflicts, update.writes) == (2, 1)
    assert set(store.stored["demo"].entries) == {"anna", "bram"}


def test_a_race_lost_every_time_fails_the_batch() -> None:
    store = FakeBoardStore()
    store.lose = 100
    with pytest.raises(ConcurrentUpdate):
        LiveBoardUpdater(store, lambda: NOW, max_attempts=3, sleep=lambda _: None).apply(
            decode([record(session())])
        )


def test_the_window_is_five_minutes() -> None:
    assert timedelta(minutes=5) == LIVE_WINDOW
