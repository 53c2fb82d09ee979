"""No function imports boto3 on its cold path: the clients come from botocore directly
(`klantreis.aws`), the item codec is our own (`klantreis.dynamo_types`). For every function of the
template, a fresh interpreter runs what bench/coldstart.py times for it (the handler's import, the
settings and the DynamoDB client, the services of its first request, and that request), then
names the modules of boto3 and s3transfer it holds: none."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench import coldstart
from klantreis_local import template

_SCRIPT = """\
import json, socket, sys
sys.path[:0] = {paths!r}

def _no_network(*args, **kwargs):
    raise RuntimeError("a cold start must not touch the network")

socket.socket.connect = _no_network
{body}
sys.stdout.write("\\n" + json.dumps(sorted(
    name for name in sys.modules if name.split(".")[0] in ("boto3", "s3transfer")
)) + "\\n")
"""

FUNCTIONS = [target for target in coldstart.targets() if target.name != coldstart.BASELINE]


def test_every_function_of_the_template_is_checked() -> None:
    assert {target.name for target in FUNCTIONS} == {spec.logical_id for spec in template.functions()}


@pytest.mark.parametrize("target", FUNCTIONS, ids=[target.name for target in FUNCTIONS])
def test_a_cold_start_imports_no_boto3(target: coldstart.Target) -> None:
    # given the function's own code folder first on the path, as Lambda puts it
    paths = [str(coldstart.ROOT / target.code)] if target.code else []
    # when a fresh interpreter starts it cold, as the bench times it
    done = subprocess.run(
        [sys.executable, "-B", "-c", _SCRIPT.format(paths=paths, body=target.body)],
        env=target.environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # then neither boto3 nor s3transfer was imported
    assert json.loads(done.stdout.splitlines()[-1]) == []
