"""The API's OpenAPI document, generated from the functions' resolvers and template.yaml.

    python -m klantreis_local.openapi --write docs/openapi.json   # regenerate (`make openapi`)
    python -m klantreis_local.openapi --check docs/openapi.json   # exit 1 when it is stale

Every API function's resolver gives its paths (Powertools' `get_openapi_json_schema`); bodies that
a route parses itself come from its routes module's `REQUEST_BODIES`; the template says which
routes sit behind the Cognito authorizer (`CognitoBearer`) and which the widget calls with its
site key (`SiteKey`). The output is sorted, so the same code always gives the same bytes.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import importlib.util
import json
import sys
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver
from pydantic import BaseModel, ConfigDict, JsonValue
from pydantic.json_schema import models_json_schema

from klantreis.api import declared_routes
from klantreis_local import template

TITLE = "Klantreis API"
OPENAPI_VERSION = "3.1.0"
SCHEMA_REF = "#/components/schemas/{model}"
SITE_KEY = "SiteKey"
SITE_KEY_QUERY = "SiteKeyQuery"
CHAT_TOKEN = "ChatToken"
COGNITO = "CognitoBearer"
SHARED_EXTENSION = "x-klantreis-agents-too"
"""Set on a widget route an agent may call too (its bearer token checked by the function)."""
SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    SITE_KEY: {
        "type": "apiKey",
        "in": "header",
        "name": "X-Site-Key",
        "description": "The site's public widget key (routes the widget calls).",
    },
    SITE_KEY_QUERY: {
        "type": "apiKey",
        "in": "query",
        "name": "site_key",
        "description": (
            'The site key in the query instead of X-Site-Key: a CORS "simple" request (no '
            "preflight, what `navigator.sendBeacon` sends) whose `text/plain` body is read as JSON. "
            "The same site and Origin checks apply; a header present wins."
        ),
    },
    CHAT_TOKEN: {
        "type": "apiKey",
        "in": "header",
        "name": "X-Chat-Token",
        "description": "The `chat_token` of POST /v1/chats: the widget's access to that one chat.",
    },
    COGNITO: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A Cognito ID token of an agent or operator (routes behind the API's authorizer).",
    },
}
REFUSALS: dict[int, str] = {
    400: "The body is not valid JSON (code bad_json or bad_request)",
    401: "No or invalid credentials (code unauthorized, invalid_token or token_expired)",
    403: "Another site's resource, the wrong role, or an Origin the site does not allow (code forbidden)",
    404: "No such resource for the caller; another site's ids are unknown too (code not_found)",
    409: "The resource's state does not allow it (code conflict)",
    413: "Too large (code payload_too_large)",
    422: "Validation failed (code validation_failed; `details` names each field)",
    429: "Throttled; retry after the Retry-After seconds (code throttled)",
}
"""What each refusal means; every one answers the contract's error shape (ErrorAnswer)."""
RETRY_AFTER = {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}
CHAT_ID = {"path.chat_id": "$response.body#/chat_id"}
CHAT_LINKS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "ReadTheChat": ("GET", "/v1/chats/{chat_id}", {"parameters": CHAT_ID}),
    "WriteInTheChat": ("POST", "/v1/chats/{chat_id}/messages", {"parameters": CHAT_ID}),
    "ReadTheVisitorsJourney": ("GET", "/v1/chats/{chat_id}/context", {"parameters": CHAT_ID}),
    "GiveADiscount": ("POST", "/v1/chats/{chat_id}/discounts", {"parameters": CHAT_ID}),
    "EndTheChat": ("POST", "/v1/chats/{chat_id}/end", {"parameters": CHAT_ID}),
    "SurveyTheChat": (
        "POST",
        "/v1/surveys",
        {"requestBody": {"chat_id": "$response.body#/chat_id", "token": "$response.body#/survey_token"}},
    ),
}
AGENT_ID = {"path.agent_id": "$request.path.agent_id"}
AGENT_LINKS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "ReadTheAgent": ("GET", "/v1/agents/{agent_id}", {"parameters": AGENT_ID}),
    "SetTheAgentsStatus": ("PUT", "/v1/agents/{agent_id}/status", {"parameters": AGENT_ID}),
}
LINKS: dict[tuple[str, str, str], dict[str, tuple[str, str, dict[str, Any]]]] = {
    ("POST", "/v1/chats", "201"): CHAT_LINKS,
    ("POST", "/v1/engagement/decide", "200"): {
        "AnswerTheOffer": (
            "POST",
            "/v1/engagement/offers/{offer_id}/response",
            {"parameters": {"path.offer_id": "$response.body#/offer_id"}},
        ),
        "StartAChatFromTheOffer": (
            "POST",
            "/v1/chats",
            {
                "requestBody": {
                    "visitor_id": "$request.body#/visitor_id",
                    "session_id": "$request.body#/session_id",
                    "offer_id": "$response.body#/offer_id",
                    "message": "Hallo, ik heb een vraag over mijn bestelling.",
                }
            },
        ),
    },
    ("PUT", "/v1/agents/{agent_id}", "200"): AGENT_LINKS,
    ("PUT", "/v1/agents/{agent_id}", "201"): AGENT_LINKS,
}
"""OpenAPI links: how an answer's ids lead to the next calls (a chat's id to its reads, writes,
discount, end and survey; an offer to its answer). Clients and stateful testers follow them."""
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


