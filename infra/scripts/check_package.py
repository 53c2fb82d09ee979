"""Checks a `sam build` output the way Lambda will run it: the artifact operators deploy is tested,
not the source tree.

    python infra/scripts/check_package.py --build-dir .aws-sam/build --arch arm64 \
        --native-build-dir .aws-sam/x86_64/build

For the build and each of its layers:
- every native file (ELF) is built for the target architecture, every `.so` for the runtime's
  Python, every wheel tag fits (manylinux for that architecture, or pure Python);
- the dependency layer holds exactly the versions its requirements.txt pins.

For each function, a clean interpreter of the template's Runtime (`-I -S`: no site-packages, no
PYTHON* variables, no working directory on the path) with nothing but the function's built code
and its own built layers on sys.path imports the handler module and finds the handler callable.
Nothing may come from anywhere else, and the import may open no network connection.

An arm64 build cannot run its native extensions on an x86_64 host (and there is no arm64 Python
3.12 to emulate here). Its import check therefore runs all of the arm64 artifact's own Python code
and takes only each native extension module from `--native-build-dir`: a build of the same
template for the host, whose layers must hold the very same distributions and versions. The
arm64 extensions themselves are checked by their ELF headers and wheel tags.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from klantreis_local import template

ELF_MAGIC = b"\x7fELF"
# e_machine of the ELF header and the GNU triple in extension module names, per Lambda architecture.
MACHINES = {"arm64": (183, "aarch64"), "x86_64": (62, "x86_64")}
HOST_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(
    platform.machine().lower(), platform.machine()
)
EXTENSION = re.compile(r"\.cpython-(?P<version>\d+)-(?P<triple>[a-z0-9_]+)-linux-(?P<libc>gnu|musl)\.so$")
IMPORT_TIMEOUT = 120
# The python3.12 runtime runs on Amazon Linux 2023 (glibc 2.34): manylinux wheels up to 2_34 load.
LAMBDA_GLIBC_MINOR = 34

# Runs in the clean interpreter: argv[1] is a JSON request; prints one JSON line with the outcome.
IMPORT_PROGRAM = r"""
import importlib, importlib.abc, importlib.machinery, importlib.util, json, os, socket, sys, sysconfig, time

request = json.loads(sys.argv[1])
sys.path[:0] = request["path"]
twins = request["twins"]
used_twins = []


class NativeTwins(importlib.abc.MetaPathFinder):
    # Extension modules of the target architecture, loaded from the host build of the same wheel.
    def find_spec(self, name, path, target=None):
        tail = name.rpartition(".")[2]
        for entry in path if path is not None else sys.path:
            for suffix in request["target_suffixes"]:
                twin = twins.get(os.path.realpath(os.path.join(entry, tail + suffix)))
                if twin:
                    used_twins.append(name)
                    loader = importlib.machinery.ExtensionFileLoader(name, twin)
                    return importlib.util.spec_from_file_location(name, twin, loader=loader)
        return None


if twins:
    sys.meta_path.insert(0, NativeTwins())


def no_network(*args, **kwargs):
    raise OSError("the handler module opened a network connection at import time")


socket.socket.connect = no_network
socket.socket.connect_ex = no_network

