"""The process-wide boto3 clients of the AWS services beyond DynamoDB (`klantreis.dynamo.client`):
S3 and SNS, which the report jobs write to. Each is created on first use (never at import time)
and kept for the Lambda instance; functions ask here instead of building their own."""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

Service = Literal["s3", "sns"]


@cache
def client(service: Service) -> Any:
    """The client of `service` (honours AWS_ENDPOINT_URL_S3 / _SNS, as botocore does)."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"max_attempts": 4, "mode": "standard"}, connect_timeout=2, read_timeout=10)
    return boto3.client(service, config=config)
