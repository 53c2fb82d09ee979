"""One place for Logger and Metrics. The service name and log level come from the template's
POWERTOOLS_* variables; the metrics namespace is fixed here so that it holds wherever the module
is first imported (tests and the local stack import it before they set the environment)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

METRICS_NAMESPACE = "Klantreis"

logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)
