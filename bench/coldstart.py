"""Cold import+init of each function, against the baseline `import boto3; boto3.client("dynamodb")`.

Each measurement is a fresh interpreter (`python -I -c ...`) that times, with perf_counter, the
import of the handler module named by template.yaml's Handler and the function's first-use
initialisation: settings, the DynamoDB client through klantreis.dynamo.client(), and the services
the function builds on its first request (the track function's tracker and site directory, the
aggregation's counter store). The environment is a Lambda-like one with fake credentials and no
config files; creating clients does not touch the network. Interpreter start-up itself is not
timed (Lambda pays it for the baseline too). Bytecode caches are warm (one discarded run first),
as in a layer built by pip.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from klantreis_local import template

BASELINE = "baseline"
BASELINE_BODY = 'import boto3\nboto3.client("dynamodb")\n'

COMPONENTS: dict[str, str] = {
    "import boto3 (no client)": "import boto3\n",
    "botocore client, no boto3": (
        'import botocore.session\nbotocore.session.get_session().create_client("dynamodb")\n'
    ),
    "pydantic + one model": "from pydantic import BaseModel\nclass Model(BaseModel):\n    value: int\n",
    "Powertools Logger + Metrics": (
        'from aws_lambda_powertools import Logger, Metrics\nLogger()\nMetrics(namespace="Klantreis")\n'
    ),
    "Powertools REST resolver, validation on": (
        "from aws_lambda_powertools.event_handler import APIGatewayRestResolver\n"
        "APIGatewayRestResolver(enable_validation=True)\n"
    ),
}
"""Parts of a cold start measured alone, for reference (they overlap: pydantic is in the last)."""

FIRST_USE: dict[str, str] = {
    "track.handler": (
        "from track import dependencies\ndependencies.tracker()\ndependencies.site_directory()\n"
    ),
    "aggregate.handler": "from aggregate import handler, dependencies\ndependencies.counter_store()\n",
    "engage.handler": (
        "from engage import dependencies\ndependencies.decider()\ndependencies.site_directory()\n"
    ),
}
"""What a function builds on its first request, beyond settings and the client."""

_TIMED = """\
import time
_started = time.perf_counter()
{body}
_took = time.perf_counter() - _started
import sys
sys.stdout.write(repr(_took))
"""

NOTABLE_MODULES = (
    "boto3",
    "botocore.session",
    "pydantic",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.event_handler.api_gateway",
    "aws_lambda_powertools.event_handler.openapi.params",
    "klantreis.journey.tracker",
)


@dataclass(frozen=True)
class Target:
    name: str
    body: str


def targets(components: bool = False) -> list[Target]:
    """The baseline, then every function of the template (then the reference components)."""
    document = template.load()
    found = [Target(BASELINE, BASELINE_BODY)]
    for spec in template.functions():
        module, attribute = spec.handler.rsplit(".", 1)
        body = f"import importlib\ngetattr(importlib.import_module({module!r}), {attribute!r})\n"
        layers = document["Resources"][spec.logical_id]["Properties"].get("Layers")
        if layers != []:  # functions with the core layer use settings and the client
            body += (
                "from klantreis import dynamo\nfrom klantreis.settings import get_settings\n"
                "get_settings()\ndynamo.client()\n"
            )
        body += FIRST_USE.get(module, "")
        found.append(Target(spec.logical_id, body))
    if components:
        found += [Target(name, body) for name, body in COMPONENTS.items()]
    return found


def lambda_environment(service: str = "bench") -> dict[str, str]:
    """What a deployed function sees (template Globals), with fake credentials, no files."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TABLE_NAME": "klantreis-bench",
        "STAGE": "bench",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "POWERTOOLS_SERVICE_NAME": service,
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_METRICS_NAMESPACE": "Klantreis",
    }


def _run(body: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-I", *flags, "-c", _TIMED.format(body=body)],
        env=lambda_environment(),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )


def measure(runs: int = 9) -> dict[str, Any]:
    """Median (and min/max) seconds of import+init per target; targets interleaved per round so
    that a busy moment of the machine does not fall on one of them only."""
    found = targets(components=True)
    for target in found:  # warm the bytecode caches
        _run(target.body)
    samples: dict[str, list[float]] = {target.name: [] for target in found}
    for _ in range(runs):
        for target in found:
            samples[target.name].append(float(_run(target.body).stdout))
    baseline = statistics.median(samples[BASELINE])
    results = {}
    for target in found:
        median = statistics.median(samples[target.name])
        results[target.name] = {
            "median_ms": round(median * 1000, 1),
            "min_ms": round(min(samples[target.name]) * 1000, 1),
            "max_ms": round(max(samples[target.name]) * 1000, 1),
            "ratio": round(median / baseline, 2),
        }
    functions = {name: figures for name, figures in results.items() if name not in COMPONENTS}
    components = {name: figures for name, figures in results.items() if name in COMPONENTS}
    return {
        "runs": runs,
        "goal_ratio": 1.2,
        "functions": functions,
        "components": components,
        "bodies": {t.name: t.body for t in found},
    }


def import_profile(target_name: str = "TrackFunction", top: int = 8) -> dict[str, Any]:
    """`python -X importtime` of one target: self time per top-level package, and the cumulative
    time of a few modules we watch. Import only: creating the client is not in it."""
    target = next(t for t in targets() if t.name == target_name)
    stderr = _run(target.body, "-X", "importtime").stderr
    by_package: dict[str, int] = {}
    cumulative: dict[str, int] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line.removeprefix("import time:").split("|")
        module = name.strip()
        package = module.split(".")[0]
        by_package[package] = by_package.get(package, 0) + int(self_us)
        cumulative[module] = int(cumulative_us)
    ranked = sorted(by_package.items(), key=lambda pair: pair[1], reverse=True)
    return {
        "target": target_name,
        "total_import_ms": round(sum(by_package.values()) / 1000, 1),
        "self_ms_by_package": {name: round(us / 1000, 1) for name, us in ranked[:top]},
        "cumulative_ms": {
            name: round(cumulative[name] / 1000, 1) for name in NOTABLE_MODULES if name in cumulative
        },
    }
