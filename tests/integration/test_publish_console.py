"""The operator's console publisher against moto's S3 and CloudFront: the console's files and its
config.json (the API and the Cognito sign-in) land under console/, and /console/* is invalidated."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.factories import load_operator_script
from tests.integration.widget_bucket import BUCKET, clients, distribution_id

API = "https://abc123.execute-api.eu-west-1.amazonaws.com/prod"
__all__ = ["clients", "distribution_id"]  # the fixtures, imported for pytest


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    for name in ("index.html", "console.js", "console.css", "icon.svg"):
        (tmp_path / name).write_text(f"/* {name} */")
    return tmp_path


def run(clients: dict[str, Any], distribution_id: str, dist: Path) -> int:
    script = load_operator_script("publish_console")
    argv = [
        "--bucket", BUCKET, "--distribution-id", distribution_id, "--api-url", f"{API}/",
        "--user-pool-id", "eu-west-1_AbCdEf", "--client-id", "client123", "--dist", str(dist),
    ]  # fmt: skip
    code: int = script.main(argv, clients=clients)
    return code


def test_the_console_and_its_config_are_published_and_invalidated(
    clients: dict[str, Any], distribution_id: str, dist: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(clients, distribution_id, dist) == 0
    s3 = clients["s3"]
    page = s3.get_object(Bucket=BUCKET, Key="console/index.html")
    script = s3.get_object(Bucket=BUCKET, Key="console/console.js")
    assert (page["ContentType"], page["CacheControl"]) == ("text/html; charset=utf-8", "public, max-age=300")
    assert (script["ContentType"], script["Body"].read()) == (
        "text/javascript; charset=utf-8",
        b"/* console.js */",
    )
    config = json.loads(s3.get_object(Bucket=BUCKET, Key="console/config.json")["Body"].read())
    assert config == {
        "api": API,
        "auth": {
            "kind": "cognito",
            "region": "eu-west-1",
            "user_pool_id": "eu-west-1_AbCdEf",
            "client_id": "client123",
        },
    }
    [invalidation] = clients["cloudfront"].list_invalidations(DistributionId=distribution_id)[
        "InvalidationList"
    ]["Items"]
    assert invalidation["Status"]
    assert "/console/*" in capsys.readouterr().out


def test_nothing_is_published_without_the_built_console(
    clients: dict[str, Any], distribution_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(clients, distribution_id, tmp_path) == 1
    assert "make web" in capsys.readouterr().err
    assert "Contents" not in clients["s3"].list_objects_v2(Bucket=BUCKET)


def test_without_a_stack_every_target_must_be_named(
    clients: dict[str, Any], dist: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = load_operator_script("publish_console")
    assert script.main(["--bucket", BUCKET, "--dist", str(dist)], clients=clients) == 2
    assert "--stack" in capsys.readouterr().err
