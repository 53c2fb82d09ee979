"""What journey tracking needs of storage (sessions, their journey, a visitor's erasure) and the
value types it passes; the DynamoDB adapters are klantreis.journey.dynamo_store, the test fakes
tests/fakes/journey.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from klantreis.journey.session import JourneyEntry, SessionState


@dataclass(frozen=True)
class JourneyChunk:
    """Journey entries moved out of the session item, under their own sort key."""

    sort_key: str
    entries: list[JourneyEntry]
    expires_at: int


class SessionStore(Protocol):
    def get(
        self, site_id: str, visitor_id: str, session_id: str, *, consistent: bool = True
    ) -> SessionState | None: ...

    def visitor_has_sessions(self, site_id: str, visitor_id: str) -> bool: ...

    def save(self, state: SessionState, expected_version: int | None, chunk: JourneyChunk | None) -> None:
        """Writes `state` if the stored version is still `expected_version` (None: not stored
        yet); raises ConcurrentUpdate otherwise. `chunk` is written first."""
        ...

    def journey(self, state: SessionState) -> list[JourneyEntry]: ...

    def sessions(self, site_id: str, visitor_id: str) -> list[SessionState]: ...


class VisitorEraser(Protocol):
    def erase(self, site_id: str, visitor_id: str) -> int:
        """Deletes every item about the visitor; returns how many were deleted."""
        ...
