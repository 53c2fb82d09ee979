"""klantreis.journey.ports.SessionStore in memory (held to the port's contract with the DynamoDB adapter:
tests/integration/test_session_store_contract.py)."""

from __future__ import annotations

from collections import defaultdict

from klantreis.errors import ConcurrentUpdate
from klantreis.journey.ports import JourneyChunk
from klantreis.journey.session import JourneyEntry, SessionState

SessionKey = tuple[str, str, str]
"""(site_id, visitor_id, session_id)."""


class InMemorySessionStore:
    """klantreis.journey.ports.SessionStore in memory."""

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
