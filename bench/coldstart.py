"""Cold start of each function as Lambda loads the built artifact, against the baseline
`import boto3; boto3.client("dynamodb")`.

The artifact is built as `make package` builds it: the dependency layer holds the pinned
distributions of layers/deps/requirements.txt (and what they require) exactly as pip installs
them, the core layer holds layers/core, each function its CodeUri folder. Each is zipped, and the
zips are unpacked the way Lambda lays them out (function in task/, layers merged in opt/python/,
file times restored from the zip). The python3.12 runtime's own boto3 (in /var/runtime on Lambda,
compiled there) sits behind them on sys.path, as on Lambda.

Each measurement is a fresh interpreter (`python -I -S -B`: no site-packages, nothing written, so
no bytecode cache survives a run: what the artifact does not ship compiled is compiled on every cold
start, as on Lambda's read-only file system) with sys.path as Lambda sets it. It times, with
perf_counter: the import of the handler named by template.yaml, settings and the DynamoDB client,
the services the function builds on its first request, and for API functions one request the
function refuses before any I/O (an agent's request with a body or query that fails validation; a
widget request without site key). Interpreter start-up is not timed (Lambda pays it for the
baseline too); the CPU (process) time of the same span is printed beside it, the steadier figure
on a shared machine. The environment is the function's own from the template with fake credentials;
nothing touches the network.

`packaging` variants are the levers on the artifact: bytecode shipped or not (and how it is
checked), boto3 shipped in the layer or taken from the runtime.
"""

from __future__ import annotations

import compileall
import os
import py_compile
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from klantreis_local import template

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "baseline"
BASELINE_BODY = 'import boto3\nboto3.client("dynamodb")\n'
RUNTIME_DISTRIBUTIONS = ("boto3",)
"""What the python3.12 runtime carries in /var/runtime (with what boto3 requires)."""
MARKER = "__coldstart_seconds__ "

AGENT_CLAIMS = {"sub": "bench-agent", "site_id": "bench-site", "role": "operator"}

_SWEEP_PROVIDERS = (
    "try:\n    from route import sweep_dependencies\n"
    "except ImportError:  # code before 2026-12-04's cut: the sweep used the routes' providers\n"
    "    from route import dependencies as sweep_dependencies\n"
)
"""The sweep's providers, so `--cold-compare` can time a commit from before they had a module."""

FIRST_USE: dict[str, str] = {
    "TrackFunction": (
        "from track import dependencies\ndependencies.limits()\ndependencies.tracker()\n"
        "dependencies.site_directory()\n"
    ),
    "AggregateFunction": (
        "from aggregate import dependencies\ndependencies.counter_store()\ndependencies.decision_lookup()\n"
        "dependencies.chunk_reader()\ndependencies.page_writer()\ndependencies.chat_store()\n"
    ),
    "LiveFunction": "from aggregate import live_dependencies\nlive_dependencies.live_updater()\n",
    "EngageFunction": (
        "from engage import dependencies\ndependencies.decider()\ndependencies.site_directory()\n"
        "dependencies.settings_store()\n"
    ),
    "ChatFunction": (
        "from chat import dependencies\ndependencies.chat_starter()\ndependencies.chat_lookup()\n"
        "dependencies.message_service()\ndependencies.site_directory()\ndependencies.bearer_verifier()\n"
    ),
    "RouteFunction": (
        _SWEEP_PROVIDERS + "from route import dependencies\nsweep_dependencies.agent_presence()\n"
        "dependencies.chat_lookup()\ndependencies.site_directory()\ndependencies.knowledge_store()\n"
        "dependencies.discount_service()\ndependencies.chat_ender()\n"
    ),
    "RouteSweepFunction": (
        _SWEEP_PROVIDERS + "sweep_dependencies.agent_presence()\nsweep_dependencies.site_lister()\n"
    ),
    "SurveyFunction": (
        "from survey import dependencies\ndependencies.site_directory()\ndependencies.chat_store()\n"
    ),
    "ReportFunction": "from report import dependencies\ndependencies.reports()\n",
    "ReportNightlyFunction": "from report import job_dependencies\njob_dependencies.nightly()\n",
    "ReportAlertsFunction": "from report import job_dependencies\njob_dependencies.alerts()\n",
}
"""What each function builds on its first request, beyond settings and the client."""

