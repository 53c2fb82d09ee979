"""Lambda entry point of the report API."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from klantreis.observability import logger, metrics
from report import feedback_routes, live_routes, routes  # noqa: F401  (register the routes on the resolver)
from report.resolver import app


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
