"""HMAC-signed chat and survey tokens, bound to one site and one chat, with a rotatable key.

A token is `v1.<payload>.<signature>`, both parts base64url without padding:

- payload: compact JSON `{"c": chat, "e": expiry (epoch seconds), "k": key id, "p": purpose, "s": site}`;
- signature: HMAC-SHA256 over `v1.<payload>` with the key the payload names.

Everything the token grants is in the signed payload, so changing any of it breaks the signature.
The key id lets a token signed before a rotation verify with the previous key; a key dropped from
the ring invalidates every token it signed. Ids match `keys.ID_PATTERN`, so a token stays under
300 characters while site and chat ids together stay under about 130 characters, and under
`MAX_TOKEN_CHARS` always.

Errors: anything malformed, unsigned by a known key or for another purpose is `InvalidToken`;
a valid token past its expiry is `TokenExpired` (both 401); a valid token for another site or
chat is `Forbidden` (403).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from klantreis.errors import Forbidden, Unauthorized
from klantreis.keys import ID_PATTERN

Purpose = Literal["chat", "survey"]
PURPOSES: tuple[Purpose, ...] = get_args(Purpose)

CHAT_TOKEN_SECONDS = 24 * 3600
SURVEY_TOKEN_SECONDS = 7 * 86400
DEFAULT_SECONDS: dict[Purpose, int] = {"chat": CHAT_TOKEN_SECONDS, "survey": SURVEY_TOKEN_SECONDS}

MIN_KEY_CHARS = 16
MAX_TOKEN_CHARS = 512
"""Longer than any token `issue` makes; longer input is refused before any decoding."""

_VERSION = "v1"
_SIGNATURE_BYTES = hashlib.sha256().digest_size
_B64URL = re.compile(r"[A-Za-z0-9_-]+")
_PAYLOAD_FIELDS = frozenset({"p", "s", "c", "e", "k"})
_ID = re.compile(ID_PATTERN)


class InvalidToken(Unauthorized):
    code = "invalid_token"


class TokenExpired(Unauthorized):
    code = "token_expired"


def key_id(key: bytes) -> str:
    """The public name of a key: the first 8 hex characters of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:8]


@dataclass(frozen=True, repr=False)
class KeyRing:
    """The key that signs new tokens, and the keys that still verify tokens they signed.

    `current` and each of `previous` are `(key id, key bytes)`. The repr names key ids only.
    """

    current: tuple[str, bytes]
    previous: tuple[tuple[str, bytes], ...] = ()

    def __repr__(self) -> str:
        return f"KeyRing(current={self.current[0]!r}, previous={tuple(kid for kid, _ in self.previous)!r})"

    @classmethod
    def from_keys(cls, current: str, previous: Iterable[str] = ()) -> KeyRing:
        """A ring from secret strings (each at least `MIN_KEY_CHARS` characters); duplicates drop."""
        named: dict[str, bytes] = {}
        for secret in (current, *previous):
            if not isinstance(secret, str) or len(secret) < MIN_KEY_CHARS:
                raise ValueError(f"a token key must be a string of at least {MIN_KEY_CHARS} characters")
            key = secret.encode()
            kid = key_id(key)
            if named.setdefault(kid, key) != key:
                raise ValueError("two different token keys share a key id; generate a new key")
        ring = list(named.items())
        return cls(current=ring[0], previous=tuple(ring[1:]))

    @classmethod
    def from_secret_string(cls, text: str) -> KeyRing:
        """A ring from a secret's value.

        Either a JSON object `{"current": "<key>", "previous": "<key>" | ["<key>", ...]}`
        ("previous" optional; CloudFormation's `GenerateSecretString` with `SecretStringTemplate`
        `{}` and `GenerateStringKey` `current` makes `{"current": "..."}`), or a plain string that
        is not a JSON object: the current key. Error messages never quote the secret.
        """
        stripped = text.strip()
        if not stripped.startswith("{"):
            return cls.from_keys(stripped)
        try:
            document = json.loads(stripped)
        except ValueError:
            raise ValueError("the token secret looks like JSON but does not parse") from None
        if not isinstance(document, dict) or not isinstance(document.get("current"), str):
            raise ValueError('the token secret must hold a string "current"')
        unknown = set(document) - {"current", "previous"}
        if unknown:
            raise ValueError(f"the token secret has unknown fields {sorted(unknown)}")
        previous = document.get("previous")
        if previous is None:
            olders: list[str] = []
        elif isinstance(previous, str):
            olders = [previous]
        elif isinstance(previous, list):
            olders = previous
        else:
            raise ValueError('the token secret\'s "previous" must be a string or a list of strings')
        return cls.from_keys(document["current"], olders)

    def find(self, kid: str) -> bytes | None:
        """The key with this id, current or previous."""
        for candidate, key in (self.current, *self.previous):
            if candidate == kid:
                return key
        return None


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    """Strict base64url: the alphabet only, no padding, canonical (one spelling per byte string)."""
    if not _B64URL.fullmatch(text):
        raise InvalidToken("malformed token")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        raise InvalidToken("malformed token") from None
    if _encode(data) != text:
        raise InvalidToken("malformed token")
    return data


