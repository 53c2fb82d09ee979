"""The process-wide clients come from one botocore session (klantreis.aws): the configuration
boto3.client would give them, endpoints from the environment, and a data loader that knows our
services only, failing for any other as botocore does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import UnknownServiceError
from botocore.loaders import create_loader

from klantreis import aws, dynamo, services


@pytest.fixture(autouse=True)
def lambda_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    for name in (
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_DYNAMODB",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ENDPOINT_URL_SNS",
    ):
        monkeypatch.delenv(name, raising=False)
    services.forget()
    yield
    services.forget()


def test_the_clients_share_one_session_and_the_configuration() -> None:
    # given / when the clients are asked for
    db, s3, sns = dynamo.client(), aws.client("s3"), aws.client("sns")
    # then each is created once, in the environment's region, with retries and timeouts
    assert dynamo.client() is db
    assert aws.client("s3") is s3
    assert {c.meta.region_name for c in (db, s3, sns)} == {"eu-west-1"}
    assert db.meta.config.retries == {"mode": "standard", "total_max_attempts": 5}
    assert (db.meta.config.connect_timeout, db.meta.config.read_timeout) == (2, 5)
    assert db.meta.config.tcp_keepalive is True
    assert (s3.meta.config.connect_timeout, s3.meta.config.read_timeout) == (2, 10)
    assert db.meta.endpoint_url == "https://dynamodb.eu-west-1.amazonaws.com"


def test_endpoints_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # given the local stack's endpoints
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9000")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SNS", "http://127.0.0.1:9911")
    services.forget()
    # when / then the clients use them
    assert dynamo.client().meta.endpoint_url == "http://127.0.0.1:8000"
    assert aws.client("s3").meta.endpoint_url == "http://127.0.0.1:9000"
    assert aws.client("sns").meta.endpoint_url == "http://127.0.0.1:9911"


def test_the_data_loader_lists_our_services_as_botocore_does() -> None:
    # given botocore's own loader, which lists every service folder
    everything = create_loader().list_available_services("service-2")
    # when / then ours lists the services we use, each one botocore knows
    assert aws.session().get_available_services() == sorted(aws.SERVICES)
    assert set(aws.SERVICES) <= set(everything)


def test_an_unknown_service_fails_as_in_botocore() -> None:
    # given a service we do not use / when a client is asked for / then botocore's error
    with pytest.raises(UnknownServiceError):
        aws.session().create_client("sqs")
