"""The demo shop and the widget's files on the local gateway: every shop page answers the shell
under the strict CSP, files come with their content type, and anything else is the contract's 404."""

from __future__ import annotations

import pytest
from chalice.test import Client

from klantreis.sites import Site
from klantreis_local import shop
from klantreis_local.gateway import build_app
from tests.e2e.conftest import Api

SHELL_MARK = b'<main id="main"'


@pytest.fixture
def client(demo_site: Site) -> Client:
    app = build_app()
    shop.mount(app)
    return Client(app)


@pytest.fixture
def served(client: Client) -> Api:
    return Api(client)


@pytest.mark.parametrize(
    "path",
    [
        "/demo",
        "/demo/",
        "/demo/products/b-39",
        "/demo/c/dameslaarzen",
        "/demo/cart",
        "/demo/checkout/2",
        "/demo/order",
    ],
)
def test_every_shop_page_is_the_shell_under_the_strict_csp(client: Client, path: str) -> None:
    response = client.http.get(path)
    assert response.status_code == 200
    assert SHELL_MARK in response.body
    assert response.headers["Content-Security-Policy"] == shop.STRICT_CSP
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/demo/shop.css", "text/css; charset=utf-8"),
        ("/demo/queue.js", "text/javascript; charset=utf-8"),
        ("/demo/catalogue.json", "application/json"),
        ("/demo/img/boot.svg", "image/svg+xml"),
    ],
)
def test_shop_files_come_with_their_content_type(client: Client, path: str, content_type: str) -> None:
    response = client.http.get(path)
    assert (response.status_code, response.headers["Content-Type"]) == (200, content_type)


def test_the_catalogue_holds_annas_boots(served: Api) -> None:
    catalogue = served.request("GET", "/demo/catalogue.json").json
    [boots] = [p for p in catalogue["products"] if p["id"] == "b-39"]
    assert (boots["category"], boots["price"], catalogue["currency"]) == ("dameslaarzen", 329.95, "EUR")
    assert len(catalogue["products"]) >= 13


@pytest.mark.parametrize(
    "path", ["/demo/..%2Fpyproject.toml", "/demo/.gitignore", "/widget/nothing.js", "/demo/img/x.svg"]
)
def test_anything_else_is_the_contracts_404(served: Api, path: str) -> None:
    answer = served.request("GET", path)
    assert (answer.status, answer.error_code) == (404, "not_found")


def test_the_api_is_unchanged_by_the_shop(served: Api) -> None:
    assert served.request("GET", "/v1/nothing").status == 404