class ApiError(BaseModel):
    """What went wrong: a stable `code` for programs, a `message` for people."""

    model_config = ConfigDict(extra="forbid", title="ApiError")

    code: str
    message: str
    details: JsonValue | None = None


class ErrorAnswer(BaseModel):
    """Every refusal the API answers, validation failures included (klantreis.api.error_response)."""

    model_config = ConfigDict(extra="forbid", title="ErrorAnswer")

    error: ApiError


class DriftError(ValueError):
    """The resolvers, the routes' request bodies and the template disagree."""


@dataclass(frozen=True)
class ApiFunction:
    spec: template.FunctionSpec
    app: APIGatewayRestResolver
    routes_module: ModuleType | None


def function_resolver(spec: template.FunctionSpec) -> APIGatewayRestResolver | None:
    """The resolver a function's handler serves (its handler module's `app`), or None for a
    function that is no API handler (a stream consumer, a scheduled job, a Cognito trigger)."""
    handler_module = importlib.import_module(spec.module)
    app = getattr(handler_module, "app", None)
    if app is None:
        return None
    if not isinstance(app, APIGatewayRestResolver):
        raise DriftError(f"{spec.module}.app is not an APIGatewayRestResolver")
    return app


def api_functions(path: Path = template.TEMPLATE) -> list[ApiFunction]:
    """The template's functions that serve a resolver, in logical-id order."""
    found = []
    for spec in template.functions(path):
        app = function_resolver(spec)
        if app is None:
            continue
        package = spec.module.rpartition(".")[0]
        routes_name = f"{package}.routes" if package else "routes"
        routes_module = (
            importlib.import_module(routes_name) if importlib.util.find_spec(routes_name) else None
        )
        found.append(ApiFunction(spec, app, routes_module))
    return found


def project_version() -> str:
    version: str = tomllib.loads((template.ROOT / "pyproject.toml").read_text())["project"]["version"]
    return version


