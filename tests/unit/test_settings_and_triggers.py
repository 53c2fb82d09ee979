"""The environment as settings, and the Cognito claims trigger."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from identity.token_claims import lambda_handler as token_claims
from klantreis.settings import Settings, get_settings


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLE_NAME", "klantreis-prod")
    monkeypatch.setenv("JOURNEY_RETENTION_DAYS", "90")
    get_settings.cache_clear()
    try:
        settings = get_settings()
        assert settings.table_name == "klantreis-prod"
        assert settings.journey_retention_days == 90
        assert settings.max_batch_events == 100
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"TABLE_NAME": "t1", "JOURNEY_RETENTION_DAYS": "0"},
        {"TABLE_NAME": "tab", "MAX_BATCH_BYTES": "lots"},
    ],
)
def test_bad_settings_fail_loudly(env: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        Settings.model_validate(env)


def test_token_claims_trigger_exposes_site_and_role() -> None:
    event = {"request": {"userAttributes": {"sub": "u", "custom:site_id": "demo", "custom:role": "operator"}}}
    answer = token_claims(event, None)
    assert answer["response"]["claimsOverrideDetails"] == {
        "claimsToAddOrOverride": {"site_id": "demo", "role": "operator"}
    }


def test_token_claims_trigger_adds_nothing_for_users_without_a_site() -> None:
    answer = token_claims({"request": {"userAttributes": {"sub": "u"}}}, None)
    assert answer["response"]["claimsOverrideDetails"] == {"claimsToAddOrOverride": {}}


def test_token_and_agent_settings_have_safe_defaults() -> None:
    settings = Settings.model_validate({"TABLE_NAME": "tab"})
    assert settings.token_secret_arn is None
    assert settings.token_key is None
    assert settings.agent_heartbeat_seconds == 120.0


def test_token_settings_from_the_environment() -> None:
    # given
    env = {
        "TABLE_NAME": "tab",
        "TOKEN_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:klantreis/tokens",
        "TOKEN_KEY": "local-key-0123456789",
        "AGENT_HEARTBEAT_SECONDS": "45",
    }
    # when
    settings = Settings.model_validate(env)
    # then
    assert settings.token_secret_arn == env["TOKEN_SECRET_ARN"]
    assert settings.token_key == "local-key-0123456789"
    assert settings.agent_heartbeat_seconds == 45.0
    assert "local-key-0123456789" not in repr(settings)


def test_an_empty_token_option_from_the_template_means_unset() -> None:
    settings = Settings.model_validate({"TABLE_NAME": "tab", "TOKEN_SECRET_ARN": "", "TOKEN_KEY": ""})
    assert settings.token_secret_arn is None
    assert settings.token_key is None


@pytest.mark.parametrize(
    "env",
    [
        {"TOKEN_KEY": "too-short"},
        {"AGENT_HEARTBEAT_SECONDS": "5"},
        {"AGENT_HEARTBEAT_SECONDS": "3601"},
        {"AGENT_HEARTBEAT_SECONDS": "soon"},
    ],
)
def test_bad_token_and_agent_settings_fail_loudly(env: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        Settings.model_validate({"TABLE_NAME": "tab", **env})
