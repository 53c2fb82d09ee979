"""A small in-memory memo per Lambda instance: what a loader returned for a key, kept for a
while and for a bounded number of keys (least recently used go first). Sites, their settings,
models and page statistics change rarely and are read on every request."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class TtlCache(Generic[Value]):
    def __init__(
        self, ttl_seconds: float, *, max_entries: int = 1024, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Value]] = OrderedDict()

    def get(
        self,
        key: str,
        load: Callable[[str], Value],
        *,
        stale_on: tuple[type[BaseException], ...] = (),
    ) -> Value:
        """The cached value while fresh, else `load(key)` (also cached, None included). When the
        load raises one of `stale_on` and an expired value exists, that value serves again."""
        now = self._clock()
        cached = self._entries.get(key)
        if cached is not None and now - cached[0] < self._ttl:
            self._entries.move_to_end(key)
            return cached[1]
        try:
            value = load(key)
        except stale_on:
            if cached is None:
                raise
            value = cached[1]
        self._entries[key] = (now, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
        return value

    def forget(self, key: str) -> None:
        self._entries.pop(key, None)
