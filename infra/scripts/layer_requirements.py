"""Writes (or checks) layers/deps/requirements.txt from pyproject.toml's pinned dependencies.

The layer must ship exactly what the tests run against, so the file is generated, never edited.
Usage: python infra/scripts/layer_requirements.py [--check]
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / "layers" / "deps" / "requirements.txt"
HEADER = "# Generated from pyproject.toml by `make requirements`; do not edit.\n"


def render() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = sorted(project["dependencies"], key=str.lower)
    unpinned = [p for p in pins if "==" not in p]
    if unpinned:
        raise SystemExit(f"layer dependencies must be pinned with ==: {unpinned}")
    return HEADER + "".join(f"{pin}\n" for pin in pins)


def main(argv: list[str]) -> int:
    wanted = render()
    if "--check" in argv:
        current = TARGET.read_text() if TARGET.exists() else ""
        if current != wanted:
            print(f"{TARGET.relative_to(ROOT)} is stale: run `make requirements`", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(wanted)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
