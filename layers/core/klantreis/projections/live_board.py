"""The live view: visitors active in the last five minutes, kept on one small board per site.

A stream consumer (functions/aggregate/aggregate/live.py) folds each batch of session, decision
and chat changes into the site's board (`SITE#{site}` / `LIVE`) and writes it back with one
conditional `PutItem` per site and batch; `GET /v1/visitors/live` reads it with one `GetItem`.
The tracking request writes nothing more (docs/decisions.md, "The live view").

The fold is a join: a visitor's entry holds three parts (the latest session, decision and chat
seen), and each part is replaced only by a later one under a fixed order of its own content. So
the board does not depend on how records are batched or in which order batches arrive, and a
redelivered batch changes nothing. Then entries idle for longer than `LIVE_WINDOW` (by the
records' own times, never by when they arrived) are dropped, and the board is capped to the
`MAX_LIVE_VISITORS` most recent. The removal of a visitor's session, decision or chat item
(erasure) drops the visitor from the board; TTL removals are ignored.

Stored form: the entries as positional JSON rows, zlib-compressed, in one binary attribute: a
write is billed per started KB of the whole item, and the board is rewritten by every batch.
"""

from __future__ import annotations

import json
import random
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from klantreis import keys
from klantreis.errors import ConcurrentUpdate
from klantreis.journey.session import Stage
from klantreis.journey.session_item import session_from_item
from klantreis.projections.changes import ItemChange
from klantreis.routing.wait import UNKNOWN_SCORE

LIVE_WINDOW = timedelta(minutes=5)
"""A visitor is live while their latest session change, decision or chat change is this recent."""
MAX_LIVE_VISITORS = 300
"""The board keeps the most recent visitors up to this many (a 300-visitor board is ~30 KB
stored; the 400 KB item limit is out of reach even uncompressed, see `MAX_PAGE_CHARS`)."""
MAX_PAGE_CHARS = 200
"""The page is kept without its query and fragment, and cut to this length."""
BOARD_TTL_SECONDS = 86_400
"""A board no batch has touched for a day (the site went quiet) expires."""
MAX_ATTEMPTS = 8
"""Read-fold-write rounds per site and batch before the batch fails (and Lambda retries it)."""
CHAT_STATUS_RANK = {"queued": 0, "assigned": 1, "ended": 2}
"""Breaks a tie between two changes of one chat within the same millisecond."""
STORAGE_FORMAT = 1


def _utc_ms(moment: datetime) -> datetime:
    """UTC, cut to whole milliseconds: what the stored board keeps, so a part read back from the
    board equals the part folded from the record."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    aware = aware.astimezone(UTC)
    return aware.replace(microsecond=aware.microsecond // 1000 * 1000)


def _epoch_ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def _from_epoch_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


def _parse_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return _utc_ms(value)
    if isinstance(value, int | float):
        return _utc_ms(datetime.fromtimestamp(value, UTC))
    return _utc_ms(datetime.fromisoformat(str(value)))


def _rounded(value: Any, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def page_of(url: str | None, page_type: str | None) -> str | None:
    """What the board shows as the visitor's page: the URL without query or fragment (which may
    carry personal data and only cost bytes), else the page type."""
    if url:
        parts = urlsplit(url)
        shown = f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.scheme else parts.path or url
        return shown[:MAX_PAGE_CHARS]
    return page_type[:MAX_PAGE_CHARS] if page_type else None


# --------------------------------------------------------------------------- the board
class SessionPart(BaseModel):
    """The visitor's latest session as its item last looked."""

    model_config = ConfigDict(frozen=True)

    session_id: str
    at: datetime
    """The session's last tracked event."""
    version: int
    stage: Stage
    cart_value: float
    currency: str | None = None
    page: str | None = None

    def order(self) -> tuple[Any, ...]:
        return (self.at, self.version, self.session_id)