started = time.perf_counter()
module = importlib.import_module(request["module"])
seconds = time.perf_counter() - started
handler = getattr(module, request["attribute"], None)
roots = [os.path.realpath(p) for p in request["path"] + list(twins.values())]
roots += [os.path.realpath(sysconfig.get_path(k)) for k in ("stdlib", "platstdlib")]
roots += [p for p in sys.path if p.endswith(".zip")]
outside = sorted(
    f
    for f in (os.path.realpath(getattr(m, "__file__", None) or "") for m in list(sys.modules.values()))
    if f and not any(f == r or f.startswith(r.rstrip(os.sep) + os.sep) for r in roots)
)
print(json.dumps({
    "callable": callable(handler),
    "file": os.path.realpath(module.__file__ or ""),
    "outside": outside,
    "twins": sorted(set(used_twins)),
    "modules": len(sys.modules),
    "seconds": seconds,
    "clean": bool(sys.flags.isolated and sys.flags.no_site),
}))
"""


@dataclass
class Report:
    passed: int = 0
    failures: list[str] = field(default_factory=list)

    def check(self, name: str, problems: list[str], detail: str = "") -> None:
        if problems:
            self.failures.append(name)
            print(f"FAIL {name}")
            for problem in problems:
                print(f"     {problem}")
        else:
            self.passed += 1
            print(f"ok   {name}{'  ' + detail if detail else ''}")


@dataclass(frozen=True)
class BuiltFunction:
    logical_id: str
    handler: str
    runtime: str
    code_dir: Path
    layer_dirs: tuple[Path, ...]


def _listed(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def built_functions(build_dir: Path) -> tuple[list[BuiltFunction], dict[str, Path]]:
    """The built template's functions, each with its own code and layer folders (Lambda puts a
    layer's `python/` on the path), and every built layer by logical id."""
    built = build_dir / "template.yaml"
    if not built.is_file():
        raise SystemExit(f"{built} is missing: run `make package` first")
    document = template.load(built)
    layers = {
        name: build_dir / str(resource["Properties"]["ContentUri"])
        for name, resource in template.resources("AWS::Serverless::LayerVersion", built).items()
    }
    globals_ = (document.get("Globals") or {}).get("Function") or {}
    functions = []
    for name, resource in sorted(template.resources("AWS::Serverless::Function", built).items()):
        properties = resource["Properties"]
        # SAM adds the Globals list to the function's own.
        refs = _listed(globals_.get("Layers")) + _listed(properties.get("Layers"))
        unknown = [ref for ref in refs if not (isinstance(ref, dict) and ref.get("Ref") in layers)]
        if unknown:
            raise SystemExit(f"{name}: layers that are not built here: {unknown}")
        functions.append(
            BuiltFunction(
                logical_id=name,
                handler=str(properties["Handler"]),
                runtime=str(properties.get("Runtime") or globals_.get("Runtime")),
                code_dir=build_dir / str(properties["CodeUri"]),
                layer_dirs=tuple(layers[ref["Ref"]] / "python" for ref in refs),
            )
        )
    return functions, layers


def files_under(folder: Path) -> Iterator[Path]:
    for directory, _, names in os.walk(folder):
        for name in sorted(names):
            yield Path(directory, name)


def elf_machine(path: Path) -> int | None:
    with path.open("rb") as handle:
        header = handle.read(20)
    if len(header) < 20 or not header.startswith(ELF_MAGIC):
        return None
    return int.from_bytes(header[18:20], "little" if header[5] == 1 else "big")


def runtime_version(runtime: str) -> str:
    """'python3.12' -> '312'."""
    match = re.fullmatch(r"python(\d)\.(\d+)", runtime)
    if not match:
        raise SystemExit(f"not a Python runtime: {runtime}")
    return match.group(1) + match.group(2)


def native_problems(folder: Path, arch: str, version: str) -> tuple[list[str], int]:
    """ELF files not built for `arch`, extension modules not built for this Python."""
    machine, triple = MACHINES[arch]
    problems = []
    native = 0
    for path in files_under(folder):
        if path.is_symlink() or not path.is_file():
            continue
        found = elf_machine(path)
        if found is None:
            continue
        native += 1
        where = path.relative_to(folder)
        if found != machine:
            problems.append(f"{where}: ELF machine {found}, not {arch} ({machine})")
        name = EXTENSION.search(path.name)
        if name and (name["version"], name["triple"], name["libc"]) != (version, triple, "gnu"):
            problems.append(
                f"{where}: built for cpython-{name['version']} {name['triple']}-linux-{name['libc']}"
            )
    return problems, native


def _fits_lambda_glibc(platform_tag: str, triple: str) -> bool:
    legacy = {"manylinux1": 5, "manylinux2010": 12, "manylinux2014": 17}
    match = re.fullmatch(rf"(?:manylinux_2_(?P<minor>\d+)|(?P<legacy>manylinux\d+))_{triple}", platform_tag)
    if not match:
        return False
    minor = int(match["minor"]) if match["minor"] else legacy.get(match["legacy"], 99)
    return minor <= LAMBDA_GLIBC_MINOR


