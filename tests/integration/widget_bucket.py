"""The widget bucket and its CloudFront distribution on moto, for the publishers' tests
(publish_widget.py, publish_console.py): import the fixtures into the test module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

BUCKET = "klantreis-widget-test"


@pytest.fixture
def clients() -> Iterator[dict[str, Any]]:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        cloudfront = boto3.client("cloudfront", region_name="us-east-1")
        yield {"s3": s3, "cloudfront": cloudfront}


@pytest.fixture
def distribution_id(clients: dict[str, Any]) -> str:
    origin = {
        "Id": "widget-bucket",
        "DomainName": f"{BUCKET}.s3.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    config = {
        "CallerReference": "test",
        "Comment": "widget",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "widget-bucket",
            "ViewerProtocolPolicy": "redirect-to-https",
        },
    }
    answer = clients["cloudfront"].create_distribution(DistributionConfig=config)
    return str(answer["Distribution"]["Id"])