class DecisionPart(BaseModel):
    """The visitor's latest engagement decision."""

    model_config = ConfigDict(frozen=True)

    session_id: str
    at: datetime
    reason: str
    score: float | None = None
    """Purchase intent."""
    abandonment_risk: float | None = None

    @property
    def offered(self) -> bool:
        return self.reason == "qualified"

    def order(self) -> tuple[Any, ...]:
        score = -1.0 if self.score is None else self.score
        risk = -1.0 if self.abandonment_risk is None else self.abandonment_risk
        return (self.at, self.reason, self.session_id, score, risk)


class ChatPart(BaseModel):
    """The visitor's latest chat as its item last looked."""

    model_config = ConfigDict(frozen=True)

    chat_id: str
    session_id: str
    created_at: datetime
    at: datetime
    """The chat's latest change (created, assigned, ended, or the stream record's own time)."""
    status: str

    def order(self) -> tuple[Any, ...]:
        return (self.created_at, self.chat_id, self.at, CHAT_STATUS_RANK.get(self.status, -1))


Part = SessionPart | DecisionPart | ChatPart
_PART_NAMES: dict[type[BaseModel], str] = {SessionPart: "session", DecisionPart: "decision", ChatPart: "chat"}


class LiveEntry(BaseModel):
    """What the board knows about one visitor."""

    model_config = ConfigDict(frozen=True)

    visitor_id: str
    session: SessionPart | None = None
    decision: DecisionPart | None = None
    chat: ChatPart | None = None

    @property
    def last_at(self) -> datetime:
        times = [part.at for part in (self.session, self.decision, self.chat) if part is not None]
        return max(times) if times else datetime.min.replace(tzinfo=UTC)

    def joined(self, part: Part) -> LiveEntry:
        """This entry with `part`, if it is later than the part of its kind held already."""
        name = _PART_NAMES[type(part)]
        held: Part | None = getattr(self, name)
        if held is not None and held.order() >= part.order():
            return self
        return self.model_copy(update={name: part})


class LiveBoard(BaseModel):
    """One site's live board; `version` is the stored version it was read at (0: none stored)."""

    site_id: str
    version: int = 0
    entries: dict[str, LiveEntry] = Field(default_factory=dict)


class LiveVisitor(BaseModel):
    """One visitor on the live view."""

    model_config = ConfigDict(frozen=True)

    visitor_id: str
    session_id: str
    stage: Stage
    cart_value: float
    currency: str | None = None
    last_at: datetime
    """The visitor's latest activity: a tracked event, a decision or a chat change."""
    idle_seconds: int
    """Since the session's last tracked event."""
    page: str | None = None
    """The last page (URL without query) or, without a URL, its page type."""
    score: float | None = None
    """Purchase intent of the session's latest engagement decision."""
    abandonment_risk: float | None = None
    offered: bool = False
    """The latest decision offered a chat."""
    reason: str | None = None
    """The latest decision's reason (`qualified` when offered)."""
    chat_id: str | None = None
    chat_status: str | None = None
    """`queued`, `assigned` or `ended`, once a chat started."""
    value: float
    """Cart value x score (0.5 while unscored): the view's order, highest first."""


class LiveVisitors(BaseModel):
    """`GET /v1/visitors/live`: the site's visitors active in the last five minutes."""

    site_id: str
    as_of: datetime
    visitors: list[LiveVisitor]
    count: int


def visitor_view(entry: LiveEntry, now: datetime) -> LiveVisitor | None:
    """How an entry shows on the live view; None without a session (a decision or chat whose
    session the board has not seen). The decision shown is the current session's; the chat is
    the current session's, or any chat still open."""
    session = entry.session
    if session is None:
        return None
    decision = entry.decision if entry.decision and entry.decision.session_id == session.session_id else None
    chat = entry.chat
    if chat is not None and chat.session_id != session.session_id and chat.status == "ended":
        chat = None
    score = decision.score if decision else None
    return LiveVisitor(
        visitor_id=entry.visitor_id,
        session_id=session.session_id,
        stage=session.stage,
        cart_value=session.cart_value,
        currency=session.currency,
        last_at=entry.last_at,
        idle_seconds=max(0, int((now - session.at).total_seconds())),
        page=session.page,
        score=score,
        abandonment_risk=decision.abandonment_risk if decision else None,
        offered=decision.offered if decision else False,
        reason=decision.reason if decision else None,
        chat_id=chat.chat_id if chat else None,
        chat_status=chat.status if chat else None,
        value=round(session.cart_value * (UNKNOWN_SCORE if score is None else score), 2),
    )


