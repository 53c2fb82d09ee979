"""Capacity is exact under concurrency: several local stacks (each one Lambda instance: it runs
one request at a time) share one DynamoDB server (moto's serial server,
`klantreis_local.dbserver`, serving each request atomically as DynamoDB does), and well over 100
chat requests arrive at once. No agent ever holds more than `max_chats`, every free slot is used
while chats wait, freed slots go to the waiting chats (head of the queue first) before any new
arrival, and the agents' counts, the chats and the queue agree with each other afterwards.

The six agents' consoles send heartbeats throughout, as open consoles do, and every phase starts
with all six present: the scenario runs longer than the 2-minute presence window, and an agent
who went silent would be swept offline mid-test with her chats."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from klantreis import dynamo
from klantreis_local.runtime import DEFAULT_TABLE, REGION
from tests.e2e.test_local_server import ROOT, free_port, wait_until_answering

INSTANCES = 4
CLIENTS = 3 * INSTANCES
"""Simultaneous clients: each instance always has its next request waiting (which is all the
interleaving four one-at-a-time instances can have), without a long line at any of them."""
REQUESTS = 110
ARRIVALS = 30
CATEGORY = "herenschoenen"
EXTRA_AGENTS = {"a1": 3, "a2": 3, "a3": 2, "a4": 4}
"""Besides the demo's mirjam and sven (2 each): 16 slots in all for the category."""
CAPACITY = 2 + 2 + sum(EXTRA_AGENTS.values())
AGENTS = ("mirjam", "sven", *EXTRA_AGENTS)
HEARTBEAT_EVERY_SECONDS = 20.0
"""Well inside the 120 s presence window, even when a heartbeat waits its turn behind a burst."""

pytestmark = pytest.mark.e2e


def call(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """One HTTP request. Requests wait their turn at their instance, so the timeout only guards
    against a hung stack: how long a request takes is not what this test is about."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=900) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


@dataclass
class Cluster:
    bases: list[str]
    database: Any

    def widget(self, index: int) -> dict[str, str]:
        return {"X-Site-Key": "demo-site-key", "Origin": self.bases[0], "Content-Type": "application/json"}

    def bearer(self, sub: str, role: str) -> dict[str, str]:
        status, answer = call("GET", f"{self.bases[0]}/dev/token?site_id=demo&sub={sub}&role={role}")
        assert status == 200
        return {"Authorization": f"Bearer {answer['token']}", "Content-Type": "application/json"}

    def agents(self) -> dict[str, dict[str, Any]]:
        """The site's agents as the console shows them (status is effective: silent = offline)."""
        status, answer = call("GET", f"{self.bases[0]}/v1/agents", headers=self.bearer("ops", "operator"))
        assert status == 200, answer
        return {agent["agent_id"]: agent for agent in answer["agents"]}

    def items(self) -> list[dict[str, Any]]:
        pages = self.database.get_paginator("scan").paginate(TableName=DEFAULT_TABLE, ConsistentRead=True)
        return [dynamo.from_item(item) for page in pages for item in page["Items"]]


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[str]:
    """Its output goes to `log`: a pipe nobody reads would fill up and stall the server."""
    with log.open("w") as output:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, text=True)


def _print_failures(logs: Iterable[Path]) -> None:
    """The servers' tracebacks, if any: pytest shows them with a failing test."""
    for log in logs:
        text = log.read_text(errors="replace")
        if "Traceback" in text:
            print(f"==== {log.name}\n{text[text.index('Traceback') :][-20_000:]}")


def _wait_for(database: Any) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            database.list_tables()
            return
        except Exception:  # not listening yet
            time.sleep(0.1)
    pytest.fail("the database server did not start")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    logs = tmp_path_factory.mktemp("capacity-race")
    db_port = free_port()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    base_env.update(
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        AWS_DEFAULT_REGION=REGION,
        KLANTREIS_LOCAL_TOKEN_SECRET="capacity-race-test-secret",
        POWERTOOLS_LOG_LEVEL="WARNING",
    )
    processes = [
        _start(
            [sys.executable, "-m", "klantreis_local.dbserver", "--port", str(db_port)],
            base_env,
            logs / "db.log",
        )
    ]
    endpoint = f"http://127.0.0.1:{db_port}"
    database = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    try:
        _wait_for(database)
        env = {**base_env, "AWS_ENDPOINT_URL_DYNAMODB": endpoint}
        ports = [free_port() for _ in range(INSTANCES)]
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        # The first instance creates the table and seeds the demo; the others join it.
        processes.append(
            _start(
                [sys.executable, "-m", "klantreis_local"],
                {**env, "PORT": str(ports[0])},
                logs / "stack-0.log",
            )
        )
        wait_until_answering(bases[0], processes[-1])
        for number, port in enumerate(ports[1:], start=1):
            processes.append(
                _start(
                    [sys.executable, "-m", "klantreis_local"],
                    {**env, "PORT": str(port), "KLANTREIS_SEED": "0"},
                    logs / f"stack-{number}.log",
                )
            )
        for base, process in zip(bases[1:], processes[2:], strict=True):
            wait_until_answering(base, process)
        yield Cluster(bases, database)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        _print_failures(sorted(logs.iterdir()))


