"""Lambda entry point of the route API."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from klantreis.observability import logger, metrics
from route import agent_routes, chat_routes, knowledge_routes  # noqa: F401  (register the routes on the resolver)
from route.resolver import app


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId", clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
