"""The template's REST API on chalice's local gateway: one chalice view per route completes
chalice's local event into API Gateway's REST (payload v1) proxy event, plays the Cognito
authorizer with local tokens (on open routes too, when a request carries one), and hands the
event to the function's real Lambda handler. The gateway's own answers (401, 404, 502 and
/dev/token) carry the security headers as the template's GatewayResponses do; the functions'
answers carry them from the functions."""

from __future__ import annotations

import base64
import copy
import json
import logging
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any
from urllib.parse import unquote

from chalice.app import Chalice, CORSConfig, Response
from pydantic import BaseModel, StringConstraints, ValidationError

from klantreis.api import SECURITY_HEADERS, WIDGET_HEADERS
from klantreis.auth import Principal, Role, header
from klantreis.cognito import bearer_token
from klantreis.keys import ID_PATTERN
from klantreis.sites import SiteId
from klantreis_local import template, tokens

Handler = Callable[[dict[str, Any], Any], Any]
View = Callable[..., Response]

STAGE = "local"
TOKEN_PATH = "/dev/token"
FUNCTION_TIMEOUT_MS = 10_000
CORS = CORSConfig(allow_origin="*", allow_headers=WIDGET_HEADERS, max_age=600)
ANY_CONTENT_TYPE = ["*/*"]
"""API Gateway hands every body to the function; chalice would answer 415 to non-JSON ones."""
UNROUTED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "TRACE")
UNKNOWN_PATH_DEPTH = 8
"""Unknown paths up to this many segments answer the contract's 404 (deeper ones chalice's 403)."""

HANDLER_LOCK = threading.Lock()
"""Lambda runs one event at a time per instance, and the functions share module state (each
resolver's current event, Powertools' logger and metrics, cached clients, moto's backend), so the
threaded server and the stream pump invoke handlers one at a time."""

log = logging.getLogger("klantreis_local")


class TokenRequest(BaseModel):
    """The query of GET /dev/token."""

    site_id: SiteId
    sub: Annotated[str, StringConstraints(pattern=ID_PATTERN)]
    role: Role


class LocalLambdaContext:
    """The parts of Lambda's context object that Powertools and the handlers read."""

    memory_limit_in_mb = 512
    function_version = "$LATEST"

    def __init__(self, spec: template.FunctionSpec, request_id: str) -> None:
        name = spec.logical_id.removesuffix("Function").lower()
        self.function_name = f"klantreis-{STAGE}-{name}"
        self.invoked_function_arn = f"arn:aws:lambda:eu-west-1:000000000000:function:{self.function_name}"
        self.aws_request_id = request_id
        self._deadline = time.monotonic() + FUNCTION_TIMEOUT_MS / 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def build_app(routes: Iterable[tuple[template.FunctionSpec, template.Route]] | None = None) -> Chalice:
    """A chalice app serving `routes` (default: every API route of template.yaml) and /dev/token."""
    # env={}: chalice would otherwise mark this process as running in Lambda (AWS_EXECUTION_ENV).
    app = Chalice(app_name="klantreis-local", env={})
    declared: dict[str, set[str]] = defaultdict(set)
    handlers: dict[str, Handler] = {}
    for spec, route in template.api_routes() if routes is None else routes:
        if spec.logical_id not in handlers:
            handlers[spec.logical_id] = spec.load_handler()
        _register(app, route.path, [route.method], _lambda_view(app, spec, route, handlers[spec.logical_id]))
        declared[route.path].add(route.method)
    _register(app, TOKEN_PATH, ["GET"], _token_view(app))
    declared[TOKEN_PATH].add("GET")

    # A method the path does not serve is 405 with the methods it does (RFC 9110); an unknown
    # path is the contract's 404, as API Gateway's MISSING_AUTHENTICATION_TOKEN is mapped in the
    # template. chalice matches literal segments before parameters.
    for path, methods in list(declared.items()):
        unrouted = [method for method in UNROUTED_METHODS if method not in methods]
        _register(app, path, unrouted, _method_not_allowed(sorted(methods)))
    for depth in range(1, UNKNOWN_PATH_DEPTH + 1):
        any_path = "".join(f"/{{segment{i}}}" for i in range(depth))
        if any_path not in declared:
            _register(app, any_path, list(UNROUTED_METHODS), _not_found)
    return app


def _register(app: Chalice, path: str, methods: list[str], view: View) -> None:
    name = f"{'_'.join(methods)} {path}"
    app.route(path, methods=methods, name=name, cors=CORS, content_types=ANY_CONTENT_TYPE)(view)


