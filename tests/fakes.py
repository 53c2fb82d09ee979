"""In-memory fakes of the core's ports, for unit tests and the bench: same contracts as the
DynamoDB adapters (optimistic versions, chunks written before the session, markers counted once),
no sockets. Stored objects are copies, so a caller's later changes do not leak into the store,
just as they would not into a table."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from klantreis.errors import ConcurrentUpdate
from klantreis.journey.counters import COUNTERS, DayKey
from klantreis.journey.session import JourneyEntry, SessionState
from klantreis.journey.store import JourneyChunk
from klantreis.sites import Site

SessionKey = tuple[str, str, str]
"""(site_id, visitor_id, session_id)."""


class InMemorySessionStore:
    """klantreis.journey.store.SessionStore in memory."""

    def __init__(self, *, stale_reads: bool = False) -> None:
        self.stale_reads = stale_reads
        """When set, reads that need not be consistent see the state before the last write, as
        an eventually consistent DynamoDB read may."""
        self._previous: dict[SessionKey, SessionState | None] = {}
        self.states: dict[SessionKey, SessionState] = {}
        self._visitors: set[tuple[str, str]] = set()
        self.chunks: dict[tuple[str, str], dict[str, JourneyChunk]] = defaultdict(dict)
        """(site_id, visitor_id) → sort key → chunk, as the visitor's partition holds them."""
        self.saves = 0
        self.conflicts = 0

    def get(
        self, site_id: str, visitor_id: str, session_id: str, *, consistent: bool = True
    ) -> SessionState | None:
        key = (site_id, visitor_id, session_id)
        stored = self._previous.get(key) if self.stale_reads and not consistent else self.states.get(key)
        return stored.model_copy(deep=True) if stored else None

    def visitor_has_sessions(self, site_id: str, visitor_id: str) -> bool:
        return (site_id, visitor_id) in self._visitors

    def save(self, state: SessionState, expected_version: int | None, chunk: JourneyChunk | None) -> None:
        if chunk is not None:
            # Written first and kept even when the session write below loses: the adapter does
            # the same, and `journey` ignores chunks the session does not list.
            self.chunks[(state.site_id, state.visitor_id)][chunk.sort_key] = chunk
        key = (state.site_id, state.visitor_id, state.session_id)
        current = self.states.get(key)
        if expected_version is None and current is not None:
            self.conflicts += 1
            raise ConcurrentUpdate(f"session {state.session_id} exists already")
        if expected_version is not None and (current is None or current.version != expected_version):
            self.conflicts += 1
            found = current.version if current else None
            raise ConcurrentUpdate(
                f"session {state.session_id}: expected version {expected_version}, found {found}"
            )
        self._previous[key] = current
        self.states[key] = state.model_copy(deep=True)
        self._visitors.add((state.site_id, state.visitor_id))
        self.saves += 1

    def journey(self, state: SessionState) -> list[JourneyEntry]:
        stored = self.chunks.get((state.site_id, state.visitor_id), {})
        entries: list[JourneyEntry] = []
        for sort_key in state.journey_chunks:
            if sort_key in stored:
                entries.extend(stored[sort_key].entries)
        entries.extend(state.journey)
        return sorted(entries, key=lambda entry: entry.at)

    def sessions(self, site_id: str, visitor_id: str) -> list[SessionState]:
        return [
            state.model_copy(deep=True)
            for (site, visitor, _), state in sorted(self.states.items())
            if (site, visitor) == (site_id, visitor_id)
        ]


class InMemorySiteStore:
    """klantreis.sites.SiteStore in memory."""

    def __init__(self, *sites: Site) -> None:
        self.sites: dict[str, Site] = {site.site_id: site for site in sites}
        self.keys: dict[str, str] = {}
        self.lookups = 0

    def get(self, site_id: str) -> Site | None:
        self.lookups += 1
        return self.sites.get(site_id)

    def site_id_for_key(self, site_key: str) -> str | None:
        self.lookups += 1
        return self.keys.get(site_key)

    def put(self, site: Site) -> None:
        self.sites[site.site_id] = site

    def add_key(self, site_id: str, site_key: str) -> None:
        if len(site_key) < 8:
            raise ValueError("a site key has at least 8 characters")
        self.keys[site_key] = site_id

    def revoke_key(self, site_key: str) -> bool:
        return self.keys.pop(site_key, None) is not None


class InMemoryCounterStore:
    """klantreis.journey.counters.CounterStore in memory: a batch's deltas count once per marker."""

    def __init__(self) -> None:
        self.days: dict[DayKey, dict[str, float]] = {}
        self.markers: dict[str, int] = {}

    def add_once(self, marker: str, deltas: Mapping[DayKey, Mapping[str, float]], now: int) -> bool:
        if not deltas or marker in self.markers:
            return False
        self.markers[marker] = now
        for day_key, change in deltas.items():
            totals = self.days.setdefault(day_key, dict.fromkeys(COUNTERS, 0.0))
            for name, value in change.items():
                totals[name] = totals.get(name, 0.0) + value
        return True

    def day_totals(self, site_id: str, day: str) -> dict[str, float]:
        totals = dict(self.days.get((site_id, day), dict.fromkeys(COUNTERS, 0.0)))
        totals["revenue"] = round(totals.get("revenue", 0.0), 2)
        return totals
