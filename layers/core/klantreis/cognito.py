"""Cognito ID tokens verified inside a function, for routes that serve both the widget and agents.

API Gateway's Cognito authorizer cannot be optional on a route, so a route that a widget (site
key + chat token) and an agent (bearer token) share has no gateway authorizer, and the function
verifies an agent's token itself. Only the standard library is used, so nothing enters the
Lambda package: the user pool's JWKS over HTTPS, RSASSA-PKCS1-v1_5 with SHA-256 by modular
exponentiation, then the claims API Gateway's authorizer would check.

The signature check never parses the decrypted block: it rebuilds the one encoding a valid
signature can have (RFC 8017 EMSA-PKCS1-v1_5) and compares the whole block in constant time,
which leaves no room for the lenient-parsing forgeries of small public exponents.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import hmac
import json
import math
import re
import time
from collections.abc import Callable
from functools import cache
from typing import Any, Protocol

from klantreis.errors import Unauthorized
from klantreis.settings import Settings

JwksFetcher = Callable[[str], dict[str, Any]]

LEEWAY_SECONDS = 60
"""Clock skew allowed past a token's `exp`."""
MAX_TOKEN_CHARS = 16_384
CLAIMS_CACHE_SIZE = 1000
JWKS_REFETCH_SECONDS = 60.0
"""An unknown `kid` refetches the key set at most this often, so forged kids cannot make every
request a round trip to Cognito."""
JWKS_RETRY_SECONDS = 5.0
"""The pause after a failed fetch of the key set."""
JWKS_TIMEOUT_SECONDS = 3.0
JWKS_MAX_BYTES = 65_536
MIN_KEY_BITS = 2048

SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
"""DER of DigestInfo(AlgorithmIdentifier(id-sha256, NULL), OCTET STRING(32)) before the hash."""

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_USER_POOL_ID = re.compile(r"(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)_[0-9A-Za-z]+")


class BearerVerifier(Protocol):
    def claims(self, token: str) -> dict[str, Any]:
        """The verified claims of `token`; raises `Unauthorized` on anything invalid."""
        ...


class JwksUnavailable(RuntimeError):
    """The user pool's key set could not be fetched or read: the service's fault, not the
    caller's, so it is no `KlantreisError` and answers as a 5xx."""


def bearer_token(authorization_header: str | None) -> str | None:
    """The token of an `Authorization` header, with or without the `Bearer` scheme (like
    Cognito's authorizer); None when there is none."""
    value = (authorization_header or "").strip()
    scheme, _, rest = value.partition(" ")
    token = rest.strip() if scheme.lower() == "bearer" else value
    return token or None


def rsa_sha256_verify(n: int, e: int, signature: bytes, message: bytes) -> bool:
    """RSASSA-PKCS1-v1_5 verification with SHA-256 (RFC 8017 8.2.2) of `message` under the public
    key (n, e)."""
    if n < 3 or e < 3:
        return False
    k = (n.bit_length() + 7) // 8
    digest_info = SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    if len(signature) != k or k < len(digest_info) + 11:
        return False
    s = int.from_bytes(signature, "big")
    if s >= n:
        return False
    encoded = pow(s, e, n).to_bytes(k, "big")
    expected = b"\x00\x01" + b"\xff" * (k - len(digest_info) - 3) + b"\x00" + digest_info
    return hmac.compare_digest(encoded, expected)


def fetch_jwks_over_https(url: str) -> dict[str, Any]:
    """The JSON document at `url` (the user pool's JWKS)."""
    # Imported here: urllib.request pulls in http, ssl and email, which a cold start of a request
    # that carries no bearer token should not pay for.
    import http.client
    import urllib.request

    if not url.startswith("https://"):
        raise JwksUnavailable(f"refusing to fetch keys over a non-HTTPS URL: {url}")
    try:
        with urllib.request.urlopen(url, timeout=JWKS_TIMEOUT_SECONDS) as response:
            raw = response.read(JWKS_MAX_BYTES + 1)
        if len(raw) > JWKS_MAX_BYTES:
            raise JwksUnavailable(f"the key set at {url} is larger than {JWKS_MAX_BYTES} bytes")
        document = json.loads(raw)
    except (OSError, ValueError, http.client.HTTPException) as exc:
        raise JwksUnavailable(f"could not fetch the key set at {url}: {exc}") from exc
    if not isinstance(document, dict):
        raise JwksUnavailable(f"the key set at {url} is not a JSON object")
    return document


def _b64url_decode(text: str) -> bytes:
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _json_object(segment: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64url_decode(segment))
    except (ValueError, binascii.Error, RecursionError) as exc:
        raise Unauthorized("the bearer token is malformed") from exc
    if not isinstance(value, dict):
        raise Unauthorized("the bearer token is malformed")
    return value


