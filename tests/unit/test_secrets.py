"""Where the token keys come from: the local key, or a Secrets Manager secret (moto, in-process)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, tzinfo
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.parameters import base
from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS
from moto import mock_aws

from klantreis.secrets import SECRET_CACHE_SECONDS, load_key_ring
from klantreis.settings import Settings
from klantreis.tokens import KeyRing, TokenSigner

LOCAL_KEY = "local-key-0123456789"
OLD_KEY = "old-key-0123456789abcdef"
NEW_KEY = "new-key-fedcba9876543210"


def settings(**env: str) -> Settings:
    return Settings.model_validate({"TABLE_NAME": "klantreis-test", **env})


def create(client: Any, **value: Any) -> str:
    arn: str = client.create_secret(Name="klantreis/tokens", **value)["ARN"]
    return arn


@pytest.fixture
def secretsmanager(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An in-process Secrets Manager, and Powertools' provider and cache fresh around each test."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("POWERTOOLS_PARAMETERS_MAX_AGE", raising=False)
    DEFAULT_PROVIDERS.pop("secrets", None)
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="eu-west-1")
    DEFAULT_PROVIDERS.pop("secrets", None)


class LaterDatetime(datetime):
    """`datetime` as Powertools' cache sees it, `offset` seconds in the future."""

    offset = 0.0

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> LaterDatetime:
        return super().now(tz) + timedelta(seconds=cls.offset)


def test_the_local_stack_uses_its_fixed_key() -> None:
    # given
    configured = settings(TOKEN_KEY=LOCAL_KEY)
    # when
    ring = load_key_ring(configured)
    # then
    assert ring == KeyRing.from_keys(LOCAL_KEY)


def test_without_a_secret_or_a_key_loading_fails_loudly() -> None:
    with pytest.raises(RuntimeError, match="TOKEN_SECRET_ARN"):
        load_key_ring(settings())


def test_the_secret_made_by_the_template_is_the_key_ring(secretsmanager: Any) -> None:
    # given a secret shaped like CloudFormation's GenerateSecretString with GenerateStringKey "current"
    arn = create(secretsmanager, SecretString=json.dumps({"current": NEW_KEY}))
    # when
    ring = load_key_ring(settings(TOKEN_SECRET_ARN=arn, TOKEN_KEY=LOCAL_KEY))
    # then the secret wins over the local key
    assert ring == KeyRing.from_keys(NEW_KEY)


def test_a_plain_text_secret_is_the_current_key(secretsmanager: Any) -> None:
    arn = create(secretsmanager, SecretString=NEW_KEY)
    assert load_key_ring(settings(TOKEN_SECRET_ARN=arn)) == KeyRing.from_keys(NEW_KEY)


def test_a_binary_secret_is_read_as_text(secretsmanager: Any) -> None:
    arn = create(secretsmanager, SecretBinary=NEW_KEY.encode())
    assert load_key_ring(settings(TOKEN_SECRET_ARN=arn)) == KeyRing.from_keys(NEW_KEY)


def test_a_rotation_reaches_a_warm_function_within_the_cache_time(
    secretsmanager: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a warm function that loaded the key ring and issued a survey token
    monkeypatch.setattr(base, "datetime", LaterDatetime)
    monkeypatch.setattr(LaterDatetime, "offset", 0.0)
    arn = create(secretsmanager, SecretString=json.dumps({"current": OLD_KEY}))
    configured = settings(TOKEN_SECRET_ARN=arn)
    token = TokenSigner(load_key_ring(configured)).issue("survey", "demo", "c1")
    # when an operator rotates the secret
    secretsmanager.put_secret_value(
        SecretId=arn, SecretString=json.dumps({"current": NEW_KEY, "previous": OLD_KEY})
    )
    # then the cached ring serves until the cache expires ...
    monkeypatch.setattr(LaterDatetime, "offset", SECRET_CACHE_SECONDS - 10)
    assert load_key_ring(configured) == KeyRing.from_keys(OLD_KEY)
    monkeypatch.setattr(LaterDatetime, "offset", SECRET_CACHE_SECONDS + 1)
    rotated = load_key_ring(configured)
    assert rotated == KeyRing.from_keys(NEW_KEY, [OLD_KEY])
    # ... and then signs with the new key while the old token still verifies
    TokenSigner(rotated).verify(token, "survey", "demo", "c1")
    assert SECRET_CACHE_SECONDS <= 300


def test_the_secret_is_read_with_a_bounded_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    # given a fake Powertools reader (no AWS at all)
    calls: list[tuple[str, int | None]] = []

    def fake_get_secret(name: str, max_age: int | None = None) -> str:
        calls.append((name, max_age))
        return json.dumps({"current": NEW_KEY})

    monkeypatch.setattr(parameters, "get_secret", fake_get_secret)
    # when
    ring = load_key_ring(settings(TOKEN_SECRET_ARN="arn:aws:secretsmanager:eu-west-1:1:secret:t"))
    # then
    assert ring == KeyRing.from_keys(NEW_KEY)
    assert calls == [("arn:aws:secretsmanager:eu-west-1:1:secret:t", SECRET_CACHE_SECONDS)]


@pytest.mark.parametrize("value", ["short", json.dumps({"previous": NEW_KEY}), b"\xff\xfe" * 10])
def test_a_bad_secret_fails_loudly_without_quoting_it(
    monkeypatch: pytest.MonkeyPatch, value: str | bytes
) -> None:
    monkeypatch.setattr(parameters, "get_secret", lambda name, max_age=None: value)
    with pytest.raises(RuntimeError, match="token secret") as refused:
        load_key_ring(settings(TOKEN_SECRET_ARN="arn:aws:secretsmanager:eu-west-1:1:secret:t"))
    assert NEW_KEY not in str(refused.value)
    assert "short" not in str(refused.value)
