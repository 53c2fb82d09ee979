"""Event factories with overrides: tests say only what matters to them."""

from __future__ import annotations

import itertools
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

_ids = itertools.count(1)
T0 = datetime(2026, 11, 22, 19, 0, tzinfo=UTC)
NOON = T0.replace(hour=11)
"""Noon on T0's day in Amsterdam, the demo site's time zone."""


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def event(type: str = "page_view", *, at: datetime | None = None, **fields: Any) -> dict[str, Any]:
    """One tracked event as the widget sends it."""
    defaults: dict[str, Any] = {"event_id": f"e-{next(_ids)}", "type": type, "timestamp": iso(at or T0)}
    if type in ("product_view", "add_to_cart", "remove_from_cart"):
        defaults.setdefault("product_id", "b-39")
    if type == "checkout_step":
        defaults["step"] = 1
    defaults.update(fields)
    return defaults


def batch(
    *events: dict[str, Any],
    visitor_id: str = "anna",
    session_id: str = "s-1",
    sent_at: datetime | None = None,
) -> dict[str, Any]:
    latest = max((datetime.fromisoformat(e["timestamp"]) for e in events if "timestamp" in e), default=T0)
    return {
        "visitor_id": visitor_id,
        "session_id": session_id,
        "sent_at": iso(sent_at or latest + timedelta(seconds=1)),
        "events": list(events),
    }


def anna_journey(at: datetime = T0) -> list[dict[str, Any]]:
    """The contract's reference case: b-39 viewed three times, added, checkout step 2."""
    boot = {"product_id": "b-39", "category": "dameslaarzen", "value": 329.95, "currency": "EUR"}
    return [
        event("page_view", at=at, url="https://shop.example/laarzen"),
        event(
            "product_view", at=at + timedelta(seconds=20), url="https://shop.example/laarzen/bruin", **boot
        ),
        event(
            "product_view",
            at=at + timedelta(seconds=60),
            url="https://shop.example/laarzen/bruin?c=1",
            **boot,
        ),
        event(
            "product_view",
            at=at + timedelta(seconds=90),
            url="https://shop.example/laarzen/bruin?c=2",
            **boot,
        ),
        event("add_to_cart", at=at + timedelta(seconds=120), **boot),
        event("checkout_step", at=at + timedelta(seconds=150), step=1, url="https://shop.example/checkout/1"),
        event("checkout_step", at=at + timedelta(seconds=180), step=2, url="https://shop.example/checkout/2"),
    ]


def api_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    headers: dict[str, str] | None = None,
    claims: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    resource: str | None = None,
) -> dict[str, Any]:
    """An API Gateway REST (payload v1) proxy event, as the deployed API hands it to a function."""
    raw = body if isinstance(body, str) or body is None else json.dumps(body)
    request_context: dict[str, Any] = {
        "httpMethod": method,
        "path": f"/dev{path}",
        "resourcePath": resource or path,
        "requestId": f"req-{next(_ids)}",
        "stage": "dev",
        "identity": {"sourceIp": "127.0.0.1"},
    }
    if claims is not None:
        request_context["authorizer"] = {"claims": claims}
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "pathParameters": path_parameters,
        "requestContext": request_context,
        "body": raw,
        "isBase64Encoded": False,
    }


class SetClock:
    """A clock a test sets: `clock.now = ...`."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class FakeContext:
    function_name = "klantreis-test"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:000000000000:function:klantreis-test"
    aws_request_id = "test-request"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def constant_model(raw: float) -> bytes:
    """A propensity model JSON whose one tree is a single leaf: every session scores
    logistic(raw)."""
    from tests.unit.test_model import tiny_model_document

    document = tiny_model_document()
    document["trees"] = {
        "roots": [0],
        "feature": [-1],
        "threshold": [0],
        "left": [-1],
        "right": [-1],
        "value": [raw],
    }
    document["base_score"] = 0.0
    return json.dumps(document).encode()


def load_operator_script(name: str) -> Any:
    """An operator script of infra/scripts (they are scripts, not a package) as a module."""
    import importlib.util

    from klantreis_local.template import ROOT

    spec = importlib.util.spec_from_file_location(
        f"operator_{name}", ROOT / "infra" / "scripts" / f"{name}.py"
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    # Registered first, as an import would: dataclasses look their module up while defined.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