def _agents_ready(cluster: Cluster) -> None:
    operator = cluster.bearer("ops", "operator")
    for agent_id, max_chats in EXTRA_AGENTS.items():
        profile = {"display_name": agent_id.upper(), "categories": [CATEGORY], "max_chats": max_chats}
        status, answer = call("PUT", f"{cluster.bases[0]}/v1/agents/{agent_id}", profile, operator)
        assert status in (200, 201), answer
        status, answer = call(
            "PUT", f"{cluster.bases[0]}/v1/agents/{agent_id}/status", {"status": "available"},
            cluster.bearer(agent_id, "agent"),
        )  # fmt: skip
        assert status == 200, answer


class Consoles:
    """The agents' open consoles: each sends a heartbeat every HEARTBEAT_EVERY_SECONDS, spread
    over the instances, until stopped."""

    def __init__(self, cluster: Cluster, agent_ids: Iterable[str]) -> None:
        self._cluster = cluster
        self._bearers = {agent_id: cluster.bearer(agent_id, "agent") for agent_id in agent_ids}
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="consoles", daemon=True)
        self.failures: list[tuple[str, int, Any]] = []

    def beat(self) -> None:
        """One heartbeat per console, all at once (each waits its turn at its instance)."""
        with ThreadPoolExecutor(max_workers=len(self._bearers)) as pool:
            for number, agent_id in enumerate(self._bearers):
                pool.submit(self._beat, self._cluster.bases[number % INSTANCES], agent_id)

    def _beat(self, base: str, agent_id: str) -> None:
        status, answer = call(
            "POST", f"{base}/v1/agents/{agent_id}/heartbeat", headers=self._bearers[agent_id]
        )
        if status != 200:
            self.failures.append((agent_id, status, answer))

    def _run(self) -> None:
        while not self._stopping.wait(HEARTBEAT_EVERY_SECONDS):
            self.beat()

    def __enter__(self) -> Consoles:
        self.beat()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopping.set()
        self._thread.join(timeout=900)


def _all_present(cluster: Cluster, consoles: Consoles) -> dict[str, dict[str, Any]]:
    """Every agent available and present (the effective status), every heartbeat answered."""
    agents = cluster.agents()
    assert not consoles.failures, consoles.failures
    assert {agent_id: agents[agent_id]["status"] for agent_id in AGENTS} == dict.fromkeys(AGENTS, "available")
    return agents


def _start_chat(cluster: Cluster, number: int) -> tuple[int, Any]:
    base = cluster.bases[number % INSTANCES]
    body = {"visitor_id": f"v-{number}", "session_id": "s-1", "category": CATEGORY, "message": "Hallo?"}
    return call("POST", f"{base}/v1/chats", body, cluster.widget(number))