def live_visitors(board: LiveBoard, now: datetime) -> LiveVisitors:
    """The board as the live view at `now`: entries idle for longer than `LIVE_WINDOW` are left
    out (the board may be older than its last write), most valuable first, then most recent."""
    cutoff = now - LIVE_WINDOW
    shown = [
        view
        for entry in board.entries.values()
        if entry.last_at >= cutoff and (view := visitor_view(entry, now)) is not None
    ]
    shown.sort(key=lambda v: v.visitor_id)
    shown.sort(key=lambda v: (v.value, v.last_at), reverse=True)
    return LiveVisitors(site_id=board.site_id, as_of=now, visitors=shown, count=len(shown))


# --------------------------------------------------------------------------- stream records
@dataclass(frozen=True)
class LiveChange:
    """One stream record as the board sees it: a later part for a visitor, or (part None) the
    visitor's removal."""

    site_id: str
    visitor_id: str
    part: Part | None


def _session_part(image: dict[str, Any]) -> tuple[str, str, SessionPart] | None:
    state = session_from_item(image)
    if state.client is not None and state.client.bot:
        return None
    part = SessionPart(
        session_id=state.session_id,
        at=_utc_ms(state.last_at),
        version=state.version,
        stage=state.stage,
        cart_value=state.cart_value,
        currency=state.currency,
        page=page_of(state.last_page_url, state.last_page_type),
    )
    return state.site_id, state.visitor_id, part


def _decision_part(partition_key: str, image: Mapping[str, Any]) -> tuple[str, str, DecisionPart] | None:
    if image.get("reason") == "bot":
        return None  # a bot is nobody an agent should see
    site_id, visitor_id = keys.parse_visitor_pk(partition_key)
    part = DecisionPart(
        session_id=str(image["session_id"]),
        at=_parse_time(image["at"]),
        reason=str(image["reason"]),
        score=_rounded(image.get("score"), 4),
        abandonment_risk=_rounded(image.get("abandonment_risk"), 4),
    )
    return site_id, visitor_id, part


def _chat_part(partition_key: str, image: Mapping[str, Any], record_time: Any) -> tuple[str, str, ChatPart]:
    site_id, chat_id = keys.parse_chat_pk(partition_key)
    created = _parse_time(image["created_at"])
    times = [created]
    times += [_parse_time(image[name]) for name in ("assigned_at", "ended_at") if image.get(name)]
    if record_time is not None:
        times.append(_parse_time(record_time))
    part = ChatPart(
        chat_id=chat_id,
        session_id=str(image["session_id"]),
        created_at=created,
        at=max(times),
        status=str(image["status"]),
    )
    return site_id, str(image["visitor_id"]), part


def _board_change(change: ItemChange) -> LiveChange | None:
    partition_key = change.partition_key
    if not (change.is_session or change.is_decision or change.is_chat):
        return None
    if change.is_removal:
        if change.by_ttl:
            return None
        if change.is_chat:
            old = change.old or {}
            if not old.get("visitor_id"):
                return None
            return LiveChange(keys.parse_chat_pk(partition_key)[0], str(old["visitor_id"]), None)
        site_id, visitor_id = keys.parse_visitor_pk(partition_key)
        return LiveChange(site_id, visitor_id, None)
    if not change.is_write or change.new is None:
        return None
    image = change.new
    found: tuple[str, str, Part] | None
    if change.is_session:
        found = _session_part(image)
    elif change.is_decision:
        found = _decision_part(partition_key, image)
    else:
        found = _chat_part(partition_key, image, change.created_at)
    return LiveChange(*found) if found else None