def wheel_problems(folder: Path, arch: str, version: str) -> list[str]:
    """Wheel tags of every installed distribution must fit Lambda: pure Python, or a manylinux
    wheel for this architecture, Lambda's glibc and this Python (or the stable ABI)."""
    _, triple = MACHINES[arch]
    problems = []
    for wheel in sorted(folder.glob("*.dist-info/WHEEL")):
        tags = [
            line.split(":", 1)[1].strip()
            for line in wheel.read_text().splitlines()
            if line.startswith("Tag:")
        ]
        for tag in tags:
            python, abi, platform_tag = tag.split("-", 2)
            if platform_tag == "any":
                continue
            fits_platform = all(_fits_lambda_glibc(part, triple) for part in platform_tag.split("."))
            fits_python = abi in (f"cp{version}", "abi3") or (abi == "none" and python.startswith("py"))
            if not (fits_platform and fits_python):
                problems.append(f"{wheel.parent.name}: wheel tag {tag} does not fit {arch} python{version}")
    return problems


def bytecode_problems(folder: Path, version: str) -> tuple[list[str], int]:
    """Every module ships its bytecode, unchecked-hash based (PEP 552 flags 0b01): Lambda's code
    is read-only, so a module without it is compiled again on every cold start, and a
    timestamp-checked one is too once the zip has changed its source's time."""
    tag = f"cpython-{version.replace('.', '')}"
    problems, modules = [], 0
    for source in files_under(folder):
        if source.suffix != ".py":
            continue
        modules += 1
        compiled = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        if not compiled.is_file():
            problems.append(f"{source.relative_to(folder)}: no {compiled.name}")
        elif int.from_bytes(compiled.read_bytes()[4:8], "little") != 0b01:
            problems.append(f"{compiled.relative_to(folder)}: not unchecked-hash bytecode")
    return problems, modules


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def distributions(folder: Path) -> dict[str, str]:
    found = {}
    for info in folder.glob("*.dist-info"):
        name, _, version = info.name.removesuffix(".dist-info").rpartition("-")
        found[canonical(name)] = version
    return found


def pin_problems(folder: Path) -> list[str]:
    """The layer must hold exactly what its requirements.txt (generated from pyproject) pins."""
    requirements = folder / "requirements.txt"
    if not requirements.is_file():
        return []
    installed = distributions(folder)
    problems = []
    for raw in requirements.read_text().splitlines():
        pin = raw.split("#", 1)[0].strip()
        if not pin:
            continue
        name, _, version = pin.partition("==")
        got = installed.get(canonical(name.split("[", 1)[0]))
        if got != version.strip():
            problems.append(f"{pin}: the layer holds {got or 'nothing'}")
    return problems


def twin_map(build_dir: Path, arch: str, native_dir: Path) -> tuple[dict[str, str], list[str]]:
    """Each extension module of the target build -> the same file of the host build."""
    machine, triple = MACHINES[arch]
    _, host_triple = MACHINES[HOST_ARCH]
    twins: dict[str, str] = {}
    problems = []
    for path in files_under(build_dir):
        if not path.name.endswith(".so") or path.is_symlink() or elf_machine(path) != machine:
            continue
        relative = path.relative_to(build_dir)
        twin_name = path.name.replace(f"-{triple}-linux-gnu.so", f"-{host_triple}-linux-gnu.so")
        twin = native_dir / relative.parent / twin_name
        if not twin.is_file():
            problems.append(f"{relative}: no host twin at {twin}")
            continue
        twins[os.path.realpath(path)] = os.path.realpath(twin)
    return twins, problems