FIRST_REQUEST: dict[str, tuple[str, str, str | None, bool]] = {
    # function: (method, path, body, as an agent/operator) -- each refused before any I/O
    "TrackFunction": ("POST", "/v1/events", '{"events": "no list"}', False),
    "EngageFunction": ("PUT", "/v1/sites/bench-site/engagement-rules", '{"rules": "no list"}', True),
    "ChatFunction": ("POST", "/v1/chats", '{"visitor_id": 1}', False),
    "RouteFunction": ("PUT", "/v1/agents/bench-agent", '{"name": 1}', True),
    "SurveyFunction": ("POST", "/v1/surveys", '{"score": "no number"}', False),
    "ReportFunction": ("GET", "/v1/reports/daily", None, True),
}
"""One request per API function, refused before it reads anything (the widget routes without a
site key, the agent routes by validation): the resolver, its middlewares and a route's validation
are built as on a real first request, without a network."""

COMPONENTS: dict[str, str] = {
    "pydantic + one model": "from pydantic import BaseModel\nclass Model(BaseModel):\n    value: int\n",
    "Powertools Logger + Metrics": (
        'from aws_lambda_powertools import Logger, Metrics\nLogger()\nMetrics(namespace="Klantreis")\n'
    ),
    "Powertools REST resolver, validation off": (
        "from aws_lambda_powertools.event_handler import APIGatewayRestResolver\nAPIGatewayRestResolver()\n"
    ),
    "Powertools REST resolver, validation on": (
        "from aws_lambda_powertools.event_handler import APIGatewayRestResolver\n"
        "APIGatewayRestResolver(enable_validation=True)\n"
    ),
}
"""Parts of a cold start measured alone from the shipped layers, for reference (they overlap;
each is on top of the interpreter only, the baseline's boto3 not included)."""

_TIMED = """\
import socket, sys, time
sys.path[:0] = {paths!r}

def _no_network(*args, **kwargs):
    raise RuntimeError("a cold start must not touch the network")

socket.socket.connect = _no_network
_started, _started_cpu = time.perf_counter(), time.process_time()
{body}
_took, _took_cpu = time.perf_counter() - _started, time.process_time() - _started_cpu
sys.stdout.write("\\n{marker}" + repr(_took) + " " + repr(_took_cpu) + "\\n")
"""


@dataclass(frozen=True)
class Packaging:
    name: str
    bytecode: str | None
    """None (ship sources only), "timestamp" (pip's default .pyc) or "unchecked-hash"."""
    ship_boto3: bool


AS_BUILT_BEFORE = Packaging("sources only, boto3 in the layer (sam build before 2026-12-04)", None, True)
PACKAGINGS = (
    AS_BUILT_BEFORE,
    Packaging("+ bytecode, timestamp-checked (pip's default)", "timestamp", True),
    Packaging("+ bytecode, unchecked-hash", "unchecked-hash", True),
    Packaging("+ bytecode, unchecked-hash, boto3 from the runtime", "unchecked-hash", False),
)
SHIPPED = PACKAGINGS[2]
"""What `make package` ships since 2026-12-04 (infra/scripts/compile_build.py)."""


@dataclass(frozen=True)
class Target:
    name: str
    body: str
    code: str | None
    """The function's CodeUri folder (None: the baseline)."""
    layers: bool
    environment: dict[str, str]


# --------------------------------------------------------------------------- the artifact
def requirement_closure(names: list[str]) -> list[metadata.Distribution]:
    """The installed distributions of `names` and of what they require (no extras)."""
    found: dict[str, metadata.Distribution] = {}
    pending = [Requirement(name) for name in names]
    while pending:
        requirement = pending.pop()
        key = canonicalize_name(requirement.name)
        if key in found or (requirement.marker and not requirement.marker.evaluate({"extra": ""})):
            continue
        distribution = metadata.distribution(requirement.name)
        found[key] = distribution
        pending += [Requirement(text) for text in distribution.requires or []]
    return sorted(found.values(), key=lambda d: canonicalize_name(d.metadata["Name"]))


def pinned_requirements() -> list[str]:
    lines = (ROOT / "layers" / "deps" / "requirements.txt").read_text().splitlines()
    return [line.split("==")[0] for line in lines if line and not line.startswith("#")]


def install_like_pip(distributions: list[metadata.Distribution], target: Path) -> None:
    """Copies each distribution's files as its wheel installed them, without any bytecode."""
    for distribution in distributions:
        base = Path(str(distribution.locate_file("")))
        for file in distribution.files or []:
            if "__pycache__" in file.parts or file.suffix == ".pyc" or file.parts[0] == "..":
                continue
            source = base / file
            if source.is_file():
                (target / file).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / file)