def _operations(paths: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in paths.items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method.upper(), path, operation


def _add_schemas(components: dict[str, Any], schemas: Mapping[str, Any], source: str) -> None:
    for name, schema in schemas.items():
        if name in components and components[name] != schema:
            raise DriftError(f"schema {name!r} of {source} differs from another schema of that name")
        components[name] = schema


def _request_bodies(function: ApiFunction) -> dict[tuple[str, str], type[BaseModel]]:
    bodies: dict[tuple[str, str], type[BaseModel]] = dict(
        getattr(function.routes_module, "REQUEST_BODIES", None) or {}
    )
    served = declared_routes(function.app)
    stale = sorted(set(bodies) - served)
    if stale:
        raise DriftError(
            f"{function.spec.logical_id}: REQUEST_BODIES names routes it does not serve: {stale}"
        )
    return bodies


def schema_references(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref" and isinstance(item, str) and item.startswith("#/components/schemas/"):
                yield item.removeprefix("#/components/schemas/")
            else:
                yield from schema_references(item)
    elif isinstance(value, list):
        for item in value:
            yield from schema_references(item)


def used_schemas(paths: Any, schemas: Mapping[str, Any]) -> set[str]:
    used: set[str] = set()
    pending = list(schema_references(paths))
    while pending:
        name = pending.pop()
        if name in used:
            continue
        if name not in schemas:
            raise DriftError(f"the document refers to a schema it does not define: {name!r}")
        used.add(name)
        pending.extend(schema_references(schemas[name]))
    return used


def refusals(operation: Mapping[str, Any], route_path: str) -> set[int]:
    """The refusals every operation of this shape can answer; a route declares the others it
    answers (404 without an id in the path, 409, 413) in its decorator's `responses`."""
    statuses = {401, 403, 429}
    if "requestBody" in operation:
        statuses |= {400, 422}
    if operation.get("parameters"):
        statuses.add(422)
    if "{" in route_path:
        statuses.add(404)
    return statuses


def _document_refusals(operation: dict[str, Any], route_path: str, error_ref: Mapping[str, str]) -> None:
    """Every refusal the operation answers, each in the contract's error shape (Powertools gives
    a declared response without content the route's own answer model; a refusal never is one)."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    for status in refusals(operation, route_path):
        responses.setdefault(str(status), {})
    for code, response in responses.items():
        if code.startswith("4"):
            declared = response.get("description")
            generic = not declared or declared == "Validation Error"  # Powertools' own 422 text
            response["description"] = REFUSALS[int(code)] if generic else declared
            response["content"] = {"application/json": {"schema": dict(error_ref)}}
            if code == "429":
                response["headers"] = {"Retry-After": RETRY_AFTER}


def _add_links(paths: dict[str, dict[str, Any]]) -> None:
    for (method, route_path, status), links in LINKS.items():
        response = paths[route_path][method.lower()]["responses"][status]
        response["links"] = {
            name: {"operationId": paths[target_path][target_method.lower()]["operationId"], **link}
            for name, (target_method, target_path, link) in links.items()
        }


def _security(*, authorized: bool, shared: bool) -> list[dict[str, list[str]]]:
    """Who may call a route: an agent's bearer token behind the authorizer; else the widget's
    site key in its header or query form (plus the chat token on routes agents share)."""
    if authorized:
        return [{COGNITO: []}]
    if shared:
        return [{SITE_KEY: [], CHAT_TOKEN: []}, {SITE_KEY_QUERY: [], CHAT_TOKEN: []}, {COGNITO: []}]
    return [{SITE_KEY: []}, {SITE_KEY_QUERY: []}]


def build_document(path: Path = template.TEMPLATE) -> dict[str, Any]:
    """The merged OpenAPI document of every API function in the template."""
    version = project_version()
    declared = {
        (spec.logical_id, route.method, route.path): route for spec, route in template.api_routes(path)
    }
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    owners: dict[tuple[str, str], str] = {}
    operation_ids: dict[str, str] = {}
    served: set[tuple[str, str, str]] = set()

    error_keys, error_defs = models_json_schema([(ErrorAnswer, "serialization")], ref_template=SCHEMA_REF)
    error_ref = error_keys[(ErrorAnswer, "serialization")]
    _add_schemas(schemas, error_defs.get("$defs", {}), "the error answer")

    for function in api_functions(path):
        name = function.spec.logical_id
        document = json.loads(function.app.get_openapi_json_schema(title=TITLE, version=version))
        bodies = _request_bodies(function)
        body_refs: dict[tuple[str, str], Any] = {}
        if bodies:
            body_keys, body_defs = models_json_schema(
                [(model, "validation") for model in bodies.values()], ref_template=SCHEMA_REF
            )
            _add_schemas(schemas, body_defs.get("$defs", {}), f"{name}'s request bodies")
            body_refs = {route_key: body_keys[(model, "validation")] for route_key, model in bodies.items()}
        for method, route_path, operation in _operations(document.get("paths", {})):
            key = (method, route_path)
            if key in owners:
                raise DriftError(f"{method} {route_path} is served by {owners[key]} and {name}")
            owners[key] = name
            route = declared.get((name, method, route_path))
            if route is None:
                raise DriftError(f"{name} serves {method} {route_path}, which template.yaml does not declare")
            served.add((name, method, route_path))
            operation_id = operation.get("operationId")
            if operation_id in operation_ids:
                raise DriftError(
                    f"operationId {operation_id!r} of {name} is also used by {operation_ids[operation_id]}"
                )
            operation_ids[str(operation_id)] = name
            operation["security"] = _security(
                authorized=route.authorized, shared=bool(operation.pop(SHARED_EXTENSION, False))
            )
            if key in body_refs:
                if "requestBody" in operation:
                    raise DriftError(
                        f"{method} {route_path} declares its body twice (typed and REQUEST_BODIES)"
                    )
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": body_refs[key]}},
                }
            content = operation.get("requestBody", {}).get("content", {})
            if not route.authorized and "application/json" in content:
                content["text/plain"] = content["application/json"]  # with ?site_key= (query form)
            _document_refusals(operation, route_path, error_ref)
            paths.setdefault(route_path, {})[method.lower()] = operation
        _add_schemas(schemas, document.get("components", {}).get("schemas", {}), name)

    missing = sorted(f"{name}: {method} {route_path}" for name, method, route_path in set(declared) - served)
    if missing:
        raise DriftError(f"template.yaml declares routes no resolver serves: {missing}")

    _add_links(paths)
    used = used_schemas(paths, schemas)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": TITLE,
            "version": version,
            "description": "Generated from the functions' resolvers and template.yaml by `make openapi`.",
        },
        "servers": [{"url": "/", "description": "The API stage's base URL (the ApiUrl output)"}],
        "paths": paths,
        "components": {
            "schemas": {name: schema for name, schema in schemas.items() if name in used},
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def render(path: Path = template.TEMPLATE) -> str:
    return json.dumps(build_document(path), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m klantreis_local.openapi", description=__doc__.split("\n")[0]
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", type=Path, metavar="FILE", help="write the document to FILE")
    action.add_argument("--check", type=Path, metavar="FILE", help="exit 1 when FILE is not current")
    args = parser.parse_args(argv)
    wanted = render()
    if args.write is not None:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(wanted, encoding="utf-8")
        print(f"wrote {args.write}")
        return 0
    target: Path = args.check
    current = target.read_text(encoding="utf-8") if target.exists() else ""
    if current == wanted:
        return 0
    diff = difflib.unified_diff(
        current.splitlines(keepends=True), wanted.splitlines(keepends=True), str(target), "generated", n=1
    )
    shown = "".join(list(diff)[:60])
    print(f"{target} is not what the resolvers generate: run `make openapi`\n{shown}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
