"""The demo shop (`/demo/`) and the widget's built files (`/widget/`) on the local stack, served
the way a shop would serve them: static files under a strict Content-Security-Policy, so the
browser tests prove the widget needs nothing looser.

Every shop page is the same HTML shell; the shop's own script renders the page for its path."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from chalice.app import Chalice, Response

ROOT = Path(__file__).resolve().parents[3]
SHOP_FILES = ROOT / "web" / "demo" / "public"
SHOP_BUILD = ROOT / "web" / "demo" / "build"
WIDGET_BUILD = ROOT / "web" / "dist"
SHELL = "index.html"

STRICT_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'"
SECURITY_HEADERS = {
    "Content-Security-Policy": STRICT_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".map": "application/json",
}
SHELL_PATHS = [
    "/demo",
    "/demo/cart",
    "/demo/checkout",
    "/demo/checkout/{step}",
    "/demo/order",
    "/demo/c/{category}",
    "/demo/products/{product_id}",
]
"""Pages of the shop: each answers the shell, whose script renders what the path names."""


def mount(app: Chalice) -> None:
    """Adds the shop's pages and files and the widget's files to the local gateway's app."""
    for path in SHELL_PATHS:
        app.route(path, methods=["GET", "HEAD"], name=f"shop {path}")(_shell)
    app.route("/demo/{name}", methods=["GET", "HEAD"], name="shop file")(_shop_file)
    app.route("/demo/img/{name}", methods=["GET", "HEAD"], name="shop image")(_shop_image)
    app.route("/widget/{name}", methods=["GET", "HEAD"], name="widget file")(_widget_file)


def _shell(**_path: str) -> Response:
    return static_file(SHOP_FILES / SHELL, cache="no-cache")


def _shop_file(name: str) -> Response:
    # The shop's built script comes from its build folder, everything else from its sources.
    if name in ("cart", "checkout", "order"):
        return _shell()
    built = SHOP_BUILD / name
    return static_file(built if built.is_file() else SHOP_FILES / name)


def _shop_image(name: str) -> Response:
    return static_file(SHOP_FILES / "img" / name)


def _widget_file(name: str) -> Response:
    return static_file(WIDGET_BUILD / name)


def static_file(path: Path, cache: str = "no-cache") -> Response:
    """The file with its content type and the security headers; the contract's 404 when the name
    is not a plain file of that folder (no `..`, no sub-folders)."""
    if "/" in path.name or path.name.startswith(".") or not path.is_file():
        return _missing()
    content_type = CONTENT_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
    if content_type is None:
        return _missing()
    headers: dict[str, str | list[str]] = {
        **SECURITY_HEADERS,
        "Content-Type": content_type,
        "Cache-Control": cache,
    }
    return Response(body=path.read_text(encoding="utf-8"), headers=headers, status_code=200)


def _missing() -> Response:
    headers: dict[str, str | list[str]] = {**SECURITY_HEADERS, "Content-Type": "application/json"}
    return Response(
        body='{"error": {"code": "not_found", "message": "no such resource"}}',
        headers=headers,
        status_code=404,
    )
