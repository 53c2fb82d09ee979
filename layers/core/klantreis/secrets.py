"""Where the token keys come from: a Secrets Manager secret in a deployed stack, a fixed key locally.

Powertools' parameters utility caches the secret for `SECRET_CACHE_SECONDS`, so building a
`TokenSigner(load_key_ring(get_settings()))` per request is cheap, and a rotated secret reaches
every warm Lambda within that time.
"""

from __future__ import annotations

from klantreis.settings import Settings
from klantreis.tokens import KeyRing

SECRET_CACHE_SECONDS = 300


def load_key_ring(settings: Settings) -> KeyRing:
    """The token key ring: from `TOKEN_SECRET_ARN` when set, else from `TOKEN_KEY`."""
    if settings.token_secret_arn:
        # Imported here: only functions that handle tokens pay for it, and only on first use.
        from aws_lambda_powertools.utilities.parameters import get_secret

        value: object = get_secret(settings.token_secret_arn, max_age=SECRET_CACHE_SECONDS)
        if isinstance(value, bytes):
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError:
                raise RuntimeError("the token secret's binary value is not UTF-8 text") from None
        if not isinstance(value, str):
            raise RuntimeError("the token secret holds no string value")
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
