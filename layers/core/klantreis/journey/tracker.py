"""The tracking service: validates a batch's events, folds them into the session state and
stores it with optimistic concurrency, so duplicates are stored once even when two copies of a
batch arrive at the same moment in different Lambda instances."""

from __future__ import annotations

import json
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from klantreis import jsontext, keys
from klantreis.errors import BadRequest, ConcurrentUpdate, PayloadTooLarge, Throttled, ValidationFailed
from klantreis.journey.events import BatchEnvelope, TrackedEvent, corrected_timestamp
from klantreis.journey.ports import JourneyChunk, SessionStore
from klantreis.journey.session import JOURNEY_FLUSH_BYTES, SessionFold, SessionState
from klantreis.sites import Site
from klantreis.useragent import ClientInfo

MAX_FUTURE = timedelta(days=1)
MAX_ATTEMPTS = 6


@dataclass(frozen=True)
class Limits:
    max_events: int = 100
    max_batch_bytes: int = 512_000
    max_event_bytes: int = 32_768
    retention_days: int = 30


@dataclass
class ParsedBatch:
    envelope: BatchEnvelope
    valid: list[tuple[int, TrackedEvent]]
    """The valid events with their index in the batch."""
    rejected: list[dict[str, Any]]
    oversized: set[int]
    """Indexes of the events rejected for their size."""


@dataclass
class TrackResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)


def parse_batch(body: str | None, limits: Limits) -> ParsedBatch:
    """The envelope (a bad one fails the whole request), the valid events, and the rejections of
    the others."""
    raw_body = body or ""
    if len(raw_body.encode()) > limits.max_batch_bytes:
        raise PayloadTooLarge(f"a batch holds at most {limits.max_batch_bytes} bytes")
    try:
        document = jsontext.loads(raw_body)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON ({exc.msg} at {exc.pos})") from exc
    events = document.get("events") if isinstance(document, dict) else None
    if isinstance(events, list) and len(events) > limits.max_events:
        raise PayloadTooLarge(f"a batch holds at most {limits.max_events} events")
    try:
        envelope = BatchEnvelope.model_validate(document)
    except ValidationError as exc:
        details = [
            {"field": ".".join(str(p) for p in err["loc"]) or "body", "error": err["msg"]}
            for err in exc.errors()
        ]
        raise ValidationFailed(f"{details[0]['field']}: {details[0]['error']}", details=details) from exc

    parsed = ParsedBatch(envelope=envelope, valid=[], rejected=[], oversized=set())
    for index, raw in enumerate(envelope.events):
        size = len(json.dumps(raw, separators=(",", ":")).encode())
        if size > limits.max_event_bytes:
            parsed.oversized.add(index)
            parsed.rejected.append(
                {"index": index, "error": f"event too large ({size} bytes > {limits.max_event_bytes})"}
            )
            continue
        try:
            parsed.valid.append((index, TrackedEvent.model_validate(raw)))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            parsed.rejected.append(
                {"index": index, "error": f"{where}: {first['msg']}" if where else first["msg"]}
            )
    return parsed


class Tracker:
    def __init__(
        self,
        store: SessionStore,
        limits: Limits,
        *,
        sleep: Callable[[float], None] = time.sleep,
        token: Callable[[], str] = lambda: secrets.token_hex(4),
    ) -> None:
        self._store = store
        self._limits = limits
        self._sleep = sleep
        self._token = token

    def track(
        self,
        site: Site,
        envelope: BatchEnvelope,
        events: list[tuple[int, TrackedEvent]],
        received_at: datetime,
        client: ClientInfo | None = None,
    ) -> TrackResult:
        result = TrackResult()
        timely: list[tuple[int, TrackedEvent]] = []
        retention = timedelta(days=site.journey_retention_days or self._limits.retention_days)
        for index, event in events:
            try:
                at = corrected_timestamp(event.timestamp, envelope.sent_at, received_at)
            except OverflowError:
                result.rejected.append({"index": index, "error": "timestamp is out of range"})
                continue
            if at > received_at + MAX_FUTURE:
                result.rejected.append(
                    {"index": index, "error": "timestamp is more than a day in the future"}
                )
                continue
            if at < received_at - retention:
                # Past the journey's retention the session would be gone already (and a moment
                # near year 1 overflows the date arithmetic of the counters downstream).
                result.rejected.append(
                    {"index": index, "error": "timestamp is older than the journey retention"}
                )
                continue
            timely.append((index, event.model_copy(update={"timestamp": at})))
        if not timely:
            return result

        for attempt in range(MAX_ATTEMPTS):
            # The first read may be eventually consistent (half the cost): a stale read loses the
            # conditional write below and the retry reads consistently.
            stored = self._store.get(
                site.site_id, envelope.visitor_id, envelope.session_id, consistent=attempt > 0
            )
            state = (
                stored.model_copy(deep=True) if stored else self._new_session(site, envelope, timely, client)
            )
            outcome = SessionFold(state, site).apply_all(timely)
            result.accepted, result.duplicates = outcome.accepted, outcome.duplicates
            session_rejections = [{"index": i, "error": reason} for i, reason in outcome.rejected]
            if outcome.accepted == 0:
                result.rejected.extend(session_rejections)
                return result
            state.version = (stored.version if stored else 0) + 1
            state.expires_at = max(state.expires_at, int((received_at + retention).timestamp()))
            chunk = self._take_chunk(state)
            try:
                self._store.save(state, stored.version if stored else None, chunk)
            except ConcurrentUpdate:
                # Another instance wrote this session meanwhile: read it again and redo the fold,
                # which now sees that instance's events as duplicates.
                self._sleep(random.uniform(0, 0.01 * 2**attempt))
                continue
            result.rejected.extend(session_rejections)
            return result
        raise Throttled("this session is being written by many requests at once; retry")

    def _new_session(
        self,
        site: Site,
        envelope: BatchEnvelope,
        events: list[tuple[int, TrackedEvent]],
        client: ClientInfo | None,
    ) -> SessionState:
        first = min(event.timestamp for _, event in events)
        return SessionState(
            site_id=site.site_id,
            visitor_id=envelope.visitor_id,
            session_id=envelope.session_id,
            first_at=first,
            last_at=first,
            returning_visitor=self._store.visitor_has_sessions(site.site_id, envelope.visitor_id),
            client=client,
        )

    def _take_chunk(self, state: SessionState) -> JourneyChunk | None:
        if state.journey_bytes() < JOURNEY_FLUSH_BYTES:
            return None
        sort_key = keys.journey_sk(state.session_id, len(state.journey_chunks), self._token())
        chunk = JourneyChunk(sort_key=sort_key, entries=state.journey, expires_at=state.expires_at)
        state.journey_chunks.append(sort_key)
        state.journey = []
        return chunk
