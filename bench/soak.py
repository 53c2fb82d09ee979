"""A soak of the local stack: `python -m klantreis_local` (what `make dev` runs) in its own process,
fed over HTTP by 8 clients with the REES46 sample replayed until 20,000 events are tracked, and
500 chats (started, ended, surveyed; every fifth surveyed twice, a 409) mixed in, so the table,
its stream and the stored chats grow as they would in a demo that runs for hours.

Measured: the latency of every request, as p50/p99 per 1,000 requests in the order they finished,
and the server's RSS (VmRSS, /proc) before the first request and after the last. Goals: the last
window's p99 within 1.5x of the first's; RSS growth under 300 MB. Afterwards the daily report
must count every tracked session (the stream kept flowing through the 409s).

The replay: each pass over the sample is another set of visitors (ids suffixed `-p<n>`), sent to
the demo site as the widget batches them (one batch per session and 10 s window,
rees46.widget_batches), and received now; the server moves event times onto its own clock.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import queue
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import rees46

EVENTS = 20_000
CHATS = 500
CLIENTS = 8
WINDOW = 1_000
P99_GOAL_RATIO = 1.5
RSS_GOAL_MB = 300
SECOND_SURVEY_EVERY = 5
SITE_ID = "demo"
SITE_KEY = "demo-site-key"
STARTUP_SECONDS = 60
REPORT_WAIT_SECONDS = 120
BANNER = re.compile(r"Klantreis local stack on (http://127\.0\.0\.1:(\d+)) ")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Chat:
    """One chat's requests: started by a tracked visitor, ended by the operator, surveyed."""

    visitor_id: str
    session_id: str
    surveys: int


@dataclass
class Timing:
    seconds: float
    status: int
    label: str