def interpreter_runtime(python: str) -> str:
    """'python3.12' for a Python 3.12 interpreter, or why it cannot run."""
    try:
        answer = subprocess.run(
            [python, "-I", "-S", "-c", "import sys; print('python%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as exc:
        return f"not runnable ({exc})"
    return (
        answer.stdout.strip()
        if answer.returncode == 0
        else f"not runnable ({' '.join(answer.stderr.split())[:200]})"
    )


def import_problems(
    function: BuiltFunction, python: str, twins: dict[str, str], arch: str
) -> tuple[list[str], str]:
    module, _, attribute = function.handler.rpartition(".")
    _, triple = MACHINES[arch]
    request = {
        "path": [str(function.code_dir), *map(str, function.layer_dirs)],
        "module": module,
        "attribute": attribute,
        "twins": twins,
        "target_suffixes": [
            f".cpython-{runtime_version(function.runtime)}-{triple}-linux-gnu.so",
            ".abi3.so",
            ".so",
        ],
    }
    # What Lambda's environment always has; the handler must read nothing else at import time.
    env = {
        "PATH": os.defpath,
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_LAMBDA_FUNCTION_NAME": function.logical_id,
        "LAMBDA_TASK_ROOT": str(function.code_dir),
    }
    answer = subprocess.run(
        [python, "-I", "-S", "-c", IMPORT_PROGRAM, json.dumps(request)],
        capture_output=True,
        text=True,
        env=env,
        cwd=function.code_dir,
        timeout=IMPORT_TIMEOUT,
        check=False,
    )
    if answer.returncode != 0:
        return answer.stderr.strip().splitlines()[-8:], ""
    outcome = json.loads(answer.stdout.strip().splitlines()[-1])
    problems = []
    if not outcome["callable"]:
        problems.append(f"{function.handler} is not callable")
    if not Path(outcome["file"]).is_relative_to(function.code_dir.resolve()):
        problems.append(f"{module} was imported from {outcome['file']}, not from the built function")
    if not outcome["clean"]:
        problems.append("the interpreter did not run isolated (-I) without site (-S)")
    problems += [f"imported from outside the function and its layers: {f}" for f in outcome["outside"]]
    detail = f"{function.handler}  {outcome['modules']} modules in {outcome['seconds']:.2f} s"
    if outcome["twins"]:
        detail += f"  (native from the {HOST_ARCH} build: {', '.join(outcome['twins'])})"
    return problems, detail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build-dir", type=Path, required=True, help="a `sam build --build-dir`")
    parser.add_argument(
        "--arch", choices=sorted(MACHINES), required=True, help="the Architecture it was built for"
    )
    parser.add_argument(
        "--native-build-dir", type=Path, help="a build for this host (needed when --arch differs)"
    )
    parser.add_argument("--python", default="python3.12", help="interpreter of the template's Runtime")
    args = parser.parse_args(argv)
    build_dir: Path = args.build_dir.resolve()
    arch: str = args.arch
    started = time.perf_counter()
    report = Report()
    functions, layers = built_functions(build_dir)
    runtimes = {function.runtime for function in functions}
    if len(runtimes) != 1:
        raise SystemExit(f"one runtime expected, the template uses {sorted(runtimes)}")
    runtime = runtimes.pop()
    version = runtime_version(runtime)
    found = interpreter_runtime(args.python)
    if found != runtime:
        raise SystemExit(f"{args.python} is {found}, the functions run {runtime}: pass --python")
    print(f"== {build_dir} ({arch}, {runtime}) on a {HOST_ARCH} host with {args.python}")

    problems, native = native_problems(build_dir, arch, version)
    report.check(f"native code is {arch}", problems, f"{native} ELF files")
    problems, modules = bytecode_problems(build_dir, version)
    report.check("every module ships unchecked-hash bytecode", problems[:20], f"{modules} modules")
    for name, folder in sorted(layers.items()):
        report.check(f"{name} wheels fit {arch} {runtime}", wheel_problems(folder / "python", arch, version))
        if (folder / "python" / "requirements.txt").is_file():
            report.check(f"{name} holds the pinned versions", pin_problems(folder / "python"))

    twins: dict[str, str] = {}
    if arch != HOST_ARCH:
        if args.native_build_dir is None:
            raise SystemExit(
                f"the {arch} build cannot import on this {HOST_ARCH} host: pass --native-build-dir"
            )
        native_dir: Path = args.native_build_dir.resolve()
        _, native_layers = built_functions(native_dir)
        same = []
        for name, folder in sorted(layers.items()):
            ours, theirs = distributions(folder / "python"), distributions(native_layers[name] / "python")
            if ours != theirs:
                same.append(f"{name}: {arch} {sorted(set(ours.items()) ^ set(theirs.items()))} differ")
        twins, missing = twin_map(build_dir, arch, native_dir)
        report.check(f"{HOST_ARCH} build holds the same distributions", same + missing, f"{len(twins)} twins")

    for function in functions:
        problems, detail = import_problems(function, args.python, twins, arch)
        report.check(f"{function.logical_id} imports", problems, detail)

    print(f"checked in {time.perf_counter() - started:.1f} s")
    print(f"check_package: {report.passed} passed, {len(report.failures)} failed")
    return 1 if report.failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