def _rsa_keys(document: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """(n, e) by `kid` of the document's RS256 signing keys; other keys are skipped."""
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise JwksUnavailable("the key set has no `keys` list")
    keys: dict[str, tuple[int, int]] = {}
    for jwk in entries:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA":
            continue
        if jwk.get("alg", "RS256") != "RS256" or jwk.get("use", "sig") != "sig":
            continue
        kid, n_text, e_text = jwk.get("kid"), jwk.get("n"), jwk.get("e")
        if not (isinstance(kid, str) and isinstance(n_text, str) and isinstance(e_text, str)):
            continue
        try:
            n = int.from_bytes(_b64url_decode(n_text), "big")
            e = int.from_bytes(_b64url_decode(e_text), "big")
        except (ValueError, binascii.Error):
            continue
        if n.bit_length() >= MIN_KEY_BITS and e >= 3 and e % 2 == 1:
            keys[kid] = (n, e)
    return keys


def _finite_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


class CognitoIdTokenVerifier:
    """Verifies ID tokens of one user pool's app client, as API Gateway's Cognito authorizer
    would. Keep one per Lambda instance: it holds the pool's keys (fetched on first use) and the
    claims of tokens it verified, until they expire, so a console polling a chat pays the RSA
    exponentiation once per token."""

    def __init__(
        self,
        region: str,
        user_pool_id: str,
        client_id: str,
        *,
        fetch_jwks: JwksFetcher | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuer = f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"
        self.jwks_url = f"{self.issuer}/.well-known/jwks.json"
        self.client_id = client_id
        self._fetch_jwks = fetch_jwks or fetch_jwks_over_https
        self._clock = clock
        self._keys: dict[str, tuple[int, int]] | None = None
        self._next_fetch_at = float("-inf")
        self._verified: dict[bytes, tuple[float, dict[str, Any]]] = {}

    def claims(self, token: str) -> dict[str, Any]:
        now = self._clock()
        cache_key = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        cached = self._verified.get(cache_key)
        if cached is not None:
            valid_until, claims = cached
            if now < valid_until:
                return copy.deepcopy(claims)
            del self._verified[cache_key]

        claims = self._verify(token, now)
        self._remember(cache_key, float(claims["exp"]) + LEEWAY_SECONDS, claims, now)
        return copy.deepcopy(claims)

    def _verify(self, token: str, now: float) -> dict[str, Any]:
        if len(token) > MAX_TOKEN_CHARS or not token.isascii():
            raise Unauthorized("the bearer token is malformed")
        segments = token.split(".")
        if len(segments) != 3:
            raise Unauthorized("the bearer token is malformed")
        header_segment, payload_segment, signature_segment = segments
        header = _json_object(header_segment)
        if header.get("alg") != "RS256" or "crit" in header:
            raise Unauthorized("the bearer token is not signed with RS256")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise Unauthorized("the bearer token names no signing key")
        payload = _json_object(payload_segment)
        try:
            signature = _b64url_decode(signature_segment)
        except (ValueError, binascii.Error) as exc:
            raise Unauthorized("the bearer token is malformed") from exc

        n, e = self._key(kid, now)
        signed = f"{header_segment}.{payload_segment}".encode("ascii")
        if not rsa_sha256_verify(n, e, signature, signed):
            raise Unauthorized("the bearer token's signature is invalid")
        self._check_claims(payload, now)
        return payload

    def _check_claims(self, claims: dict[str, Any], now: float) -> None:
        if claims.get("token_use") != "id":
            raise Unauthorized("the bearer token is not an ID token")
        if claims.get("iss") != self.issuer:
            raise Unauthorized("the bearer token is from another issuer")
        if claims.get("aud") != self.client_id:
            raise Unauthorized("the bearer token is for another client")
        expires = _finite_number(claims.get("exp"))
        if expires is None:
            raise Unauthorized("the bearer token has no expiry")
        if now >= expires + LEEWAY_SECONDS:
            raise Unauthorized("the bearer token has expired")

    def _key(self, kid: str, now: float) -> tuple[int, int]:
        if (self._keys is None or kid not in self._keys) and now >= self._next_fetch_at:
            # Set before fetching: a failed fetch is retried only after a pause, so an unreachable
            # Cognito does not hold every request up for the fetch's timeout.
            self._next_fetch_at = now + JWKS_RETRY_SECONDS
            self._keys = _rsa_keys(self._fetch_jwks(self.jwks_url))
            self._next_fetch_at = now + JWKS_REFETCH_SECONDS
        if self._keys is None:
            raise JwksUnavailable("the user pool's key set is unavailable; retrying shortly")
        key = self._keys.get(kid)
        if key is None:
            raise Unauthorized("the bearer token is signed by an unknown key")
        return key

    def _remember(self, cache_key: bytes, valid_until: float, claims: dict[str, Any], now: float) -> None:
        if len(self._verified) >= CLAIMS_CACHE_SIZE:
            for stale in [key for key, (until, _) in self._verified.items() if until <= now]:
                del self._verified[stale]
        while len(self._verified) >= CLAIMS_CACHE_SIZE:
            del self._verified[next(iter(self._verified))]  # the oldest entry
        self._verified[cache_key] = (valid_until, claims)


def region_of_user_pool(user_pool_id: str) -> str:
    """A user pool id is `<region>_<id>` (`eu-west-1_AbC123`)."""
    match = _USER_POOL_ID.fullmatch(user_pool_id)
    if match is None:
        raise ValueError(f"USER_POOL_ID {user_pool_id!r} is not <region>_<id>")
    return match["region"]


@cache
def verifier_from_settings(settings: Settings) -> BearerVerifier | None:
    """The verifier of the deployed user pool, one per settings (so its caches live as long as
    the Lambda instance); None where USER_POOL_ID is unset: the local stack, whose gateway
    verifies local tokens and places their claims in the request context."""
    if not settings.user_pool_id:
        return None
    if not settings.user_pool_client_id:
        raise ValueError("USER_POOL_ID is set but USER_POOL_CLIENT_ID is not")
    region = region_of_user_pool(settings.user_pool_id)
    return CognitoIdTokenVerifier(region, settings.user_pool_id, settings.user_pool_client_id)