def _sign(key: bytes, signed_part: str) -> bytes:
    return hmac.new(key, signed_part.encode("ascii"), hashlib.sha256).digest()


class TokenSigner:
    """Issues and verifies tokens with a key ring; `clock` returns epoch seconds."""

    def __init__(self, keys: KeyRing, clock: Callable[[], float] = time.time) -> None:
        self._keys = keys
        self._clock = clock

    def issue(self, purpose: Purpose, site_id: str, chat_id: str, *, seconds: int | None = None) -> str:
        """A token for `purpose` on this site's chat, valid `seconds` (default: the purpose's lifetime)."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown token purpose {purpose!r}")
        for name, value in (("site_id", site_id), ("chat_id", chat_id)):
            if not isinstance(value, str) or not _ID.fullmatch(value):
                raise ValueError(f"{name} must be an id (1-100 characters, no separators)")
        lifetime = DEFAULT_SECONDS[purpose] if seconds is None else seconds
        if isinstance(lifetime, bool) or not isinstance(lifetime, int) or lifetime <= 0:
            raise ValueError("a token's lifetime must be a positive number of seconds")
        kid, key = self._keys.current
        payload = {"p": purpose, "s": site_id, "c": chat_id, "e": int(self._clock()) + lifetime, "k": kid}
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("ascii")
        signed_part = f"{_VERSION}.{_encode(body)}"
        return f"{signed_part}.{_encode(_sign(key, signed_part))}"

    def verify(self, token: str, purpose: Purpose, site_id: str, chat_id: str) -> None:
        """Pass when `token` is ours, unexpired, for `purpose`, and for this site's chat; raise otherwise."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
            raise InvalidToken("malformed token")
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != _VERSION:
            raise InvalidToken("malformed token")
        body, signature = _decode(parts[1]), _decode(parts[2])
        claims = _claims(body)
        key = self._keys.find(claims.kid)
        if key is None:
            raise InvalidToken("token signed by an unknown key")
        expected = _sign(key, f"{parts[0]}.{parts[1]}")
        if len(signature) != _SIGNATURE_BYTES or not hmac.compare_digest(expected, signature):
            raise InvalidToken("token signature does not verify")
        if claims.purpose != purpose:
            raise InvalidToken("token is for another purpose")
        if self._clock() >= claims.expires:
            raise TokenExpired("token expired")
        if claims.site_id != site_id or claims.chat_id != chat_id:
            raise Forbidden("token is for another chat")


@dataclass(frozen=True)
class _Claims:
    purpose: str
    site_id: str
    chat_id: str
    expires: int
    kid: str


def _claims(body: bytes) -> _Claims:
    """The decoded payload with exactly the expected fields and types, or `InvalidToken`."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise InvalidToken("malformed token") from None
    if not isinstance(payload, dict) or set(payload) != _PAYLOAD_FIELDS:
        raise InvalidToken("malformed token")
    purpose, site_id, chat_id, expires, kid = (payload[field] for field in ("p", "s", "c", "e", "k"))
    texts_ok = all(isinstance(value, str) for value in (purpose, site_id, chat_id, kid))
    if not texts_ok or isinstance(expires, bool) or not isinstance(expires, int):
        raise InvalidToken("malformed token")
    return _Claims(purpose=purpose, site_id=site_id, chat_id=chat_id, expires=expires, kid=kid)