def compile_tree(root: Path, mode: str) -> None:
    invalidation = {
        "timestamp": py_compile.PycInvalidationMode.TIMESTAMP,
        "unchecked-hash": py_compile.PycInvalidationMode.UNCHECKED_HASH,
    }[mode]
    compileall.compile_dir(root, quiet=1, invalidation_mode=invalidation, workers=1)


def zip_tree(root: Path, archive: Path) -> None:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                bundle.write(path, path.relative_to(root))


def unzip_like_lambda(archive: Path, target: Path) -> None:
    """Extracts with the zip's file times (2-second resolution), as unzip does."""
    with zipfile.ZipFile(archive) as bundle:
        for entry in bundle.infolist():
            path = Path(bundle.extract(entry, target))
            stamp = time.mktime((*entry.date_time, 0, 0, -1))
            os.utime(path, (stamp, stamp))


def source_tree(ref: str | None, into: Path) -> Path:
    """The code roots at git `ref` (None: the working tree)."""
    if ref is None:
        return ROOT
    exported = into / "source"
    exported.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", ref, "layers", "functions"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(exported)], input=archive, check=True)
    return exported


def build(packaging: Packaging, source: Path, workdir: Path) -> Path:
    """The artifact of every function under `packaging`, zipped and unpacked as Lambda does:
    task/<CodeUri>, opt/python (both layers), runtime/ (the runtime's boto3, compiled)."""
    staging, zips, unpacked = workdir / "staging", workdir / "zips", workdir / "unpacked"
    for folder in (staging, zips, unpacked):
        folder.mkdir(parents=True)
    runtime = closure_names(RUNTIME_DISTRIBUTIONS)
    dependencies = [
        d
        for d in requirement_closure(pinned_requirements())
        if packaging.ship_boto3 or canonicalize_name(d.metadata["Name"]) not in runtime
    ]
    install_like_pip(dependencies, staging / "deps" / "python")
    shutil.copytree(source / "layers" / "core", staging / "core" / "python")
    for spec in template.functions():
        if (source / spec.code_uri).is_dir():  # an older commit may not have a function yet
            shutil.copytree(source / spec.code_uri, staging / "task" / spec.code_uri, dirs_exist_ok=True)
    for part in (staging / "deps", staging / "core", *sorted((staging / "task").glob("*/*"))):
        for cache in list(part.rglob("__pycache__")):
            shutil.rmtree(cache)
        if packaging.bytecode:
            compile_tree(part, packaging.bytecode)
        name = "-".join(part.relative_to(staging).parts)
        zip_tree(part, zips / f"{name}.zip")
    for archive in sorted(zips.glob("*.zip")):
        if archive.stem in ("deps", "core"):
            unzip_like_lambda(archive, unpacked / "opt")
        else:
            code = archive.stem.removeprefix("task-").replace("-", "/", 1)
            unzip_like_lambda(archive, unpacked / "task" / code)
    install_like_pip(requirement_closure(list(RUNTIME_DISTRIBUTIONS)), unpacked / "runtime")
    compile_tree(unpacked / "runtime", "unchecked-hash")
    return unpacked


def closure_names(names: tuple[str, ...]) -> set[str]:
    return {canonicalize_name(d.metadata["Name"]) for d in requirement_closure(list(names))}


def artifact_sizes(unpacked: Path) -> dict[str, float]:
    def megabytes(folder: Path) -> float:
        return round(sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6, 1)

    return {"layers_mb": megabytes(unpacked / "opt"), "functions_mb": megabytes(unpacked / "task")}


# --------------------------------------------------------------------------- the targets
def lambda_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """What a deployed function sees, with fake credentials and no configuration files."""
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
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "POWERTOOLS_METRICS_NAMESPACE": "Klantreis",
        "POWERTOOLS_SERVICE_NAME": "bench",
        **(extra or {}),
    }


