"""What a User-Agent header says that engagement needs: browser, operating system, device class,
and whether it is a bot. A handful of ordered patterns, not a full parser: the raw header is not
kept (it is long, and it identifies people more than these four fields do)."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

Device = Literal["desktop", "mobile", "tablet"]

_BOT = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|headless|lighthouse|pingdom|uptime|monitor|curl/|wget/|"
    r"python-requests|python-urllib|httpclient|okhttp|go-http|java/|scrapy|facebookexternalhit|"
    r"preview|phantomjs|selenium|playwright|puppeteer",
    re.IGNORECASE,
)
# First match wins: Edge and Opera also say Chrome, Chrome also says Safari.
_BROWSERS = (
    ("edge", re.compile(r"Edg(e|A|iOS)?/")),
    ("opera", re.compile(r"OPR/|Opera")),
    ("samsung", re.compile(r"SamsungBrowser/")),
    ("firefox", re.compile(r"Firefox/|FxiOS/")),
    ("chrome", re.compile(r"Chrome/|CriOS/|Chromium/")),
    ("safari", re.compile(r"Version/[\d.]+.*Safari/")),
    ("ie", re.compile(r"MSIE |Trident/")),
)
_SYSTEMS = (
    ("ios", re.compile(r"iPhone|iPad|iPod")),
    ("android", re.compile(r"Android")),
    ("windows", re.compile(r"Windows")),
    ("chromeos", re.compile(r"CrOS")),
    ("macos", re.compile(r"Mac OS X|Macintosh")),
    ("linux", re.compile(r"Linux|X11")),
)
_TABLET = re.compile(r"iPad|Tablet|Android(?!.*Mobile)")
_MOBILE = re.compile(r"Mobi|iPhone|iPod|Android.*Mobile")


class ClientInfo(BaseModel):
    """The visitor's client as the request shows it (headers of the tracking request)."""

    model_config = ConfigDict(frozen=True)

    browser: str | None = None
    os: str | None = None
    device: Device | None = None
    bot: bool = False
    country: str | None = None
    region: str | None = None


def _first(table: tuple[tuple[str, re.Pattern[str]], ...], text: str) -> str:
    return next((name for name, pattern in table if pattern.search(text)), "other")


def describe_client(
    user_agent: str | None, country: str | None = None, region: str | None = None
) -> ClientInfo:
    """ClientInfo from the User-Agent and CloudFront viewer headers (absent ones stay None)."""
    country = (country or "").strip().upper()[:8] or None
    region = (region or "").strip().upper()[:16] or None
    text = (user_agent or "")[:1024]
    if not text.strip():
        return ClientInfo(country=country, region=region)
    device: Device = "tablet" if _TABLET.search(text) else "mobile" if _MOBILE.search(text) else "desktop"
    return ClientInfo(
        browser=_first(_BROWSERS, text),
        os=_first(_SYSTEMS, text),
        device=device,
        bot=bool(_BOT.search(text)),
        country=country,
        region=region,
    )