def board_changes(changes: Iterable[ItemChange]) -> tuple[list[LiveChange], int]:
    """The board's changes in a batch's changes, in stream order, and how many of the board's
    kinds could not be read (left out: the board is a view, and one unreadable record must not
    hold up the shard)."""
    found: list[LiveChange] = []
    unreadable = 0
    for change in changes:
        try:
            board_change = _board_change(change)
        except (KeyError, TypeError, ValueError, ValidationError):
            unreadable += 1
            continue
        if board_change is not None:
            found.append(board_change)
    return found, unreadable


def fold_changes(board: LiveBoard, changes: Iterable[LiveChange], now: datetime) -> LiveBoard:
    """The board after `changes` (those of its site), pruned and capped at `now`."""
    entries = dict(board.entries)
    for change in changes:
        if change.site_id != board.site_id:
            continue
        if change.part is None:
            entries.pop(change.visitor_id, None)
            continue
        held = entries.get(change.visitor_id) or LiveEntry(visitor_id=change.visitor_id)
        entries[change.visitor_id] = held.joined(change.part)
    cutoff = now - LIVE_WINDOW
    live = [entry for entry in entries.values() if entry.last_at >= cutoff]
    live.sort(key=lambda entry: entry.visitor_id)
    live.sort(key=lambda entry: entry.last_at, reverse=True)
    kept = live[:MAX_LIVE_VISITORS]
    return board.model_copy(update={"entries": {entry.visitor_id: entry for entry in kept}})


def fold(board: LiveBoard, changes: Iterable[ItemChange], now: datetime) -> LiveBoard:
    """The board after a batch's changes: the pure fold the stream consumer runs."""
    found, _ = board_changes(changes)
    return fold_changes(board, found, now)


# --------------------------------------------------------------------------- storage
def _session_row(part: SessionPart | None) -> list[Any] | None:
    if part is None:
        return None
    return [
        part.session_id, _epoch_ms(part.at), part.version, part.stage.value, part.cart_value,
        part.currency, part.page,
    ]  # fmt: skip


def _decision_row(part: DecisionPart | None) -> list[Any] | None:
    if part is None:
        return None
    return [part.session_id, _epoch_ms(part.at), part.reason, part.score, part.abandonment_risk]


def _chat_row(part: ChatPart | None) -> list[Any] | None:
    if part is None:
        return None
    return [part.chat_id, part.session_id, _epoch_ms(part.created_at), _epoch_ms(part.at), part.status]


def _entry_from_row(row: Sequence[Any]) -> LiveEntry:
    visitor_id, session, decision, chat = row
    return LiveEntry(
        visitor_id=visitor_id,
        session=SessionPart(
            session_id=session[0], at=_from_epoch_ms(session[1]), version=session[2],
            stage=Stage(session[3]), cart_value=session[4], currency=session[5], page=session[6],
        ) if session else None,
        decision=DecisionPart(
            session_id=decision[0], at=_from_epoch_ms(decision[1]), reason=decision[2],
            score=decision[3], abandonment_risk=decision[4],
        ) if decision else None,
        chat=ChatPart(
            chat_id=chat[0], session_id=chat[1], created_at=_from_epoch_ms(chat[2]),
            at=_from_epoch_ms(chat[3]), status=chat[4],
        ) if chat else None,
    )  # fmt: skip


def encode_entries(entries: Mapping[str, LiveEntry]) -> bytes:
    rows = [
        [entry.visitor_id, _session_row(entry.session), _decision_row(entry.decision), _chat_row(entry.chat)]
        for entry in entries.values()
    ]
    text = json.dumps({"f": STORAGE_FORMAT, "e": rows}, separators=(",", ":"), ensure_ascii=False)
    return zlib.compress(text.encode(), 9)


