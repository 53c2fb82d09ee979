"""Schemathesis against the local stack: every operation of docs/openapi.json, every check, a
fixed seed, examples + coverage + fuzzing + stateful phases (the document's links chain a chat to
its reads, writes, discount, end and survey, an offer to its answer). Credentials per operation
and the ids of what the run created come from tests/e2e/schemathesis_hooks.py.

Pass means no server error, no undocumented status code, no response that breaks its schema:
schemathesis exits 0 with every check passed. The run's totals (cases generated, per check passed
and failed) are printed (`pytest -s`); the JSON and NDJSON reports stay in the test's temporary
directory. tests/e2e/schemathesis.toml holds the few expectations OpenAPI cannot state.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from chalice.config import Config
from chalice.local import create_local_server

from klantreis.agents.dynamo_store import DynamoAgentStore
from klantreis.agents.ports import AgentProfile
from klantreis.sites import Site
from klantreis_local import gateway, runtime, server
from tests.e2e.conftest import WIDGET
from tests.factories import anna_journey, batch

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "openapi.json"
CONFIG = Path(__file__).with_name("schemathesis.toml")
SEED = 20261204
MAX_EXAMPLES = 20
"""Per operation and phase; with the coverage phase's cases this gives well over 1,000 cases."""
MIN_CASES = 1_000
QUALIFIED_VISITORS = 12
RUN_TIMEOUT_SECONDS = 900
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
"""The widget runs in a browser; schemathesis' own User-Agent is a bot, whom `decide` never offers."""


TEAM = [f"team-{n}" for n in range(3)]
"""Agents with room for many chats, whom the hooks never touch: the fuzzer sets mirjam and sven
away or offline and fills their two slots, and without a free agent `decide` offers nothing."""


@pytest.fixture
def stack(demo_site: Site, dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The local gateway on a real socket (an OS-chosen port), its stream pump and scheduled
    jobs running, the demo site seeded with a team of present agents, and visitors with Anna's
    journey tracked."""
    agents = DynamoAgentStore(dynamodb, table_name)
    now = datetime.now(UTC)
    for agent_id in TEAM:
        agents.put(
            AgentProfile(
                site_id=demo_site.site_id, agent_id=agent_id, display_name=agent_id.title(),
                categories=["dameslaarzen", "herenschoenen", "sneakers"], max_chats=20,
                status="available", discount_mandate_percent=20, last_seen_at=now, status_changed_at=now,
            )
        )  # fmt: skip
    # The scheduler's presence keeper heartbeats the team as it does the demo agents.
    monkeypatch.setattr(runtime, "DEMO_AGENTS", (*runtime.DEMO_AGENTS, *TEAM))
    app = gateway.build_app()
    config = Config.create(lambda_timeout=gateway.FUNCTION_TIMEOUT_MS // 1000)
    http = create_local_server(app, config, "127.0.0.1", 0).server
    # The request handler `make dev` uses (it answers TRACE too).
    http.RequestHandlerClass = functools.partial(server.RequestLogHandler, app_object=app, config=config)
    base = f"http://127.0.0.1:{http.server_address[1]}"
    serving = threading.Thread(target=http.serve_forever, name="schemathesis-stack", daemon=True)
    serving.start()
    try:
        with server.stream_pump(dynamodb, table_name), server.scheduled_jobs(dynamodb, table_name):
            track_qualified_visitors(base)
            yield base
    finally:
        http.shutdown()
        http.server_close()
        serving.join(timeout=10)


def track_qualified_visitors(base: str) -> None:
    import requests

    for n in range(QUALIFIED_VISITORS):
        body = batch(*anna_journey(), visitor_id=f"anna-{n}", session_id="s-1")
        headers = {**WIDGET, "User-Agent": BROWSER}  # a session tracked from a bot is never offered
        answer = requests.post(f"{base}/v1/events", json=body, headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text


def totals(report_path: Path, events_path: Path) -> tuple[int, dict[str, Counter[str]]]:
    """Cases generated (the JSON run report) and each check's outcomes over every case (the
    NDJSON event stream: each finished scenario records its cases' checks)."""
    cases = 0
    if report_path.exists():
        cases = int(json.loads(report_path.read_text())["test_cases"]["generated"])
    checks: dict[str, Counter[str]] = defaultdict(Counter)
    lines = events_path.read_text().splitlines() if events_path.exists() else []
    for line in lines:
        finished = json.loads(line).get("ScenarioFinished")
        if not finished:
            continue
        for results in (finished.get("recorder", {}).get("checks") or {}).values():
            for result in results:
                checks[result["name"]][result["status"]] += 1
    return cases, dict(checks)


@pytest.mark.e2e
@pytest.mark.slow
def test_schemathesis_finds_no_server_error_undocumented_status_or_schema_violation(
    stack: str, tmp_path: Path
) -> None:
    report_path = tmp_path / "schemathesis.json"
    events_path = tmp_path / "schemathesis.ndjson"
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "run", str(DOCUMENT),
        "--url", stack,
        "--checks", "all",
        # Response time is the benchmarks' to measure: its check stands only for "not hung" (the
        # request timeout), since a tighter limit is a wall-clock assertion on 2 busy cores.
        "--max-response-time", "30",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--seed", str(SEED),
        "--max-examples", str(MAX_EXAMPLES),
        "--workers", "1",
        "--no-shrink",
        "--suppress-health-check", "all",
        "--request-timeout", "30",
        "--header", f"User-Agent: {BROWSER}",
        "--report", "json,ndjson",
        "--report-json-path", str(report_path),
        "--report-ndjson-path", str(events_path),
    ]  # fmt: skip
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "SCHEMATHESIS_HOOKS": "tests.e2e.schemathesis_hooks",
        "KLANTREIS_BASE_URL": stack,
        "KLANTREIS_ORIGIN": WIDGET["Origin"],
        "KLANTREIS_QUALIFIED_VISITORS": str(QUALIFIED_VISITORS),
        "KLANTREIS_HOOKS_SEED": str(SEED),
        "NO_COLOR": "1",
    }
    run = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS, check=False
    )
    output = run.stdout + run.stderr
    print(output)
    cases, checks = totals(report_path, events_path)
    print(f"schemathesis totals: {cases} cases generated")
    for name, outcomes in sorted(checks.items()):
        print(f"  {name}: {outcomes['success']} passed, {outcomes['failure']} failed")
    assert run.returncode == 0, output[-20_000:]
    assert cases >= MIN_CASES, output[-5_000:]
    assert not any(outcomes["failure"] for outcomes in checks.values()), checks
