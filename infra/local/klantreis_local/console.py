"""The agents' and operators' console (`/console/`) on the local stack: its built files
(web/dist/console, `make web`) under the same strict Content-Security-Policy as the demo shop, and
its `config.json`: the API on the same origin and the dev sign-in with the demo site's users."""

from __future__ import annotations

import json

from chalice.app import Chalice, Response

from klantreis_local import gateway, runtime
from klantreis_local.shop import ROOT, SECURITY_HEADERS, static_file

CONSOLE_BUILD = ROOT / "web" / "dist" / "console"
INDEX = "index.html"
CONFIG = "config.json"
DEV_USERS = [
    {"sub": "mirjam", "role": "agent", "name": "Mirjam"},
    {"sub": "sven", "role": "agent", "name": "Sven"},
    {"sub": "ops", "role": "operator", "name": "Ops (operator)"},
]
"""The seeded agents and the operator `ops` (a token subject only), as the dev sign-in offers them."""
FRAME_HEADERS = {"X-Frame-Options": "DENY"}
"""The console is never framed (clickjacking): CSP's frame-ancestors says it too."""


def config() -> dict[str, object]:
    """The local console's config.json (deployed, infra/scripts/publish_console.py writes it)."""
    return {
        "api": "",
        "auth": {
            "kind": "dev",
            "site_id": runtime.DEMO_SITE,
            "token_path": gateway.TOKEN_PATH,
            "users": DEV_USERS,
        },
    }


def mount(app: Chalice) -> None:
    """Adds `/console/`, its files and its config.json to the local gateway's app."""
    app.route("/console", methods=["GET", "HEAD"], name="console")(_index)
    app.route("/console/{name}", methods=["GET", "HEAD"], name="console file")(_file)


def _index() -> Response:
    return _framed(static_file(CONSOLE_BUILD / INDEX, cache="no-cache"))


def _file(name: str) -> Response:
    if name == CONFIG:
        headers: dict[str, str | list[str]] = {
            **SECURITY_HEADERS,
            **FRAME_HEADERS,
            "Content-Type": "application/json",
            "Cache-Control": "no-store",
        }
        return Response(body=json.dumps(config()), headers=headers, status_code=200)
    if name == INDEX:
        return _index()
    return _framed(static_file(CONSOLE_BUILD / name))


def _framed(response: Response) -> Response:
    response.headers.update(FRAME_HEADERS)
    response.headers["Content-Security-Policy"] = (
        f"{response.headers['Content-Security-Policy']}; frame-ancestors 'none'"
    )
    return response