def _check_consistent(cluster: Cluster) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Every agent within max_chats; agents' counts and chat ids agree with the chats; the queue
    holds exactly the queued chats; the queue statistics count them."""
    items = cluster.items()
    chats = [i for i in items if i["SK"] == "CHAT"]
    agents = {str(i["agent_id"]): i for i in items if str(i["SK"]).startswith("AGENT#")}
    holding = Counter(c["agent"]["agent_id"] for c in chats if c["status"] == "assigned")
    for agent_id, agent in agents.items():
        assert agent["active_chats"] <= agent["max_chats"], agent
        assert agent["active_chats"] == holding[agent_id], (agent_id, agent, holding)
        assigned = {c["PK"].rsplit("#", 1)[1] for c in chats if c.get("agent", {}).get("agent_id") == agent_id
                    and c["status"] == "assigned"}  # fmt: skip
        assert set(agent.get("chat_ids") or ()) == assigned
    queued = {c["PK"].rsplit("#", 1)[1] for c in chats if c["status"] == "queued"}
    entries = {str(i["chat_id"]) for i in items if str(i["PK"]).endswith("#QUEUE")}
    assert entries == queued
    [stats] = [i for i in items if i["SK"] == "ROUTING#STATS"]
    assert stats.get(f"q#{CATEGORY}", 0) == len(queued)
    return chats, agents


def _queue_keys(cluster: Cluster) -> list[str]:
    """The chat ids in the queue, in service order (priority, then age)."""
    entries = [i for i in cluster.items() if str(i["PK"]).endswith("#QUEUE")]
    return [str(e["chat_id"]) for e in sorted(entries, key=lambda e: str(e["SK"]))]


def test_over_a_hundred_simultaneous_chats_never_overfill_an_agent(cluster: Cluster) -> None:
    # given 16 free slots for the category across six present agents, and four instances
    _agents_ready(cluster)
    with Consoles(cluster, AGENTS) as consoles:
        agents = _all_present(cluster, consoles)
        assert sum(agents[a]["free_slots"] for a in AGENTS) == CAPACITY
        # when 110 chats arrive at once, spread over the instances
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            answers = list(pool.map(lambda n: _start_chat(cluster, n), range(REQUESTS)))
        # then every request was answered with a chat, exactly the free slots were taken, the
        # rest waits in the queue, and nothing disagrees
        assert all(status == 201 for status, _ in answers), [a for a in answers if a[0] != 201]
        chats, agents = _check_consistent(cluster)
        status_of = {c["PK"].rsplit("#", 1)[1]: c["status"] for c in chats}
        assert Counter(status_of.values()) == {"assigned": CAPACITY, "queued": REQUESTS - CAPACITY}
        # (an answer may say queued for a chat another instance's drain assigned right after)
        assert all(status_of[a["chat_id"]] == "assigned" for _, a in answers if a["status"] == "assigned")
        assert all(a["active_chats"] == a["max_chats"] for a in agents.values())

        # given every agent still present, and the queue's order
        _all_present(cluster, consoles)
        waiting = _queue_keys(cluster)
        assert len(waiting) == REQUESTS - CAPACITY
        # when every agent ends its chats while 30 more chats arrive, all at once and interleaved
        ends = [
            (c["agent"]["agent_id"], c["PK"].rsplit("#", 1)[1]) for c in chats if c["status"] == "assigned"
        ]
        bearers = {agent_id: cluster.bearer(agent_id, "agent") for agent_id in AGENTS}

        def end(number: int, agent_id: str, chat_id: str) -> tuple[int, Any]:
            base = cluster.bases[number % INSTANCES]
            return call("POST", f"{base}/v1/chats/{chat_id}/end", {"resolved": True}, bearers[agent_id])

        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            ended: list[Future[tuple[int, Any]]] = []
            more: list[Future[tuple[int, Any]]] = []
            arrivals = iter(range(REQUESTS, REQUESTS + ARRIVALS))
            for number, (agent_id, chat_id) in enumerate(ends):
                ended.append(pool.submit(end, number, agent_id, chat_id))
                more.extend(pool.submit(_start_chat, cluster, n) for n in itertools.islice(arrivals, 2))
            more.extend(pool.submit(_start_chat, cluster, n) for n in arrivals)
            ended_answers = [future.result() for future in ended]
            more_answers = [future.result() for future in more]
        # then the freed slots went to the head of the queue, none to a new arrival, and still
        # no agent holds more than max_chats
        assert all(status == 200 for status, _ in ended_answers), [a for a in ended_answers if a[0] != 200]
        assert all(status == 201 for status, _ in more_answers), [a for a in more_answers if a[0] != 201]
        assert [answer["status"] for _, answer in more_answers] == ["queued"] * ARRIVALS
        chats, agents = _check_consistent(cluster)
        assert Counter(c["status"] for c in chats) == {
            "ended": CAPACITY,
            "assigned": CAPACITY,
            "queued": REQUESTS + ARRIVALS - 2 * CAPACITY,
        }
        assigned = {c["PK"].rsplit("#", 1)[1] for c in chats if c["status"] == "assigned"}
        assert assigned == set(waiting[:CAPACITY])
        assert _queue_keys(cluster)[: len(waiting) - CAPACITY] == waiting[CAPACITY:]
        _all_present(cluster, consoles)
