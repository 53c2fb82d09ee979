"""The REST resolver every function starts from, and the mapping of domain errors to the
contract's error answers: `{"error": {"code", "message"}}` with a fitting 4xx.

Each API function's `handler.py` joins its route modules' routers on `build_resolver(...)` and
takes its Lambda handler from `entry_point(app)`; nothing here matches on error messages, only on
error types. Every answer the resolver gives (a route's,
an error's, a 404, a CORS preflight) carries `SECURITY_HEADERS`.

Every request passes the same steps before its route runs (`RequestChecks`): path ids are decoded
once; the route's `checked_first` credential, role and tenancy check runs; then Powertools
validates the path, query and body (the body always read as strict JSON, whatever its
Content-Type). So a caller without the right credentials learns nothing from a validation answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import unquote

from aws_lambda_powertools.event_handler.api_gateway import (
    APIGatewayRestResolver,
    CORSConfig,
    Response,
)
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
    OpenAPIRequestValidationMiddleware,
)
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from aws_lambda_powertools.event_handler.types import EventHandlerInstance
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from klantreis import dynamo, errors, jsontext
from klantreis.auth import Principal, Role, authenticate_widget, header, principal_from_claims
from klantreis.cognito import BearerVerifier, bearer_token
from klantreis.observability import logger, metrics
from klantreis.sites import SiteDirectory

RequestSource = APIGatewayRestResolver | APIGatewayRouter
"""Where a route reads its request: the resolver, or the router of its route module."""
LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]

STATUS_BY_ERROR: dict[type[errors.KlantreisError], HTTPStatus] = {
    errors.BadRequest: HTTPStatus.BAD_REQUEST,
    errors.ValidationFailed: HTTPStatus.UNPROCESSABLE_ENTITY,
    errors.Unauthorized: HTTPStatus.UNAUTHORIZED,
    errors.Forbidden: HTTPStatus.FORBIDDEN,
    errors.NotFound: HTTPStatus.NOT_FOUND,
    errors.Conflict: HTTPStatus.CONFLICT,
    errors.PayloadTooLarge: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    errors.Throttled: HTTPStatus.TOO_MANY_REQUESTS,
}

WIDGET_HEADERS = ["Content-Type", "X-Site-Key", "X-Chat-Token", "Authorization"]
SITE_KEY_QUERY = "site_key"
"""The query form of `X-Site-Key`: a CORS "simple" request (`text/plain` body, no custom header)
needs no preflight, and `navigator.sendBeacon` can send nothing else."""


def as_header_form(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """A widget request in the query form (`?site_key=` with a `text/plain` JSON body) rewritten to
    the contract's header form (`X-Site-Key`, `application/json`), so routes and validation see
    one shape. A header already present wins; Origin checks are the route's, as for the header."""
    query = event.get("queryStringParameters") or {}
    site_key = query.get(SITE_KEY_QUERY)
    if not site_key:
        return event
    headers = dict(event.get("headers") or {})
    multi = dict(event.get("multiValueHeaders") or {})
    if header(headers, "X-Site-Key") is None:
        headers["X-Site-Key"] = site_key
        multi["X-Site-Key"] = [site_key]
    content_type = header(headers, "Content-Type") or ""
    if content_type.split(";")[0].strip().lower() == "text/plain":
        for name in [n for n in headers if n.lower() == "content-type"]:
            headers[name] = "application/json"
            multi[name] = ["application/json"]
    return {**event, "headers": headers, "multiValueHeaders": multi}


SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    # Answers are per visitor, agent or site: no browser or proxy may keep a copy.
    "Cache-Control": "no-store",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Referrer-Policy": "no-referrer",
    # JSON and CSV are never pages: nothing may frame them or run anything in them.
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
}
"""On every answer of the API: the functions' (here) and API Gateway's own (template.yaml's
GatewayResponses, which a test holds to this list). Browsers ignore HSTS over plain HTTP, so the
local stack sends it too."""


def error_response(status: HTTPStatus, code: str, message: str, details: Any = None) -> Response[str]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    headers = {"Retry-After": "1"} if status == HTTPStatus.TOO_MANY_REQUESTS else None
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps({"error": error}, default=str),
        headers=headers,
    )


