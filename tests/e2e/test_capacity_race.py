"""Capacity is exact under concurrency: several local stacks (each one Lambda instance: it runs
one request at a time) share one DynamoDB server (moto's, serving each request atomically as
DynamoDB does), and well over 100 chat requests arrive at once. No agent ever holds more than
`max_chats`, every free slot is used while chats wait, and the agents' counts, the chats and the
queue agree with each other afterwards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from klantreis import dynamo
from klantreis_local.runtime import DEFAULT_TABLE, REGION
from tests.e2e.test_local_server import ROOT, free_port, wait_until_answering

INSTANCES = 4
REQUESTS = 110
CATEGORY = "herenschoenen"
EXTRA_AGENTS = {"a1": 3, "a2": 3, "a3": 2, "a4": 4}
"""Besides the demo's mirjam and sven (2 each): 16 slots in all for the category."""
CAPACITY = 2 + 2 + sum(EXTRA_AGENTS.values())

pytestmark = pytest.mark.e2e


def call(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """One HTTP request; generous timeout, as requests wait their turn at their instance."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
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

    def items(self) -> list[dict[str, Any]]:
        pages = self.database.get_paginator("scan").paginate(TableName=DEFAULT_TABLE, ConsistentRead=True)
        return [dynamo.from_item(item) for page in pages for item in page["Items"]]


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


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
def cluster() -> Iterator[Cluster]:
    db_port = free_port()
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    base_env.update(
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        AWS_DEFAULT_REGION=REGION,
        KLANTREIS_LOCAL_TOKEN_SECRET="capacity-race-test-secret",
        POWERTOOLS_LOG_LEVEL="WARNING",
    )
    processes = [_start([sys.executable, "-m", "klantreis_local.dbserver", "--port", str(db_port)], base_env)]
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
        processes.append(_start([sys.executable, "-m", "klantreis_local"], {**env, "PORT": str(ports[0])}))
        wait_until_answering(bases[0], processes[-1])
        for port in ports[1:]:
            processes.append(
                _start(
                    [sys.executable, "-m", "klantreis_local"],
                    {**env, "PORT": str(port), "KLANTREIS_SEED": "0"},
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
                process.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


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


def test_over_a_hundred_simultaneous_chats_never_overfill_an_agent(cluster: Cluster) -> None:
    # given 16 free slots for the category across six agents, and four instances
    _agents_ready(cluster)
    # when 110 chats arrive at once, spread over the instances
    with ThreadPoolExecutor(max_workers=48) as pool:
        answers = list(pool.map(lambda n: _start_chat(cluster, n), range(REQUESTS)))
    # then every request was answered with a chat, exactly the free slots were taken, the rest
    # waits in the queue, and nothing disagrees
    assert all(status == 201 for status, _ in answers), [a for a in answers if a[0] != 201]
    statuses = Counter(answer["status"] for _, answer in answers)
    assert statuses == {"assigned": CAPACITY, "queued": REQUESTS - CAPACITY}, statuses
    chats, agents = _check_consistent(cluster)
    assert len(chats) == REQUESTS
    assert all(a["active_chats"] == a["max_chats"] for a in agents.values())

    # when every agent ends its chats while 30 more chats arrive, all at once
    ends = [(c["agent"]["agent_id"], c["PK"].rsplit("#", 1)[1]) for c in chats if c["status"] == "assigned"]
    bearers = {agent_id: cluster.bearer(agent_id, "agent") for agent_id, _ in ends}

    def end(pair: tuple[int, tuple[str, str]]) -> tuple[int, Any]:
        number, (agent_id, chat_id) = pair
        base = cluster.bases[number % INSTANCES]
        return call("POST", f"{base}/v1/chats/{chat_id}/end", {"resolved": True}, bearers[agent_id])

    with ThreadPoolExecutor(max_workers=48) as pool:
        ended = pool.map(end, enumerate(ends))
        more = pool.map(lambda n: _start_chat(cluster, n), range(REQUESTS, REQUESTS + 30))
        ended_answers, more_answers = list(ended), list(more)
    # then the freed slots went to waiting chats, and still no agent holds more than max_chats
    assert all(status == 200 for status, _ in ended_answers), [a for a in ended_answers if a[0] != 200]
    assert all(status == 201 for status, _ in more_answers), [a for a in more_answers if a[0] != 201]
    chats, agents = _check_consistent(cluster)
    assert Counter(c["status"] for c in chats) == {
        "ended": CAPACITY,
        "assigned": CAPACITY,
        "queued": REQUESTS + 30 - 2 * CAPACITY,
    }
