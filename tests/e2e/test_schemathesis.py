"""Schemathesis against the local stack: every operation of docs/openapi.json, every check, a
fixed seed, examples + coverage + fuzzing + stateful phases (the document's links chain a chat to
its reads, writes, discount, end and survey, an offer to its answer). Credentials per operation
and the ids of what the run created come from tests/e2e/schemathesis_hooks.py.

Pass means no server error, no undocumented status code, no response that breaks its schema:
schemathesis exits 0. The run's totals (cases generated, per check passed/failed) are printed and
kept in the JSON report next to the test's temporary directory.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chalice.config import Config
from chalice.local import create_local_server

from klantreis.sites import Site
from klantreis_local import gateway, server
from tests.e2e.conftest import WIDGET
from tests.factories import anna_journey, batch

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "openapi.json"
CONFIG = Path(__file__).with_name("schemathesis.toml")
SEED = 20261204
MAX_EXAMPLES = 25
"""Per operation and phase; with the coverage phase's cases this gives well over 1,000 cases."""
MIN_CASES = 1_000
QUALIFIED_VISITORS = 12
RUN_TIMEOUT_SECONDS = 900


@pytest.fixture
def stack(demo_site: Site, dynamodb: Any, table_name: str) -> Iterator[str]:
    """The local gateway on a real socket (an OS-chosen port), its stream pump and scheduled
    jobs running, the demo site seeded and visitors with Anna's journey tracked."""
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
        answer = requests.post(f"{base}/v1/events", json=body, headers=WIDGET, timeout=30)
        assert answer.status_code == 200, answer.text


def totals(report: dict[str, Any]) -> tuple[int, dict[str, dict[str, int]]]:
    """Cases generated and, per check, how many passed and failed (from the JSON run report)."""
    cases = int(report.get("summary", {}).get("total_cases", 0) or 0)
    checks: dict[str, dict[str, int]] = {}
    for name, counts in (report.get("summary", {}).get("checks") or {}).items():
        checks[name] = {"passed": int(counts.get("passed", 0)), "failed": int(counts.get("failed", 0))}
    return cases, checks


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
        "--phases", "examples,coverage,fuzzing,stateful",
        "--seed", str(SEED),
        "--max-examples", str(MAX_EXAMPLES),
        "--workers", "1",
        "--no-shrink",
        "--suppress-health-check", "all",
        "--request-timeout", "30",
        "--report", "json,ndjson",
        "--report-json-path", str(report_path),
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
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    cases, checks = totals(report)
    print(
        f"schemathesis: {cases} cases; "
        + ", ".join(f"{n} {c['passed']}/{c['failed']}" for n, c in checks.items())
    )
    assert run.returncode == 0, output[-20_000:]
    assert cases >= MIN_CASES, output[-5_000:]