def function_environment(spec: template.FunctionSpec) -> dict[str, str]:
    """The template's variables for the function; a reference to a resource becomes a plausible
    stand-in (an ARN where the name says so) and an empty optional one stays empty."""
    parameters = template.load()["Parameters"]
    values = {}
    for name, declared in spec.environment.items():
        value = declared
        if isinstance(declared, dict) and declared.get("Ref") in parameters:
            value = parameters[declared["Ref"]].get("Default", "")
        if isinstance(value, str | int | float):
            values[name] = str(value)
        elif name == "USER_POOL_ID":
            values[name] = "eu-west-1_Bench0000"
        elif name.endswith("_ARN"):
            values[name] = f"arn:aws:bench:eu-west-1:123456789012:{name.lower()}"
        elif name not in ("TABLE_NAME", "STAGE"):
            values[name] = "" if "If" in str(value) else f"klantreis-bench-{name.lower()}"
    return {k: v for k, v in values.items() if v != ""}


_LAMBDA_CONTEXT = (
    "class _Context:\n"
    "    function_name = 'bench'\n    memory_limit_in_mb = 512\n"
    "    invoked_function_arn = 'arn:aws:lambda:eu-west-1:123456789012:function:bench'\n"
    "    aws_request_id = 'bench-request'\n"
    "    def get_remaining_time_in_millis(self): return 10000\n"
)


def api_event(
    method: str, path: str, resource: str, body: str | None, claims: dict[str, str] | None = None
) -> dict[str, Any]:
    """An API Gateway (REST) proxy event as the stage sends it, with the authorizer's claims if any."""
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "pathParameters": _path_parameters(resource, path),
        "requestContext": {
            "httpMethod": method,
            "path": f"/bench{path}",
            "resourcePath": resource,
            "requestId": "bench-request",
            "stage": "bench",
            "identity": {"sourceIp": "127.0.0.1"},
            **({"authorizer": {"claims": claims}} if claims else {}),
        },
        "body": body,
        "isBase64Encoded": False,
    }


def request_body(spec: template.FunctionSpec) -> str:
    if spec.logical_id not in FIRST_REQUEST:
        return ""
    method, path, body, as_agent = FIRST_REQUEST[spec.logical_id]
    route = next(r for r in spec.routes if r.method == method and _matches(r.path, path))
    event = api_event(method, path, route.path, body, AGENT_CLAIMS if as_agent else None)
    module, attribute = spec.handler.rsplit(".", 1)
    return (
        _LAMBDA_CONTEXT
        + f"_answer = getattr(importlib.import_module({module!r}), {attribute!r})({event!r}, _Context())\n"
        "assert 400 <= _answer['statusCode'] < 500, _answer\n"
    )


def _matches(template_path: str, path: str) -> bool:
    wanted, given = template_path.strip("/").split("/"), path.strip("/").split("/")
    return len(wanted) == len(given) and all(
        w == g or w.startswith("{") for w, g in zip(wanted, given, strict=True)
    )


def _path_parameters(template_path: str, path: str) -> dict[str, str] | None:
    pairs = zip(template_path.strip("/").split("/"), path.strip("/").split("/"), strict=True)
    found = {w.strip("{}"): g for w, g in pairs if w.startswith("{")}
    return found or None


def targets() -> list[Target]:
    """The baseline, then every function of the template."""
    document = template.load()
    found = [Target(BASELINE, BASELINE_BODY, None, False, lambda_environment())]
    for spec in template.functions():
        module, attribute = spec.handler.rsplit(".", 1)
        body = f"import importlib\ngetattr(importlib.import_module({module!r}), {attribute!r})\n"
        layers = document["Resources"][spec.logical_id]["Properties"].get("Layers") != []
        if layers:  # functions with the core layer use settings and the client
            body += (
                "from klantreis import dynamo\nfrom klantreis.settings import get_settings\n"
                "get_settings()\ndynamo.client()\n"
            )
        body += FIRST_USE.get(spec.logical_id, "") + request_body(spec)
        environment = lambda_environment(function_environment(spec))
        found.append(Target(spec.logical_id, body, spec.code_uri, layers, environment))
    return found


