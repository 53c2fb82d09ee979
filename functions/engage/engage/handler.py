"""Lambda entry point of the engage API."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from engage import config_routes, decide_routes, decision_log_routes  # noqa: F401  (register the routes on the resolver)
from engage.resolver import app
from klantreis.observability import logger, metrics


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