class LocalStack:
    """The server process; its log goes to a file (one line per request)."""

    def __init__(self) -> None:
        self.log = tempfile.NamedTemporaryFile(prefix="klantreis-soak-", suffix=".log", delete=False)  # noqa: SIM115
        env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_ENDPOINT_URL")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "klantreis_local"],
            cwd=rees46.REPO,
            env={**env, "PORT": "0"},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if found := BANNER.search(Path(self.log.name).read_text()):
                self.base = found.group(1)
                self.port = int(found.group(2))
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the local stack did not start:\n{self.output()}")

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        [kilobytes] = re.findall(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        return int(kilobytes) / 1024

    def output(self) -> str:
        return Path(self.log.name).read_text()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # SIGINT is ignored in background jobs
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


class Client:
    """One keep-alive HTTP connection, as a browser tab holds one."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def send(self, request: Request) -> tuple[int, Any, float]:
        body = None if request.body is None else json.dumps(request.body)
        started = time.perf_counter()
        try:
            self._connection.request(request.method, request.path, body=body, headers=request.headers)
            answer = self._connection.getresponse()
            raw = answer.read()
        except (OSError, http.client.HTTPException):
            self._connection.close()
            self._connection = http.client.HTTPConnection("127.0.0.1", self._port, timeout=120)
            return 0, None, time.perf_counter() - started
        elapsed = time.perf_counter() - started
        return answer.status, json.loads(raw) if raw else None, elapsed


def replayed_batches(sample: rees46.Sample, events: int) -> Iterator[dict[str, Any]]:
    """Widget batches of the sample, pass after pass with new visitors, until `events` are sent."""
    batches = rees46.widget_batches(sample.rows)
    sent = 0
    for number in itertools.count(1):
        for batch in batches:
            if sent >= events:
                return
            body = batch.body()
            body["visitor_id"] = f"{batch.visitor_id}-p{number}"
            body["session_id"] = f"{batch.session_id}-p{number}"
            for event in body["events"]:
                event["event_id"] = f"{event['event_id']}-p{number}"
            sent += len(body["events"])
            yield body


def workload(sample: rees46.Sample, events: int, chats: int) -> list[dict[str, Any] | Chat]:
    """The batches with the chats spread evenly among them, each chat by a visitor tracked just
    before it."""
    batches = list(replayed_batches(sample, events))
    every = max(1, len(batches) // max(chats, 1))
    jobs: list[dict[str, Any] | Chat] = []
    started = 0
    for n, batch in enumerate(batches, start=1):
        jobs.append(batch)
        if n % every == 0 and started < chats:
            started += 1
            surveys = 2 if started % SECOND_SURVEY_EVERY == 0 else 1
            jobs.append(Chat(batch["visitor_id"], batch["session_id"], surveys))
    return jobs


def run_chat(client: Client, chat: Chat, widget: dict[str, str], operator: dict[str, str]) -> list[Timing]:
    timings = []
    body = {"visitor_id": chat.visitor_id, "session_id": chat.session_id, "message": "Is dit op voorraad?"}
    status, started, seconds = client.send(Request("POST", "/v1/chats", body, widget))
    timings.append(Timing(seconds, status, "chat start"))
    if status != 201:
        return timings
    chat_id = started["chat_id"]
    end = Request("POST", f"/v1/chats/{chat_id}/end", {"resolved": True}, operator)
    status, _, seconds = client.send(end)
    timings.append(Timing(seconds, status, "chat end"))
    for n in range(chat.surveys):
        survey = {"chat_id": chat_id, "token": started["survey_token"], "csat": 4 + n % 2, "nps": 9}
        status, _, seconds = client.send(Request("POST", "/v1/surveys", survey, widget))
        timings.append(Timing(seconds, status, "survey" if n == 0 else "second survey"))
    return timings


def drive(stack: LocalStack, jobs: list[dict[str, Any] | Chat], clients: int) -> list[Timing]:
    widget = {"X-Site-Key": SITE_KEY, "Origin": stack.base, "Content-Type": "application/json"}
    setup = Client(stack.port)
    status, answer, _ = setup.send(Request("GET", f"/dev/token?site_id={SITE_ID}&sub=ops&role=operator"))
    if status != 200:
        raise RuntimeError(f"no operator token: {status} {answer}")
    operator = {"Authorization": f"Bearer {answer['token']}", "Content-Type": "application/json"}
    work: queue.SimpleQueue[dict[str, Any] | Chat | None] = queue.SimpleQueue()
    for job in jobs:
        work.put(job)
    for _ in range(clients):
        work.put(None)
    finished: list[Timing] = []
    lock = threading.Lock()

    def client_loop() -> None:
        client = Client(stack.port)
        while (job := work.get()) is not None:
            if isinstance(job, Chat):
                timings = run_chat(client, job, widget, operator)
            else:
                status, _, seconds = client.send(Request("POST", "/v1/events", job, widget))
                timings = [Timing(seconds, status, "events")]
            with lock:
                finished.extend(timings)

    threads = [threading.Thread(target=client_loop, name=f"soak-client-{n}") for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return finished


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def windows(timings: list[Timing], size: int = WINDOW) -> list[dict[str, Any]]:
    rows = []
    for start in range(0, len(timings), size):
        part = timings[start : start + size]
        milliseconds = [t.seconds * 1000 for t in part]
        rows.append(
            {
                "requests": f"{start + 1}-{start + len(part)}",
                "p50_ms": round(statistics.median(milliseconds), 1),
                "p99_ms": round(percentile(milliseconds, 0.99), 1),
                "max_ms": round(max(milliseconds), 1),
            }
        )
    return rows


def counted_sessions(stack: LocalStack, operator_token: str, tracked: int) -> int:
    """Sessions in the daily report (UTC today and its neighbours, so the site's time zone does
    not matter), once the stream pump has caught up or the wait is over."""
    today = datetime.now(UTC).date()
    query = f"from={today - timedelta(days=1)}&to={today + timedelta(days=1)}"
    client = Client(stack.port)
    headers = {"Authorization": f"Bearer {operator_token}"}
    deadline = time.monotonic() + REPORT_WAIT_SECONDS
    counted = -1
    while time.monotonic() < deadline:
        status, report, _ = client.send(Request("GET", f"/v1/reports/daily?{query}", headers=headers))
        if status == 200:
            counted = sum(row["sessions"] for row in report["rows"])
            if counted >= tracked:
                return counted
        time.sleep(2)
    return counted


def measure(events: int = EVENTS, chats: int = CHATS, clients: int = CLIENTS) -> dict[str, Any]:
    sample = rees46.load()
    jobs = workload(sample, events, chats)
    batches = [job for job in jobs if not isinstance(job, Chat)]
    tracked_sessions = len({(b["visitor_id"], b["session_id"]) for b in batches})
    stack = LocalStack()
    try:
        rss_start = stack.rss_mb()
        started = time.perf_counter()
        timings = drive(stack, jobs, clients)
        seconds = time.perf_counter() - started
        rss_end = stack.rss_mb()
        token_status, token, _ = Client(stack.port).send(
            Request("GET", f"/dev/token?site_id={SITE_ID}&sub=ops&role=operator")
        )
        counted = counted_sessions(stack, token["token"], tracked_sessions) if token_status == 200 else -1
        rss_after_report = stack.rss_mb()
    finally:
        exit_code = stack.stop()
    output = stack.output()
    rows = windows(timings)
    statuses = Counter(f"{t.label} {t.status}" for t in timings)
    return {
        "events": sum(len(b["events"]) for b in batches),
        "batches": len(batches),
        "chats": sum(1 for job in jobs if isinstance(job, Chat)),
        "clients": clients,
        "requests": len(timings),
        "seconds": round(seconds, 1),
        "windows": rows,
        "p99_ratio": round(rows[-1]["p99_ms"] / rows[0]["p99_ms"], 2),
        "p99_goal_ratio": P99_GOAL_RATIO,
        "rss_start_mb": round(rss_start, 1),
        "rss_end_mb": round(rss_end, 1),
        "rss_after_report_mb": round(rss_after_report, 1),
        "rss_growth_mb": round(rss_end - rss_start, 1),
        "rss_goal_mb": RSS_GOAL_MB,
        "statuses": dict(sorted(statuses.items())),
        "server_errors": sum(1 for t in timings if t.status >= 500 or t.status == 0),
        "tracked_sessions": tracked_sessions,
        "report_sessions": counted,
        "server_exit_code": exit_code,
        "server_tracebacks": output.count("Traceback"),
        "server_log": stack.log.name,
    }
