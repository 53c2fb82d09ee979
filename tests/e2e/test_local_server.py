"""`make dev` itself: the server process answers over a real socket, logs a line per request and
stops cleanly; its stream pump keeps the daily counters current."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from klantreis.journey.dynamo_store import DynamoSessionStore
from klantreis.projections.counters_dynamo_store import DynamoCounterStore
from klantreis_local.gateway import HANDLER_LOCK
from klantreis_local.server import stream_pump
from tests.e2e.conftest import Api
from tests.factories import batch, event

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30


def test_the_stream_pump_keeps_the_daily_counters_current(
    api: Api, sessions: DynamoSessionStore, dynamodb: Any, table_name: str
) -> None:
    counters = DynamoCounterStore(dynamodb, table_name)
    with stream_pump(dynamodb, table_name, interval=0.05):
        # given a tracked session with a cart
        assert api.post_events(batch(event(), event("add_to_cart"))).status == 200
        state = sessions.get("demo", "anna", "s-1")
        assert state is not None
        [day] = state.days
        # when the pump has had a few ticks
        deadline = time.monotonic() + 60  # a wait, not a measurement: generous for busy cores
        while time.monotonic() < deadline:
            with HANDLER_LOCK:  # the pump's thread writes to the same in-process moto
                totals = counters.day_totals("demo", day)
            if totals["sessions"]:
                break
            time.sleep(0.05)
    # then the day's counters hold the session, without anyone draining the stream by hand
    assert (totals["sessions"], totals["cart_sessions"]) == (1, 1)


def free_port() -> int:
    """A port that was free a moment ago. Racy (another process may take it before the caller
    binds it): kept only for test_capacity_race.py until it starts its servers on port 0 with
    `start_local_stack` and `start_serial_dynamodb`; nothing else may use it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Started:
    """A server process started by `_started`, its URL, and everything it prints (read by a
    thread of ours to the end, so the pipe never fills)."""

    process: subprocess.Popen[str]
    url: str
    _lines: list[str]
    _reader: threading.Thread

    def output(self, timeout: float = 15) -> str:
        """All it printed; call once it has exited."""
        self._reader.join(timeout)
        return "".join(self._lines)

    def stop(self, stop_signal: signal.Signals = signal.SIGTERM) -> str:
        """Sends the signal; returns its output once it has exited."""
        self.process.send_signal(stop_signal)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"the server ignored {stop_signal.name}:\n{self.output()}")
        return self.output()


def _started(command: list[str], env: dict[str, str], ready: re.Pattern[str]) -> Started:
    """Starts `command` and reads its output until a line matches `ready`, whose first group is
    the URL it serves on (the port the OS gave it)."""
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    found: list[str] = []
    ready_or_gone = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if not found and (match := ready.match(line)):
                found.append(match.group(1))
                ready_or_gone.set()
        ready_or_gone.set()

    reader = threading.Thread(target=read, name="server-output", daemon=True)
    reader.start()
    if not ready_or_gone.wait(STARTUP_SECONDS) or not found:
        process.kill()
        process.wait()
        pytest.fail(f"{command} did not say where it serves within {STARTUP_SECONDS}s:\n{''.join(lines)}")
    return Started(process, found[0], lines, reader)


def start_local_stack(env: dict[str, str]) -> Started:
    """`python -m klantreis_local` with PORT=0; its URL is read from its banner."""
    banner = re.compile(r"^Klantreis local stack on (http://127\.0\.0\.1:\d+) ")
    return _started([sys.executable, "-m", "klantreis_local"], {**env, "PORT": "0"}, banner)


def start_serial_dynamodb(env: dict[str, str]) -> Started:
    """`python -m klantreis_local.dbserver --port 0`; its endpoint URL is read from its first line."""
    ready = re.compile(r"^moto DynamoDB \(serial\) on (http://127\.0\.0\.1:\d+)")
    return _started([sys.executable, "-m", "klantreis_local.dbserver", "--port", "0"], env, ready)


