"""The cold-start bench measures the artifact `make package` ships: the built layers hold the
pinned distributions and the core, with bytecode exactly when the packaging ships it, and every
function's cold start (import, first-use services, first request) runs from the unzipped files
without a network."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from bench import coldstart
from klantreis_local import template


def check_package() -> ModuleType:
    """infra/scripts/check_package.py, the check `make package` runs on the build."""
    path = coldstart.ROOT / "infra" / "scripts" / "check_package.py"
    spec = importlib.util.spec_from_file_location("check_package", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return coldstart.build(coldstart.SHIPPED, coldstart.ROOT, tmp_path_factory.mktemp("shipped"))


def test_the_shipped_artifact_holds_unchecked_hash_bytecode_for_every_module(shipped: Path) -> None:
    problems, modules = check_package().bytecode_problems(shipped / "opt", "3.12")
    assert problems == []
    assert modules > 500
    assert (shipped / "opt" / "python" / "boto3").is_dir()
    assert (shipped / "opt" / "python" / "klantreis").is_dir()


def test_the_artifact_as_built_before_ships_no_bytecode(tmp_path: Path) -> None:
    before = coldstart.build(coldstart.AS_BUILT_BEFORE, coldstart.ROOT, tmp_path)
    problems, modules = check_package().bytecode_problems(before / "task", "3.12")
    assert len(problems) == modules > 0
    assert not list((before / "opt").rglob("*.pyc"))


def test_every_function_starts_cold_from_the_shipped_files(shipped: Path) -> None:
    # given every function of the template (and the baseline)
    targets = coldstart.targets()
    assert {t.name for t in targets} == {"baseline"} | {spec.logical_id for spec in template.functions()}
    for target in targets:
        # when it starts cold from the unzipped artifact (a failure raises with its stderr)
        done = coldstart.run(shipped, target)
        # then it reports its time, having imported our code from the artifact only
        assert coldstart.seconds(done) > 0
