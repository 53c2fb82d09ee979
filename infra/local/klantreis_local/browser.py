"""Debian's chromium under playwright, as the browser tests and the widget's bench drive it
(`playwright install` cannot download browsers here: the system's chromium is used)."""

from __future__ import annotations

import re
import subprocess
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def shopper_user_agent() -> str:
    """A shopper's Chrome rather than "HeadlessChrome" (decide rightly answers `bot` to that). Set
    on the command line: a context's override does not reach keepalive requests and beacons."""
    version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, check=True).stdout
    major = re.search(r"(\d+)\.", version)
    return (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{major.group(1) if major else '150'}.0.0.0 Safari/537.36"
    )


def launch(playwright: Any) -> Any:
    """The system chromium, headless, posing as a shopper's Chrome."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, f"--user-agent={shopper_user_agent()}"]
    )
