"""Secrets read at run time from Secrets Manager: the token keys (a fixed key locally) and any
other secret a function is handed the ARN of (the alert webhook's URL).

Powertools' parameters utility caches a secret for `SECRET_CACHE_SECONDS`, so reading it per use
(a `TokenSigner(load_key_ring(get_settings()))` per request) is cheap, and a rotated secret reaches
every warm Lambda within that time.
"""

from __future__ import annotations

from klantreis.settings import Settings
from klantreis.tokens import KeyRing

SECRET_CACHE_SECONDS = 300


def secret_string(secret_id: str, what: str) -> str:
    """The secret's text (a binary secret decoded as UTF-8), cached. `what` names the secret in
    errors, which never quote its value."""
    # Imported here: only functions that read secrets pay for it, and only on first use.
    from aws_lambda_powertools.utilities.parameters import get_secret

    value: object = get_secret(secret_id, max_age=SECRET_CACHE_SECONDS)
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise RuntimeError(f"the {what}'s binary value is not UTF-8 text") from None
    if not isinstance(value, str):
        raise RuntimeError(f"the {what} holds no string value")
    return value


def load_key_ring(settings: Settings) -> KeyRing:
    """The token key ring: from `TOKEN_SECRET_ARN` when set, else from `TOKEN_KEY`."""
    if settings.token_secret_arn:
        value = secret_string(settings.token_secret_arn, "token secret")
        try:
            return KeyRing.from_secret_string(value)
        except ValueError as exc:
            # The message names what is wrong, never the secret itself.
            raise RuntimeError(f"the token secret is not a valid key ring: {exc}") from None
    if settings.token_key:
        return KeyRing.from_keys(settings.token_key)
    raise RuntimeError(
        "no token key configured: set TOKEN_SECRET_ARN (deployed stacks) or TOKEN_KEY (local stack, tests)"
    )
