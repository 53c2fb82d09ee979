"""The console on the local gateway: `/console/` answers its page under the strict CSP (never
framed), its built files come with their content type, config.json offers the dev sign-in with the
demo site's users, and anything else is the contract's 404."""

from __future__ import annotations

import pytest
from chalice.test import Client

from klantreis.sites import Site
from klantreis_local import console, shop
from klantreis_local.gateway import build_app
from tests.e2e.conftest import Api


@pytest.fixture
def client(demo_site: Site) -> Client:
    app = build_app()
    shop.mount(app)
    console.mount(app)
    return Client(app)


@pytest.mark.parametrize("path", ["/console", "/console/", "/console/index.html"])
def test_the_console_page_is_served_under_the_strict_csp_and_never_framed(client: Client, path: str) -> None:
    response = client.http.get(path)
    assert response.status_code == 200
    assert b'<div id="console">' in response.body
    assert response.headers["Content-Security-Policy"] == f"{shop.STRICT_CSP}; frame-ancestors 'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/console/console.js", "text/javascript; charset=utf-8"),
        ("/console/console.css", "text/css; charset=utf-8"),
    ],
)
def test_the_console_files_come_with_their_content_type(client: Client, path: str, content_type: str) -> None:
    response = client.http.get(path)
    assert (response.status_code, response.headers["Content-Type"]) == (200, content_type)


def test_config_offers_the_dev_sign_in_with_the_seeded_users(client: Client) -> None:
    response = client.http.get("/console/config.json")
    assert (response.status_code, response.headers["Cache-Control"]) == (200, "no-store")
    config = response.json_body
    assert (config["api"], config["auth"]["kind"], config["auth"]["site_id"]) == ("", "dev", "demo")
    assert config["auth"]["token_path"] == "/dev/token"
    assert [(u["sub"], u["role"]) for u in config["auth"]["users"]] == [
        ("mirjam", "agent"),
        ("sven", "agent"),
        ("ops", "operator"),
    ]


@pytest.mark.parametrize(
    "path", ["/console/..%2Fpyproject.toml", "/console/.gitignore", "/console/nothing.js"]
)
def test_anything_else_is_the_contracts_404(client: Client, path: str) -> None:
    answer = Api(client).request("GET", path)
    assert (answer.status, answer.error_code) == (404, "not_found")
