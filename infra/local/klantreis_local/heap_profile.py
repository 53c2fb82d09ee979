"""A heap profile of the local stack, for finding what grows while it serves (a debugging aid,
off unless asked for): KLANTREIS_TRACEMALLOC=<file> starts tracemalloc before anything is
imported, and the largest allocation sites (by traceback) are appended to the file every
KLANTREIS_TRACEMALLOC_SECONDS (default 60), on SIGUSR1, and when the server stops, each with the
traced total and the process's RSS, so what Python holds and what the process holds can be told
apart (docs/operations.md)."""

from __future__ import annotations

import gc
import os
import re
import signal
import threading
import tracemalloc
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

FRAMES = 1
"""Frames kept per allocation: one keeps a soak's pace bearable; more name the callers."""
TOP = 25
DEFAULT_INTERVAL_SECONDS = 60.0


def rss_mb() -> float:
    """This process's resident set (VmRSS), in MB."""
    status = Path("/proc/self/status").read_text()
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else 0.0


class HeapProfile:
    """tracemalloc with reports appended to one file: each names what grew since the first."""

    def __init__(self, path: Path, interval_seconds: float) -> None:
        self.path = path
        self.interval_seconds = interval_seconds
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._worker = threading.Thread(target=self._run, name="heap-profile", daemon=True)
        self._first: tracemalloc.Snapshot | None = None

    def start(self) -> None:
        tracemalloc.start(int(os.environ.get("KLANTREIS_TRACEMALLOC_FRAMES") or FRAMES))
        signal.signal(signal.SIGUSR1, self._on_signal)
        self._worker.start()

    def stop(self) -> None:
        self._stopping.set()
        self._worker.join(timeout=5)
        self.write("stopping")
        tracemalloc.stop()

    def write(self, reason: str) -> None:
        with self._lock:
            snapshot = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__)]
            )
            traced, peak = tracemalloc.get_traced_memory()
            lines = [
                f"=== {datetime.now(UTC).isoformat(timespec='seconds')} ({reason}): "
                f"traced {traced / 2**20:.1f} MB (peak {peak / 2**20:.1f}), RSS {rss_mb():.1f} MB, "
                f"{threading.active_count()} threads"
            ]
            lines.append("--- live objects by type (gc)")
            kinds = Counter(type(thing).__qualname__ for thing in gc.get_objects())
            lines.extend(f"{count:12d} {kind}" for kind, count in kinds.most_common(TOP))
            if self._first is None:
                self._first = snapshot
            lines.append("--- largest growth since the first report, by allocating line")
            for diff in snapshot.compare_to(self._first, "lineno")[:TOP]:
                where = diff.traceback[0]
                lines.append(f"{diff.size_diff / 2**20:+9.2f} MB {diff.count_diff:+9d} blocks  {where}")
            lines.append("--- largest growth since the first report, by traceback")
            for diff in snapshot.compare_to(self._first, "traceback")[:TOP]:
                lines.append(f"{diff.size_diff / 2**20:+9.2f} MB {diff.count_diff:+9d} blocks")
                lines.extend(f"    {line}" for line in diff.traceback.format(most_recent_first=True))
            with self.path.open("a") as report:
                report.write("\n".join(lines) + "\n")

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Written on a thread of its own: the signal may arrive while the main thread holds a lock.
        threading.Thread(target=self.write, args=("SIGUSR1",), name="heap-profile-now", daemon=True).start()

    def _run(self) -> None:
        while not self._stopping.wait(self.interval_seconds):
            self.write("periodic")


def from_environment() -> HeapProfile | None:
    """The profile KLANTREIS_TRACEMALLOC asks for, started; None when it is not set."""
    target = os.environ.get("KLANTREIS_TRACEMALLOC")
    if not target:
        return None
    seconds = os.environ.get("KLANTREIS_TRACEMALLOC_SECONDS") or DEFAULT_INTERVAL_SECONDS
    try:
        interval = float(seconds)
    except ValueError:
        raise SystemExit(f"KLANTREIS_TRACEMALLOC_SECONDS must be a number, not {seconds!r}") from None
    if interval <= 0:
        raise SystemExit("KLANTREIS_TRACEMALLOC_SECONDS must be positive")
    profile = HeapProfile(Path(target), interval)
    profile.start()
    return profile
