"""Domain errors. Each function's resolver maps them to HTTP answers; the domain never knows HTTP."""

from __future__ import annotations

from typing import Any


class KlantreisError(Exception):
    """Base of every error the domain raises on purpose; `code` is the contract's error code."""

    code = "error"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class BadRequest(KlantreisError):
    code = "bad_request"


class ValidationFailed(KlantreisError):
    code = "validation_failed"


class Unauthorized(KlantreisError):
    code = "unauthorized"


class Forbidden(KlantreisError):
    code = "forbidden"


class NotFound(KlantreisError):
    code = "not_found"


class Conflict(KlantreisError):
    code = "conflict"


class PayloadTooLarge(KlantreisError):
    code = "payload_too_large"


class Throttled(KlantreisError):
    """The store pushed back (throttling or lasting write contention); the client may retry."""

    code = "throttled"


class StoreUnavailable(Throttled):
    """The store failed transiently (DynamoDB 5xx, a timeout) after the SDK's own retries; nothing
    of the request was kept, so the client retries as for throttling (429, see docs/decisions.md)."""

    code = "unavailable"


class ConcurrentUpdate(Exception):
    """An optimistic write lost a race; internal to data access and the services that retry."""