def call(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def preflight(url: str, origin: str) -> dict[str, str]:
    """The CORS headers a browser's preflight of a widget POST gets."""
    asked = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-site-key",
    }
    with urllib.request.urlopen(
        urllib.request.Request(url, headers=asked, method="OPTIONS"), timeout=5
    ) as answer:
        return dict(answer.headers)


def wait_until_answering(base: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert server.poll() is None, server.communicate()[0]
        try:
            call("GET", f"{base}/v1/nothing")
            return
        except OSError:
            time.sleep(0.1)
    server.kill()
    pytest.fail(f"the server did not answer within {STARTUP_SECONDS}s:\n{server.communicate()[0]}")


def stop(server: subprocess.Popen[str], stop_signal: signal.Signals) -> str:
    """Sends the signal and returns the server's output once it has exited."""
    server.send_signal(stop_signal)
    try:
        return server.communicate(timeout=15)[0]
    except subprocess.TimeoutExpired:
        server.kill()
        pytest.fail(f"the server ignored {stop_signal.name}:\n{server.communicate()[0]}")


@pytest.mark.e2e
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "SIGTERM"])
def test_the_local_server_serves_logs_and_stops_cleanly(stop_signal: signal.Signals) -> None:
    # given the local stack as `make dev` starts it, on its own embedded DynamoDB
    # (on a port the OS picks, read from its banner)
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_ENDPOINT_URL")}
    stack = start_local_stack(env)
    server, base = stack.process, stack.url
    try:
        wait_until_answering(base, server)
        # when the widget posts a batch and an agent gets a token
        widget = {"X-Site-Key": "demo-site-key", "Origin": base, "Content-Type": "application/json"}
        tracked = call("POST", f"{base}/v1/events", batch(event()), widget)
        token = call("GET", f"{base}/dev/token?site_id=demo&sub=mirjam&role=agent")
        refused = call("DELETE", f"{base}/v1/visitors/anna", headers={"Authorization": "Bearer forged"})
        cors = preflight(f"{base}/v1/events", origin="https://shop.example")
    finally:
        # and the server is stopped
        output = stack.stop(stop_signal)

    # then each answered, the server logged one line per request and stopped without a traceback
    assert tracked == (200, {"accepted": 1, "duplicates": 0, "rejected": []}), output
    assert token[0] == 200
    assert token[1]["token"].count(".") == 1
    assert refused == (
        401,
        {"error": {"code": "unauthorized", "message": "a valid bearer token is required"}},
    )
    assert "X-Site-Key" in cors["Access-Control-Allow-Headers"]
    assert "POST" in cors["Access-Control-Allow-Methods"]
    assert server.returncode == 0, output
    assert re.search(r"^POST /v1/events 200 \d+\.\dms$", output, re.MULTILINE), output
    assert re.search(r"^GET /dev/token 200 \d+\.\dms$", output, re.MULTILINE), output
    assert f"{base}/dev/token?site_id=demo" in output
    assert re.search(r"^DELETE /v1/visitors/anna 401 \d+\.\dms$", output, re.MULTILINE), output
    assert "Traceback" not in output


@pytest.mark.e2e
def test_the_serial_dynamodb_server_binds_a_port_the_os_picks_and_serves_it() -> None:
    # given the serial DynamoDB server asked for port 0
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_ENDPOINT_URL")}
    dbserver = start_serial_dynamodb(env)
    endpoint = dbserver.url
    try:
        # when a client lists the tables at the endpoint it printed
        import boto3

        client = boto3.client(
            "dynamodb", endpoint_url=endpoint, region_name="eu-west-1",
            aws_access_key_id="x", aws_secret_access_key="x",
        )  # fmt: skip
        tables = client.list_tables()["TableNames"]
    finally:
        dbserver.stop()
    # then it answered there, on a port of its own
    assert tables == []
    assert not endpoint.endswith(":0")
