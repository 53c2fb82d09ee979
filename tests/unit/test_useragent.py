"""Browser, OS, device and bot from a User-Agent header."""

from __future__ import annotations

import pytest

from klantreis.useragent import describe_client

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
EDGE_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0"
)
SAMSUNG_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/25.0 Chrome/121.0.0.0 Safari/537.36"
)
FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:131.0) Gecko/131.0 Firefox/131.0"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.mark.parametrize(
    ("user_agent", "browser", "os", "device", "bot"),
    [
        (CHROME_WINDOWS, "chrome", "windows", "desktop", False),
        (SAFARI_IPHONE, "safari", "ios", "mobile", False),
        (EDGE_MAC, "edge", "macos", "desktop", False),
        (SAMSUNG_TABLET, "samsung", "android", "tablet", False),
        (FIREFOX_ANDROID, "firefox", "android", "mobile", False),
        (GOOGLEBOT, "other", "other", "desktop", True),
        ("curl/8.5.0", "other", "other", "desktop", True),
        (
            "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/130.0.0.0 Safari/537.36",
            "chrome",
            "linux",
            "desktop",
            True,
        ),
    ],
)
def test_clients_are_recognised(user_agent: str, browser: str, os: str, device: str, bot: bool) -> None:
    client = describe_client(user_agent)
    assert (client.browser, client.os, client.device, client.bot) == (browser, os, device, bot)


def test_no_user_agent_tells_nothing_but_the_viewer_headers() -> None:
    client = describe_client(None, " nl ", "nh")
    assert (client.browser, client.os, client.bot, client.country, client.region) == (
        None,
        None,
        False,
        "NL",
        "NH",
    )


def test_overlong_values_are_cut() -> None:
    client = describe_client("x" * 10_000, "C" * 50, "R" * 50)
    assert len(client.country or "") == 8
    assert len(client.region or "") == 16
