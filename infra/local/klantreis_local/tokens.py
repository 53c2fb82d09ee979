"""Local bearer tokens, standing in for Cognito's: `base64url(claims).base64url(HMAC-SHA256)`.

The claims are what API Gateway's Cognito authorizer hands a function (`sub`, `site_id`, `role`,
all strings), plus `iat`/`exp`. The secret is KLANTREIS_LOCAL_TOKEN_SECRET or random per process,
so a token outlives a restart only when the secret is set.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import time
from functools import cache

from klantreis.auth import Principal

SECRET_ENV = "KLANTREIS_LOCAL_TOKEN_SECRET"
LIFETIME_SECONDS = 12 * 3600


@cache
def _secret() -> bytes:
    configured = os.environ.get(SECRET_ENV)
    return configured.encode() if configured else secrets.token_bytes(32)


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(payload: str, secret: bytes) -> str:
    return _encode(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest())


def issue(principal: Principal, *, now: float | None = None, secret: bytes | None = None) -> str:
    issued_at = int(time.time() if now is None else now)
    claims = {
        "sub": principal.sub,
        "site_id": principal.site_id,
        "role": principal.role,
        "iat": str(issued_at),
        "exp": str(issued_at + LIFETIME_SECONDS),
    }
    payload = _encode(json.dumps(claims, separators=(",", ":")).encode())
    return f"{payload}.{_signature(payload, secret or _secret())}"


def verify(token: str, *, now: float | None = None, secret: bytes | None = None) -> dict[str, str] | None:
    """The token's claims, or None when it is malformed, forged or expired."""
    payload, dot, signature = token.partition(".")
    if not dot or not payload.isascii() or not signature.isascii():
        return None
    if not hmac.compare_digest(signature, _signature(payload, secret or _secret())):
        return None
    try:
        claims = json.loads(_decode(payload))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(claims, dict) or not all(isinstance(v, str) for v in claims.values()):
        return None
    expires = claims.get("exp", "")
    if not expires.isdigit() or int(expires) <= (time.time() if now is None else now):
        return None
    return claims