def decode_entries(blob: bytes) -> dict[str, LiveEntry]:
    document = json.loads(zlib.decompress(blob))
    if document.get("f") != STORAGE_FORMAT:
        raise ValueError(f"unknown live board format {document.get('f')!r}")
    entries = [_entry_from_row(row) for row in document["e"]]
    return {entry.visitor_id: entry for entry in entries}


def board_item(board: LiveBoard, version: int, now: datetime) -> dict[str, Any]:
    return {
        "PK": keys.site_pk(board.site_id),
        "SK": keys.LIVE_BOARD,
        "version": version,
        "visitors": len(board.entries),
        "updated_at": _utc_ms(now).isoformat(),
        "board": encode_entries(board.entries),
        "expires_at": int(now.timestamp()) + BOARD_TTL_SECONDS,
    }


def board_from_item(plain: Mapping[str, Any]) -> LiveBoard:
    site_id = str(plain["PK"]).removeprefix("SITE#")
    blob = plain.get("board")
    return LiveBoard(
        site_id=site_id,
        version=int(plain.get("version", 0)),
        entries=decode_entries(bytes(blob)) if blob else {},
    )


class LiveBoardStore(Protocol):
    def get(self, site_id: str, *, consistent: bool = False) -> LiveBoard:
        """The site's board (empty, version 0, when none is stored)."""
        ...

    def put(self, board: LiveBoard, now: datetime) -> None:
        """Stores `board` as version `board.version + 1` if the stored version is still
        `board.version` (none stored when 0); ConcurrentUpdate otherwise."""
        ...


# --------------------------------------------------------------------------- the consumer's service
@dataclass
class LiveUpdate:
    """What one stream batch did to the boards."""

    records: int = 0
    changes: int = 0
    unreadable: int = 0
    sites: int = 0
    writes: int = 0
    unchanged: int = 0
    """Sites whose board the batch left as it was (a redelivery, only stale records): not written."""
    conflicts: int = 0
    visitors: dict[str, int] = field(default_factory=dict)
    """Entries on each written board."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class LiveBoardUpdater:
    """Folds a stream batch into each site's board: per site one consistent read and one
    conditional write; a lost race (another shard's consumer wrote meanwhile) reads and folds
    again, up to `max_attempts` times, then raises ConcurrentUpdate (Lambda retries the batch,
    which the fold makes harmless)."""

    def __init__(
        self,
        store: LiveBoardStore,
        clock: Callable[[], datetime] = _utc_now,
        *,
        max_attempts: int = MAX_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._store = store
        self._clock = clock
        self._max_attempts = max_attempts
        self._sleep = sleep

    def apply(self, stream_changes: Sequence[ItemChange]) -> LiveUpdate:
        changes, unreadable = board_changes(stream_changes)
        by_site: dict[str, list[LiveChange]] = defaultdict(list)
        for change in changes:
            by_site[change.site_id].append(change)
        update = LiveUpdate(
            records=len(stream_changes), changes=len(changes), unreadable=unreadable, sites=len(by_site)
        )
        for site_id, site_changes in by_site.items():
            self._apply_site(site_id, site_changes, update)
        return update

    def _apply_site(self, site_id: str, changes: list[LiveChange], update: LiveUpdate) -> None:
        for attempt in range(self._max_attempts):
            board = self._store.get(site_id, consistent=True)
            now = self._clock()
            folded = fold_changes(board, changes, now)
            if folded.entries == board.entries:
                update.unchanged += 1
                return
            try:
                self._store.put(folded, now)
            except ConcurrentUpdate:
                update.conflicts += 1
                if attempt + 1 == self._max_attempts:
                    raise
                self._sleep(random.uniform(0, min(0.02 * 2**attempt, 0.5)))
                continue
            update.writes += 1
            update.visitors[site_id] = len(folded.entries)
            return