_FLOOR_CLIENT = (
    "from klantreis import dynamo\nfrom klantreis.settings import get_settings\n"
    "get_settings()\ndynamo.client()\n"
)
_FLOOR_STREAM = (
    _FLOOR_CLIENT + "from aws_lambda_powertools import Logger, Metrics\nLogger()\nMetrics()\n"
    "from pydantic import BaseModel\nclass Change(BaseModel):\n    value: int\nChange(value=1)\n"
)
_REFUSED_THING = api_event("POST", "/v1/things", "/v1/things", '{"value": "no"}')
_FLOOR_API = (
    _FLOOR_STREAM + "from aws_lambda_powertools.event_handler import APIGatewayRestResolver\n"
    "app = APIGatewayRestResolver(enable_validation=True)\n"
    "@app.post('/v1/things')\ndef create(thing: Change) -> dict:\n    return {}\n"
    + _LAMBDA_CONTEXT
    + f"_event = {_REFUSED_THING!r}\n"
    + "assert app.resolve(_event, _Context())['statusCode'] == 422\n"
)
FLOORS: dict[str, str] = {
    "floor: settings + DynamoDB client": _FLOOR_CLIENT,
    "floor of a stream/scheduled function": _FLOOR_STREAM,
    "floor of an API function": _FLOOR_API,
}
"""The least a function of each kind can load with the fixed stack (pydantic, Powertools, botocore),
built as our functions build it: settings and the client (klantreis.settings, klantreis.dynamo);
for a stream or scheduled function also Powertools' Logger and Metrics and one pydantic model
validated; for an API function also the REST resolver with validation, one route with a model body
and one request it refuses. Nothing in a floor is something a function could drop, so a function at
its floor has nothing left to cut but the stack itself."""


def component_targets() -> list[Target]:
    parts = {**COMPONENTS, **FLOORS}
    return [Target(name, body, None, True, lambda_environment()) for name, body in parts.items()]


def has_code(unpacked: Path, target: Target) -> bool:
    """Whether the artifact holds the target's function (a compared older commit may not)."""
    return target.code is None or (unpacked / "task" / target.code).is_dir()


def lambda_path(unpacked: Path, target: Target) -> list[str]:
    """sys.path as the python3.12 runtime sets it: task, the layers, the runtime's own packages."""
    paths = [str(unpacked / "task" / target.code)] if target.code else []
    if target.layers:
        paths += [str(unpacked / "opt" / "python")]
    return [*paths, str(unpacked / "runtime")]


def run(unpacked: Path, target: Target, *flags: str) -> subprocess.CompletedProcess[str]:
    script = _TIMED.format(paths=lambda_path(unpacked, target), body=target.body, marker=MARKER)
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-B", *flags, "-c", script],
        env=target.environment,
        cwd=unpacked,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{target.name} failed to start:\n{done.stderr[-3000:]}")
    return done


def seconds(done: subprocess.CompletedProcess[str]) -> float:
    """Wall-clock seconds of the timed cold start."""
    return timings(done)[0]


def timings(done: subprocess.CompletedProcess[str]) -> tuple[float, float]:
    """Wall-clock and CPU (process) seconds of the timed cold start. On a quiet machine they are
    close (the artifact's files are local); on a shared one the CPU time is the steadier figure."""
    line = next(line for line in reversed(done.stdout.splitlines()) if line.startswith(MARKER))
    wall, cpu = line.removeprefix(MARKER).split()
    return float(wall), float(cpu)


@dataclass
class Artifact:
    packaging: Packaging
    unpacked: Path