def describe_validation_errors(raw: Any) -> list[dict[str, Any]]:
    """pydantic/Powertools errors as `{"field": "events.0.type", "error": "..."}`."""
    described = []
    for err in raw:
        location = [str(part) for part in err.get("loc", ()) if part not in ("body",)]
        described.append({"field": ".".join(location) or "body", "error": str(err.get("msg", "invalid"))})
    return described


RouteCheck = Callable[[Mapping[str, str]], object]
"""A route's credential, role and tenancy check, given the decoded path parameters; it raises
Unauthorized or Forbidden."""
_Route = TypeVar("_Route", bound=Callable[..., Any])
_CHECKED_FIRST: dict[Callable[..., Any], RouteCheck] = {}


def checked_first(check: RouteCheck) -> Callable[[_Route], _Route]:
    """Runs `check` before the request is validated (under the route decorator):
    `@app.put(...)` then `@checked_first(lambda path: require_operator_of(path["site_id"]))`.
    The route may repeat the check; it reads nothing a check has not already allowed."""

    def register(route: _Route) -> _Route:
        _CHECKED_FIRST[route] = check
        return route

    return register


def widget_first(app: RequestSource, directory: Callable[[], SiteDirectory]) -> RouteCheck:
    """`checked_first` for a widget route: a known site key and an allowed Origin."""
    return lambda _path: authenticate_widget(directory(), app.current_event.headers)


def roles_first(app: RequestSource, *roles: Role) -> RouteCheck:
    """`checked_first` for a route of agents or operators: valid claims with one of `roles`."""
    return lambda _path: current_principal(app).require(*roles)


