"""The console's figures for `make bench`: the sizes of its built files (web/dist/console, `make
web`), raw and gzipped. The console shares nothing with the widget's size budget; the figure keeps
it lean (docs/decisions.md records it)."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "web" / "dist" / "console"
FILES = ("console.js", "console.css", "index.html")
HEADERS = ["file", "bytes", "gzip"]


def sizes(dist: Path = DIST) -> dict[str, Any]:
    """Each file's bytes and gzip (level 9) bytes, and their total."""
    files = {}
    for name in FILES:
        path = dist / name
        if not path.is_file():
            raise SystemExit(f"{path} is missing: `make web` builds it")
        raw = path.read_bytes()
        files[name] = {"bytes": len(raw), "gzip_bytes": len(gzip.compress(raw, compresslevel=9))}
    return {
        "files": files,
        "total_bytes": sum(f["bytes"] for f in files.values()),
        "total_gzip_bytes": sum(f["gzip_bytes"] for f in files.values()),
    }


def rows(figures: dict[str, Any]) -> list[list[object]]:
    return [
        *([name, f["bytes"], f["gzip_bytes"]] for name, f in figures["files"].items()),
        ["total", figures["total_bytes"], figures["total_gzip_bytes"]],
    ]


def summary_lines(results: dict[str, Any]) -> list[str]:
    """The summary's line of the console, if this run or the last measured it."""
    figures = results.get("console")
    if not figures:
        return []
    files = figures["files"]
    return [
        f"- Console gzip: {figures['total_gzip_bytes']} B in all (console.js "
        f"{files['console.js']['gzip_bytes']} B, console.css {files['console.css']['gzip_bytes']} B)."
    ]