def measure(
    runs: int = 7,
    packagings: tuple[Packaging, ...] = (SHIPPED,),
    ref: str | None = None,
    compare_ref: str | None = None,
) -> dict[str, Any]:
    """Median (and min/max) ms of a cold start per target and packaging; runs are interleaved
    (every target of every packaging per round) so a busy moment of the machine is shared.
    `compare_ref` also builds that commit's code with each packaging, timed in the same rounds
    (first in even rounds, last in odd ones): a before/after on one machine at one time."""
    found = targets() + component_targets()
    with tempfile.TemporaryDirectory(prefix="klantreis-coldstart-") as scratch:
        sources: list[tuple[str | None, Path]] = (
            [(compare_ref, source_tree(compare_ref, Path(scratch) / "compared"))] if compare_ref else []
        )
        sources.append((ref, source_tree(ref, Path(scratch))))
        artifacts = [
            Artifact(
                replace(packaging, name=f"{packaging.name}, code at {code_ref or 'this tree'}")
                if compare_ref
                else packaging,
                build(packaging, source, Path(scratch) / f"build-{i}-{j}"),
            )
            for j, (code_ref, source) in enumerate(sources)
            for i, packaging in enumerate(packagings)
        ]
        samples: dict[tuple[int, str], list[float]] = {}
        cpu_samples: dict[tuple[int, str], list[float]] = {}
        for round_number in range(runs):
            # Every other round in reverse: whichever build runs first in a round is timed on a
            # different moment of a shared machine, and a fixed order skews a before/after.
            ordered = list(enumerate(artifacts))
            for index, artifact in ordered if round_number % 2 == 0 else reversed(ordered):
                for target in found:
                    if not has_code(artifact.unpacked, target):
                        continue
                    took, took_cpu = timings(run(artifact.unpacked, target))
                    samples.setdefault((index, target.name), []).append(took)
                    cpu_samples.setdefault((index, target.name), []).append(took_cpu)
        sizes = [artifact_sizes(artifact.unpacked) for artifact in artifacts]
        profile = import_profile(artifacts[-1].unpacked)
    # The baseline is the same in every packaging (the runtime's boto3): all its runs make one
    # reference, so a busy moment of this shared machine during one packaging skews nothing.
    baseline_runs = [s for (_, name), times in samples.items() if name == BASELINE for s in times]
    baseline, fastest_baseline = statistics.median(baseline_runs), min(baseline_runs)
    baseline_cpu_runs = [s for (_, name), times in cpu_samples.items() if name == BASELINE for s in times]
    baseline_cpu, fastest_baseline_cpu = statistics.median(baseline_cpu_runs), min(baseline_cpu_runs)
    results = []
    for index, artifact in enumerate(artifacts):
        functions = {}
        for target in found:
            if (index, target.name) not in samples:
                continue  # the compared commit has no such function
            times, cpu_times = samples[(index, target.name)], cpu_samples[(index, target.name)]
            functions[target.name] = {
                "median_ms": round(statistics.median(times) * 1000, 1),
                "min_ms": round(min(times) * 1000, 1),
                "max_ms": round(max(times) * 1000, 1),
                "ratio": round(statistics.median(times) / baseline, 2),
                "ratio_of_minima": round(min(times) / fastest_baseline, 2),
                "cpu_median_ms": round(statistics.median(cpu_times) * 1000, 1),
                "cpu_ratio": round(statistics.median(cpu_times) / baseline_cpu, 2),
                # Contention only ever adds CPU time (cache misses, migrations), so on a busy machine
                # the fastest run is the steadier estimate of what the code itself costs.
                "cpu_min_ms": round(min(cpu_times) * 1000, 1),
                "cpu_ratio_of_minima": round(min(cpu_times) / fastest_baseline_cpu, 2),
            }
        results.append({"packaging": artifact.packaging.name, **sizes[index], "functions": functions})
    return {
        "runs": runs,
        "goal_ratio": 1.2,
        "source": ref or "working tree",
        "packagings": results,
        "import_profile": profile,
    }


NOTABLE_MODULES = (
    "boto3",
    "botocore.session",
    "pydantic",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.event_handler.api_gateway",
    "aws_lambda_powertools.event_handler.openapi.params",
)


def import_profile(unpacked: Path, target_name: str = "RouteFunction", top: int = 10) -> dict[str, Any]:
    """`python -X importtime` of one function's cold start on the shipped artifact: self time per
    top-level package, the slowest of our own modules, and a few modules we watch (cumulative)."""
    target = next(t for t in targets() if t.name == target_name)
    stderr = run(unpacked, target, "-X", "importtime").stderr
    by_package: dict[str, int] = {}
    cumulative: dict[str, int] = {}
    for module, self_us, cumulative_us in _importtime_lines(stderr):
        package = module.split(".")[0]
        by_package[package] = by_package.get(package, 0) + self_us
        cumulative[module] = cumulative_us
    ranked = sorted(by_package.items(), key=lambda pair: pair[1], reverse=True)
    ours = sorted(
        ((m, us) for m, us in cumulative.items() if m.split(".")[0] in ("klantreis", "route")),
        key=lambda pair: pair[1],
        reverse=True,
    )
    return {
        "target": target_name,
        "total_import_ms": round(sum(by_package.values()) / 1000, 1),
        "self_ms_by_package": {name: round(us / 1000, 1) for name, us in ranked[:top]},
        "cumulative_ms": {
            name: round(cumulative[name] / 1000, 1) for name in NOTABLE_MODULES if name in cumulative
        },
        "our_modules_cumulative_ms": {name: round(us / 1000, 1) for name, us in ours[:top]},
    }


def _importtime_lines(stderr: str) -> Iterator[tuple[str, int, int]]:
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line.removeprefix("import time:").split("|")
        yield name.strip(), int(self_us), int(cumulative_us)