class RequestChecks(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation with the contract's order and reading of a request.

    - Path ids are decoded once: API Gateway (REST) and the local gateway hand the function the
      path percent-encoded, and Powertools takes the route's parameters from it, so `a%40b`
      names the id `a@b` on both.
    - The route's `checked_first` check runs before any validation: 401/403 before 422.
    - Every body is read as JSON: the API takes nothing else, and a widget may post JSON as
      `text/plain` (no preflight); a form or multipart Content-Type is not a reason to parse the
      body as a form, nor to fail."""

    def handler(self, app: EventHandlerInstance, next_middleware: NextMiddleware) -> Response[Any]:
        path = {name: unquote(value) for name, value in app.context.get("_route_args", {}).items()}
        app.context["_route_args"] = path
        check = _CHECKED_FIRST.get(app.context["_route"].func)
        if check is not None:
            check(path)
        answer: Response[Any] = super().handler(app, next_middleware)
        return answer

    def _get_body(self, app: EventHandlerInstance) -> Any:
        return self._parse_json_data(app)


class SecuredRestResolver(APIGatewayRestResolver):
    """Powertools' REST resolver whose every answer carries `SECURITY_HEADERS`, and which takes the
    widget's query form (`as_header_form`). Both around `resolve`, not in a middleware: validation
    runs before any middleware, and exception handlers' answers never pass one."""

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        result = super().resolve(as_header_form(event), context)
        # REST (payload v1) answers carry multiValueHeaders; a route's own value wins.
        multi: dict[str, list[str]] = result.setdefault("multiValueHeaders", {})
        present = {name.lower() for name in (*multi, *(result.get("headers") or {}))}
        for name, value in SECURITY_HEADERS.items():
            if name.lower() not in present:
                multi[name] = [value]
        return result


def build_resolver(*routers: APIGatewayRouter) -> APIGatewayRestResolver:
    """A REST (payload v1) resolver with validation and the contract's error answers, serving the
    routes of `routers` (each route module of a function holds one).

    CORS answers `*`: no request carries ambient credentials (cookies), only the site key or a
    bearer token in headers, and each widget request's Origin is checked against its own site's
    allowed origins (403) after the key names the site — which a preflight, sent without the
    key, cannot (docs/decisions.md, "CORS")."""
    app = SecuredRestResolver(
        enable_validation=True,
        cors=CORSConfig(allow_origin="*", allow_headers=WIDGET_HEADERS, max_age=600),
        json_body_deserializer=jsontext.loads,
    )
    app._request_validation_middleware = RequestChecks()  # type: ignore[no-untyped-call]

    @app.exception_handler(errors.KlantreisError)  # type: ignore[untyped-decorator]
    def _domain_error(exc: errors.KlantreisError) -> Response[str]:
        status = next(
            (s for cls, s in STATUS_BY_ERROR.items() if isinstance(exc, cls)), HTTPStatus.BAD_REQUEST
        )
        logger.info("request refused", extra={"status": int(status), "code": exc.code})
        metrics.add_metric(name="RequestsRefused", unit="Count", value=1)
        return error_response(status, exc.code, exc.message, exc.details)

    @app.exception_handler([ClientError, BotoCoreError])  # type: ignore[untyped-decorator]
    def _store_failure(exc: Exception) -> Response[str]:
        # A store failure no adapter translated: a transient one (throttling, a DynamoDB 5xx, a
        # timeout) is the client's to retry, 429 with Retry-After; anything else stays a bug.
        retryable = dynamo.transient(exc)
        if retryable is None:
            raise exc
        answer: Response[str] = _domain_error(retryable)
        return answer

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def _invalid_request(exc: RequestValidationError) -> Response[str]:
        raw = list(exc.errors())
        metrics.add_metric(name="RequestsRefused", unit="Count", value=1)
        invalid_json = next((err for err in raw if err.get("type") == "json_invalid"), None)
        if invalid_json is not None:
            reason = (invalid_json.get("ctx") or {}).get("error")
            message = f"the body is not valid JSON ({reason})" if reason else "the body is not valid JSON"
            return error_response(HTTPStatus.BAD_REQUEST, "bad_json", message)
        details = describe_validation_errors(raw)
        first = details[0] if details else {"field": "body", "error": "invalid"}
        return error_response(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            "validation_failed",
            f"{first['field']}: {first['error']}",
            details,
        )

    @app.not_found
    def _no_route(exc: NotFoundError) -> Response[str]:
        metrics.add_metric(name="RequestsRefused", unit="Count", value=1)
        return error_response(HTTPStatus.NOT_FOUND, "not_found", "no such resource")

    for router in routers:
        app.include_router(router)
    return app


def new_router() -> APIGatewayRouter:
    """The router of one route module; its function's `handler.py` joins it on the resolver."""
    router: APIGatewayRouter = APIGatewayRouter()  # type: ignore[no-untyped-call]
    return router


def entry_point(app: APIGatewayRestResolver) -> LambdaHandler:
    """The Lambda handler of an API function: the same logger context (correlation id from the
    request id) and metrics around `app.resolve` on every function."""

    @logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
    @metrics.log_metrics
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app.resolve(event, context)

    return lambda_handler


def current_principal(app: RequestSource) -> Principal:
    """The agent or operator behind this request (claims placed by the Cognito authorizer)."""
    authorizer = app.current_event.request_context.authorizer
    claims = authorizer.claims if authorizer else None
    return principal_from_claims(claims)


def request_principal(app: RequestSource, verifier: Callable[[], BearerVerifier | None]) -> Principal | None:
    """The agent/operator of a request on a route without a gateway authorizer: the claims the
    gateway (or the local stack) put in the request context if any; else a bearer token in
    Authorization verified by `verifier()` (None when the request carries none). An invalid
    bearer token is Unauthorized — never silently a widget."""
    event = app.current_event
    authorizer = event.request_context.authorizer
    claims = authorizer.claims if authorizer else None
    if claims:
        return principal_from_claims(claims)
    token = bearer_token(header(event.headers, "Authorization"))
    if token is None:
        return None
    bearer = verifier()
    if bearer is None:
        # Only a stack without a user pool (the local one) builds no verifier, and its gateway
        # has already placed a valid token's claims or refused the request.
        logger.warning("a bearer token arrived but no user pool is configured to verify it")
        raise errors.Unauthorized("a valid bearer token is required")
    return principal_from_claims(bearer.claims(token))


def template_path(resolver_path: str) -> str:
    """`/v1/visitors/<visitor_id>` (resolver) as `/v1/visitors/{visitor_id}` (API Gateway)."""
    return re.sub(r"<(\w+)>", r"{\1}", resolver_path)


def declared_routes(app: APIGatewayRestResolver) -> set[tuple[str, str]]:
    """(METHOD, path) of every route the resolver serves, in the template's path syntax."""
    routes = app._static_routes + app._dynamic_routes
    return {(route.method, template_path(route.path)) for route in routes if route.method != "OPTIONS"}
