"""A DynamoDB client that fails chosen calls the way DynamoDB does, and otherwise is the real
(moto) client: throttling and 5xx that moto cannot produce. The errors stand for what is left
after botocore's own retries, so they are raised above botocore, where our code sees them."""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from klantreis import dynamo
from klantreis_local import runtime

THROTTLED = "ProvisionedThroughputExceededException"
SERVER_ERROR = "InternalServerError"
STATUS_BY_CODE = {THROTTLED: 400, "ThrottlingException": 400, SERVER_ERROR: 500, "ServiceUnavailable": 503}


@dataclass(frozen=True)
class Fault:
    code: str
    after_write: bool
    """True: the call takes effect and only its answer is lost (a timeout after the commit)."""


def client_error(code: str, operation: str) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": f"injected {code}"},
        "ResponseMetadata": {"HTTPStatusCode": STATUS_BY_CODE.get(code, 400)},
    }
    return ClientError(response, operation)


class FaultyDynamoDB:
    """Wraps a DynamoDB client; `fail(operation, ...)` queues faults for the next calls of it."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self._faults: dict[str, deque[Fault]] = {}
        self._conditions: dict[str, Callable[[dict[str, Any]], bool]] = {}
        self.injected: list[tuple[str, str]] = []

    def fail(
        self,
        operation: str,
        code: str = THROTTLED,
        *,
        times: int = 1,
        after_write: bool = False,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """The next `times` calls of `operation` (whose request `when` accepts) fail with `code`."""
        self._faults.setdefault(operation, deque()).extend([Fault(code, after_write)] * times)
        if when is not None:
            self._conditions[operation] = when

    def pending(self) -> int:
        return sum(len(queue) for queue in self._faults.values())

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._real, name)
        if not callable(real):
            return real

        def call(*args: Any, **request: Any) -> Any:
            queue = self._faults.get(name)
            accepts = self._conditions.get(name, lambda _: True)
            if not queue or not accepts(request):
                return real(*args, **request)
            fault = queue.popleft()
            self.injected.append((name, fault.code))
            if fault.after_write:
                real(*args, **request)
            raise client_error(fault.code, name)

        return call


@contextmanager
def faulty_client(dynamodb: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultyDynamoDB]:
    """Every function's services built on a FaultyDynamoDB around `dynamodb`, for this block."""
    faulty = FaultyDynamoDB(dynamodb)
    with monkeypatch.context() as patch:
        patch.setattr(dynamo, "client", functools.cache(lambda: faulty))
        runtime.reset_caches()
        yield faulty
    runtime.reset_caches()
