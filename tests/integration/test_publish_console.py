"""The operator's console publisher against moto's S3, CloudFront and CloudFormation: the built
console and a config.json written from the stack's outputs land under console/, revalidated on
every load, and /console/* is invalidated."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.factories import load_operator_script

BUCKET = "klantreis-widget-test"
STACK = "klantreis-test"
REGION = "eu-west-1"


def stack_template(distribution_id: str, outputs: dict[str, str]) -> str:
    return json.dumps(
        {
            "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
            "Outputs": {"WidgetDistributionId": {"Value": distribution_id}}
            | {name: {"Value": value} for name, value in outputs.items()},
        }
    )


OUTPUTS = {
    "WidgetBucketName": BUCKET,
    "ApiUrl": "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/",
    "CognitoDomain": "klantreis-prod-123456789012.auth.eu-west-1.amazoncognito.com",
    "UserPoolClientId": "4example0client0id",
    "ConsoleUrl": "https://d111111abcdef8.cloudfront.net/console/",
}


@pytest.fixture
def clients() -> Iterator[dict[str, Any]]:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        cloudfront = boto3.client("cloudfront", region_name="us-east-1")
        origin = {
            "Id": "widget-bucket",
            "DomainName": f"{BUCKET}.s3.amazonaws.com",
            "S3OriginConfig": {"OriginAccessIdentity": ""},
        }
        distribution = cloudfront.create_distribution(
            DistributionConfig={
                "CallerReference": "test",
                "Comment": "widget and console",
                "Enabled": True,
                "Origins": {"Quantity": 1, "Items": [origin]},
                "DefaultCacheBehavior": {
                    "TargetOriginId": "widget-bucket",
                    "ViewerProtocolPolicy": "redirect-to-https",
                },
            }
        )["Distribution"]["Id"]
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        cloudformation.create_stack(StackName=STACK, TemplateBody=stack_template(distribution, OUTPUTS))
        yield {
            "s3": s3,
            "cloudfront": cloudfront,
            "cloudformation": cloudformation,
            "distribution_id": distribution,
        }


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text("<!doctype html><title>Klantreis</title>")
    (tmp_path / "console.js").write_text("/* console */")
    (tmp_path / "console.css").write_text("body{}")
    (tmp_path / "config.json").write_text('{"stale": true}')
    return tmp_path


def run(clients: dict[str, Any], dist: Path, stack: str = STACK) -> int:
    script = load_operator_script("publish_console")
    code: int = script.main(["--stack", stack, "--dist", str(dist)], clients=clients)
    return code


def test_the_console_and_its_config_from_the_stack_outputs_are_published(
    clients: dict[str, Any], dist: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # when the built console is published for the stack
    assert run(clients, dist) == 0
    s3 = clients["s3"]
    # then each file is under console/, with its type, revalidated on every load
    page = s3.get_object(Bucket=BUCKET, Key="console/index.html")
    script = s3.get_object(Bucket=BUCKET, Key="console/console.js")
    assert (page["ContentType"], page["CacheControl"]) == ("text/html; charset=utf-8", "no-cache")
    assert (script["ContentType"], script["Body"].read()) == (
        "text/javascript; charset=utf-8",
        b"/* console */",
    )
    # and config.json is the stack's (not the stale one in the build), naming the hosted UI as an origin
    config = json.loads(s3.get_object(Bucket=BUCKET, Key="console/config.json")["Body"].read())
    assert config == {
        "api": "https://abc123.execute-api.eu-west-1.amazonaws.com/prod",
        "auth": {
            "kind": "cognito",
            "domain": "https://klantreis-prod-123456789012.auth.eu-west-1.amazoncognito.com",
            "client_id": "4example0client0id",
            "redirect_uri": "https://d111111abcdef8.cloudfront.net/console/",
        },
    }
    # and /console/* is invalidated
    [invalidation] = clients["cloudfront"].list_invalidations(DistributionId=clients["distribution_id"])[
        "InvalidationList"
    ]["Items"]
    assert invalidation["Status"]
    assert "https://d111111abcdef8.cloudfront.net/console/" in capsys.readouterr().out


def test_a_stack_without_the_console_outputs_is_refused(
    clients: dict[str, Any], dist: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a stack deployed from an older template (no CognitoDomain, no ConsoleUrl)
    older = {k: v for k, v in OUTPUTS.items() if k not in ("CognitoDomain", "ConsoleUrl")}
    clients["cloudformation"].create_stack(
        StackName="klantreis-old", TemplateBody=stack_template(clients["distribution_id"], older)
    )
    # then nothing is published, and the operator is told to deploy
    assert run(clients, dist, stack="klantreis-old") == 1
    assert "CognitoDomain" in capsys.readouterr().err
    assert clients["s3"].list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def test_nothing_is_published_without_a_built_console(
    clients: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(clients, tmp_path) == 1
    assert "make web" in capsys.readouterr().err
    assert clients["s3"].list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
