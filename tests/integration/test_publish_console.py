"""The operator's console publisher against moto's S3, CloudFront and CloudFormation: the console's
files and its config.json (the API and Cognito's hosted UI, from the stack's outputs) land under
console/, /console/* is invalidated, and a stack of an older template is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.factories import load_operator_script
from tests.integration.widget_bucket import BUCKET, clients, distribution_id

API = "https://abc123.execute-api.eu-west-1.amazonaws.com/prod"
DOMAIN = "klantreis-prod-123456789012.auth.eu-west-1.amazoncognito.com"
CONSOLE_URL = "https://d111111abcdef8.cloudfront.net/console/"
__all__ = ["clients", "distribution_id"]  # the fixtures, imported for pytest


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    for name in ("index.html", "console.js", "console.css", "icon.svg"):
        (tmp_path / name).write_text(f"/* {name} */")
    return tmp_path


def stack(name: str, outputs: dict[str, str]) -> str:
    """A stack with these outputs on moto's CloudFormation (a topic as its one resource)."""
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    cloudformation = boto3.client("cloudformation", region_name="us-east-1")
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(template))
    return name


def stack_outputs(distribution_id: str) -> dict[str, str]:
    return {
        "WidgetBucketName": BUCKET,
        "WidgetDistributionId": distribution_id,
        "ApiUrl": f"{API}/",
        "CognitoDomain": DOMAIN,
        "UserPoolClientId": "client123",
        "ConsoleUrl": CONSOLE_URL,
    }


def run(clients: dict[str, Any], argv: list[str], dist: Path) -> int:
    script = load_operator_script("publish_console")
    all_clients = {**clients, "cloudformation": boto3.client("cloudformation", region_name="us-east-1")}
    code: int = script.main([*argv, "--dist", str(dist)], clients=all_clients)
    return code


def test_the_console_and_its_config_from_the_stack_outputs_are_published_and_invalidated(
    clients: dict[str, Any], distribution_id: str, dist: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # when the built console is published for the stack
    name = stack("klantreis-test", stack_outputs(distribution_id))
    assert run(clients, ["--stack", name], dist) == 0
    s3 = clients["s3"]
    # then each file is under console/, with its type and a short cache
    page = s3.get_object(Bucket=BUCKET, Key="console/index.html")
    script = s3.get_object(Bucket=BUCKET, Key="console/console.js")
    assert (page["ContentType"], page["CacheControl"]) == ("text/html; charset=utf-8", "public, max-age=300")
    assert (script["ContentType"], script["Body"].read()) == (
        "text/javascript; charset=utf-8",
        b"/* console.js */",
    )
    # and config.json (never cached) names the API and the hosted UI the sign-in goes to and back from
    stored = s3.get_object(Bucket=BUCKET, Key="console/config.json")
    assert stored["CacheControl"] == "no-cache"
    assert json.loads(stored["Body"].read()) == {
        "api": API,
        "auth": {
            "kind": "cognito",
            "domain": f"https://{DOMAIN}",
            "client_id": "client123",
            "redirect_uri": CONSOLE_URL,
        },
    }
    # and /console/* is invalidated
    [invalidation] = clients["cloudfront"].list_invalidations(DistributionId=distribution_id)[
        "InvalidationList"
    ]["Items"]
    assert invalidation["Status"]
    out = capsys.readouterr().out
    assert "/console/*" in out
    assert CONSOLE_URL in out


def test_every_target_can_be_named_instead_of_a_stack(
    clients: dict[str, Any], distribution_id: str, dist: Path
) -> None:
    argv = [
        "--bucket", BUCKET, "--distribution-id", distribution_id, "--api-url", API,
        "--cognito-domain", f"https://{DOMAIN}/", "--client-id", "client123", "--console-url", CONSOLE_URL,
    ]  # fmt: skip
    assert run(clients, argv, dist) == 0
    config = json.loads(clients["s3"].get_object(Bucket=BUCKET, Key="console/config.json")["Body"].read())
    assert config["auth"]["domain"] == f"https://{DOMAIN}"


def test_a_stack_without_the_sign_in_outputs_is_refused(
    clients: dict[str, Any], distribution_id: str, dist: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # given a stack deployed from an older template (no CognitoDomain, no ConsoleUrl)
    older = {
        k: v for k, v in stack_outputs(distribution_id).items() if k not in ("CognitoDomain", "ConsoleUrl")
    }
    name = stack("klantreis-old", older)
    # then nothing is published, and the operator is told to deploy
    assert run(clients, ["--stack", name], dist) == 1
    assert "CognitoDomain" in capsys.readouterr().err
    assert "Contents" not in clients["s3"].list_objects_v2(Bucket=BUCKET)


def test_nothing_is_published_without_the_built_console(
    clients: dict[str, Any], distribution_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = stack("klantreis-test", stack_outputs(distribution_id))
    assert run(clients, ["--stack", name], tmp_path) == 1
    assert "make web" in capsys.readouterr().err
    assert "Contents" not in clients["s3"].list_objects_v2(Bucket=BUCKET)


def test_without_a_stack_every_target_must_be_named(
    clients: dict[str, Any], dist: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(clients, ["--bucket", BUCKET], dist) == 2
    assert "--stack" in capsys.readouterr().err