def _lambda_view(app: Chalice, spec: template.FunctionSpec, route: template.Route, handler: Handler) -> View:
    def view(**_path_parameters: str) -> Response:
        request = app.current_request
        assert request is not None, "chalice sets the request before calling a view"
        event = proxy_event(request.to_original_event())
        # An open route takes a bearer token too (routes shared by the widget and agents); the
        # deployed function verifies it itself and refuses an invalid one, so this does as well.
        if route.authorized or bearer_token(header(event["headers"], "Authorization")):
            claims = bearer_claims(event["headers"])
            if claims is None:
                return error(401, "unauthorized", "a valid bearer token is required")
            event["requestContext"]["authorizer"] = {"claims": claims}
        return invoke(spec, handler, event)

    return view


def _token_view(app: Chalice) -> View:
    def view() -> Response:
        request = app.current_request
        assert request is not None, "chalice sets the request before calling a view"
        query = proxy_event(request.to_original_event())["queryStringParameters"]
        try:
            wanted = TokenRequest.model_validate(query or {})
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "query"
            return error(400, "bad_request", f"{field}: {first['msg']} (site_id, sub, role=agent|operator)")
        token = tokens.issue(Principal(sub=wanted.sub, site_id=wanted.site_id, role=wanted.role))
        return Response(body=json.dumps({"token": token}), headers=_json_headers())

    return view


def _not_found(**_path_parameters: str) -> Response:
    return error(404, "not_found", "no such resource")


def _method_not_allowed(methods: list[str]) -> View:
    allowed = ", ".join([*methods, "OPTIONS"])

    def view(**_path_parameters: str) -> Response:
        return error(405, "method_not_allowed", f"this resource answers {allowed}", {"Allow": allowed})

    return view


def error(status: int, code: str, message: str, headers: Mapping[str, str] | None = None) -> Response:
    body = json.dumps({"error": {"code": code, "message": message}})
    return Response(body=body, headers={**_json_headers(), **(headers or {})}, status_code=status)


def _json_headers() -> dict[str, str | list[str]]:
    return {"Content-Type": "application/json", **SECURITY_HEADERS}


def proxy_event(local_event: Mapping[str, Any]) -> dict[str, Any]:
    """chalice's local event completed to what API Gateway (REST, payload v1) sends a function."""
    event = copy.deepcopy(dict(local_event))
    context = event["requestContext"]
    headers = dict(event.get("headers") or {})
    query = event.get("multiValueQueryStringParameters")
    path = context["path"]
    event.update(
        resource=context["resourcePath"],
        path=path,
        httpMethod=context["httpMethod"],
        headers=headers,
        multiValueHeaders={name: [value] for name, value in headers.items()},
        # API Gateway keeps the last value of a repeated parameter, URL-decoded.
        queryStringParameters={name: values[-1] for name, values in query.items()} if query else None,
        pathParameters={name: unquote(value) for name, value in (event.get("pathParameters") or {}).items()}
        or None,
        stageVariables=None,
        body=_text_body(event.get("body"), bool(event.get("isBase64Encoded"))),
        isBase64Encoded=False,
    )
    context.pop("authorizer", None)
    context.update(
        path=f"/{STAGE}{path}",
        stage=STAGE,
        requestId=str(uuid.uuid4()),
        requestTimeEpoch=int(time.time() * 1000),
        protocol="HTTP/1.1",
    )
    return event


def _text_body(body: str | bytes | None, is_base64: bool) -> str | None:
    # The template declares no binary media types, so API Gateway passes every body as text.
    if not body:
        return None
    raw = base64.b64decode(body) if is_base64 else body
    return raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw


def bearer_claims(headers: Mapping[str, str]) -> dict[str, str] | None:
    """Claims of a valid local token in `Authorization`; like Cognito's authorizer, the token may
    come with or without the `Bearer` scheme."""
    token = bearer_token(header(headers, "Authorization"))
    return tokens.verify(token) if token else None


def invoke(spec: template.FunctionSpec, handler: Handler, event: dict[str, Any]) -> Response:
    context = LocalLambdaContext(spec, event["requestContext"]["requestId"])
    try:
        with HANDLER_LOCK:
            result = handler(event, context)
    except Exception:
        # A crashed function is API Gateway's 502, in the contract's shape (DEFAULT_5XX); the
        # traceback in the server's output is the bug report.
        log.exception("%s raised on %s %s", spec.logical_id, event["httpMethod"], event["path"])
        return error(502, "internal", "internal error")
    return proxy_response(result)


def proxy_response(result: Mapping[str, Any]) -> Response:
    """A Lambda proxy result as a chalice response; like API Gateway, a header in both
    `headers` and `multiValueHeaders` takes the multi-value list."""
    headers: dict[str, str | list[str]] = dict(result.get("headers") or {})
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name] = values[0] if len(values) == 1 else list(values)
    body: str | bytes = result.get("body") or ""
    if result.get("isBase64Encoded"):
        body = base64.b64decode(body)
    return Response(body=body, headers=headers, status_code=int(result["statusCode"]))
