"""`make dev` with many clients: fifty at once are all answered, and Ctrl-C with clients still
connected stops the server cleanly (exit 0, no traceback, the port free again)."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import batch, event

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 50
BANNER = re.compile(r"^Klantreis local stack on http://127\.0\.0\.1:(\d+) ")


class LocalStack:
    """`python -m klantreis_local` on a port the OS chose (PORT=0), read from its banner."""

    def __init__(self) -> None:
        env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_ENDPOINT_URL")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "klantreis_local"],
            cwd=ROOT,
            env={**env, "PORT": "0", "KLANTREIS_DEMO_PRESENCE": "0"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        self.output: list[str] = []
        for line in self.process.stdout:  # ends when the process does
            self.output.append(line)
            if found := BANNER.match(line):
                self.port = int(found.group(1))
                return
        pytest.fail(f"the server did not start:\n{self.finish()}")

    def finish(self, stop_signal: signal.Signals | None = None) -> str:
        """Signals the server (if given), waits for it to exit and returns all it printed."""
        if stop_signal is not None:
            self.process.send_signal(stop_signal)
        try:
            rest = self.process.communicate(timeout=30)[0]
        except subprocess.TimeoutExpired:
            self.process.kill()
            rest = self.process.communicate()[0]
            pytest.fail(f"the server did not stop:\n{''.join(self.output)}{rest}")
        return "".join(self.output) + rest


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    started = LocalStack()
    yield started
    if started.process.poll() is None:
        started.finish(signal.SIGTERM)


def track(port: int, visitor: str) -> tuple[int, dict[str, object]]:
    """One widget batch on a new connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        body = json.dumps(batch(event(), visitor_id=visitor))
        headers = {
            "X-Site-Key": "demo-site-key",
            "Origin": f"http://127.0.0.1:{port}",
            "Content-Type": "application/json",
        }
        connection.request("POST", "/v1/events", body=body, headers=headers)
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        connection.close()


@pytest.mark.e2e
def test_fifty_clients_at_once_are_all_answered(stack: LocalStack) -> None:
    # given fifty widgets that connect at the same moment
    start = threading.Barrier(CLIENTS)
    answers: dict[int, tuple[int, dict[str, object]] | BaseException] = {}

    def client(n: int) -> None:
        start.wait()
        try:
            answers[n] = track(stack.port, f"v-{n}")
        except (OSError, http.client.HTTPException) as failed:
            answers[n] = failed

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    # when each posts a batch
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then every one was answered, none reset
    assert answers == {n: (200, {"accepted": 1, "duplicates": 0, "rejected": []}) for n in range(CLIENTS)}, (
        stack.finish(signal.SIGTERM)
    )


@pytest.mark.e2e
def test_ctrl_c_with_clients_connected_stops_cleanly_and_frees_the_port(stack: LocalStack) -> None:
    # given a client that was answered and keeps its connection open, and one idle connection
    kept = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
    kept.request("GET", "/dev/token?site_id=demo&sub=mirjam&role=agent")
    answer = kept.getresponse()
    answer.read()
    assert answer.status == 200
    idle = socket.create_connection(("127.0.0.1", stack.port), timeout=30)
    try:
        # when Ctrl-C is pressed
        output = stack.finish(signal.SIGINT)
    finally:
        kept.close()
        idle.close()
    # then the server said so and exited 0, without a traceback, and its port is free again
    assert stack.process.returncode == 0, output
    assert output.rstrip().endswith("stopped"), output
    assert "Traceback" not in output, output
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", stack.port))
