"""Cognito ID tokens verified in the function with the standard library: the RSA check against
`cryptography`'s signatures, every way a token can be wrong, the key set's fetching and the
claims cache; and `request_principal`, which lets a route serve both widgets and agents."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from klantreis import cognito
from klantreis.api import build_resolver, request_principal
from klantreis.cognito import (
    CognitoIdTokenVerifier,
    JwksUnavailable,
    bearer_token,
    region_of_user_pool,
    rsa_sha256_verify,
    verifier_from_settings,
)
from klantreis.errors import Unauthorized
from klantreis.settings import Settings
from tests.factories import FakeContext, api_event

REGION = "eu-west-1"
POOL = "eu-west-1_AbCdEf123"
CLIENT = "console-client-id"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL}"
NOW = 1_800_000_000.0

PrivateKey = rsa.RSAPrivateKey


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_json(value: Any) -> str:
    return b64url(json.dumps(value).encode())


def int_bytes(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def jwk(key: PrivateKey, kid: str, **overrides: Any) -> dict[str, Any]:
    numbers = key.public_key().public_numbers()
    return {
        "kid": kid,
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
        "n": b64url(int_bytes(numbers.n)),
        "e": b64url(int_bytes(numbers.e)),
        **overrides,
    }


def rs256(key: PrivateKey, message: bytes) -> bytes:
    return key.sign(message, padding.PKCS1v15(), hashes.SHA256())


def id_claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "sub": "3f1c-mirjam",
        "aud": CLIENT,
        "iss": ISSUER,
        "token_use": "id",
        "auth_time": int(NOW) - 60,
        "iat": int(NOW) - 60,
        "exp": int(NOW) + 3600,
        "email": "mirjam@shop.example",
        "custom:site_id": "demo",
        "site_id": "demo",
        "role": "agent",
    }
    claims.update(overrides)
    return claims


def signed_token(key: PrivateKey, claims: dict[str, Any] | None = None, **header: Any) -> str:
    head = b64url_json({"kid": "k1", "alg": "RS256", **header})
    body = b64url_json(id_claims() if claims is None else claims)
    signing_input = f"{head}.{body}"
    return f"{signing_input}.{b64url(rs256(key, signing_input.encode()))}"


@pytest.fixture(scope="module")
def key() -> PrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> PrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Jwks:
    """The user pool's key set endpoint, counting fetches."""

    def __init__(self, *keys: dict[str, Any]) -> None:
        self.document: dict[str, Any] = {"keys": list(keys)}
        self.urls: list[str] = []
        self.failing = False

    def __call__(self, url: str) -> dict[str, Any]:
        self.urls.append(url)
        if self.failing:
            raise JwksUnavailable("cognito is down")
        return self.document


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def jwks(key: PrivateKey) -> Jwks:
    return Jwks(jwk(key, "k1"))


@pytest.fixture
def verifier(jwks: Jwks, clock: Clock) -> CognitoIdTokenVerifier:
    return CognitoIdTokenVerifier(REGION, POOL, CLIENT, fetch_jwks=jwks, clock=clock)


# ---------------------------------------------------------------- RSA


@pytest.fixture(scope="module", params=[2048, 3072])
def sized_key(request: pytest.FixtureRequest) -> PrivateKey:
    size: int = request.param
    return rsa.generate_private_key(public_exponent=65537, key_size=size)


@pytest.mark.parametrize("message", [b"", b"header.payload", bytes(range(256)) * 40])
def test_rsa_verify_accepts_cryptographys_signatures(sized_key: PrivateKey, message: bytes) -> None:
    # given a PKCS#1 v1.5 SHA-256 signature made by cryptography
    numbers = sized_key.public_key().public_numbers()
    signature = rs256(sized_key, message)
    # then the standard-library check accepts it, and only for this message
    assert rsa_sha256_verify(numbers.n, numbers.e, signature, message)
    assert not rsa_sha256_verify(numbers.n, numbers.e, signature, message + b"x")


def test_rsa_verify_refuses_bad_signatures(sized_key: PrivateKey, other_key: PrivateKey) -> None:
    numbers = sized_key.public_key().public_numbers()
    n, e = numbers.n, numbers.e
    k = (n.bit_length() + 7) // 8
    signature = rs256(sized_key, b"m")
    flipped = bytes([signature[0], *signature[1:-1], signature[-1] ^ 1])
    assert not rsa_sha256_verify(n, e, flipped, b"m")
    assert not rsa_sha256_verify(n, e, rs256(other_key, b"m").rjust(k, b"\0"), b"m")
    # a signature one byte short or long (even with the same value) is no signature
    assert not rsa_sha256_verify(n, e, signature[1:], b"m")
    assert not rsa_sha256_verify(n, e, b"\0" + signature, b"m")
    # s >= n is refused before exponentiation (s + n would give the same block mod n)
    s = int.from_bytes(signature, "big")
    if s + n < 256**k:
        assert not rsa_sha256_verify(n, e, (s + n).to_bytes(k, "big"), b"m")
    assert not rsa_sha256_verify(n, e, n.to_bytes(k, "big"), b"m")
    assert not rsa_sha256_verify(n, e, b"\xff" * k, b"m")
    assert not rsa_sha256_verify(n, e, bytes(k), b"m")


def test_rsa_verify_refuses_a_sha1_signature(key: PrivateKey) -> None:
    numbers = key.public_key().public_numbers()
    sha1 = key.sign(b"m", padding.PKCS1v15(), hashes.SHA1())
    assert not rsa_sha256_verify(numbers.n, numbers.e, sha1, b"m")


def test_rsa_verify_compares_the_whole_block_not_a_parse_of_it(key: PrivateKey) -> None:
    # given a block a lenient parser would accept: the right DigestInfo and hash, with garbage
    # where the padding should be (what Bleichenbacher's e=3 forgery relies on)
    numbers = key.public_key().public_numbers()
    n, d = numbers.n, key.private_numbers().d
    k = (n.bit_length() + 7) // 8
    digest_info = cognito.SHA256_DIGEST_INFO + hashlib.sha256(b"m").digest()
    block = b"\x00\x01\xff\xff\x00" + digest_info + b"\x5a" * (k - 5 - len(digest_info))
    forged = pow(int.from_bytes(block, "big"), d, n).to_bytes(k, "big")
    # then it is refused
    assert not rsa_sha256_verify(n, numbers.e, forged, b"m")
    # while the exact encoding, signed the same way, passes
    exact = b"\x00\x01" + b"\xff" * (k - 3 - len(digest_info)) + b"\x00" + digest_info
    assert rsa_sha256_verify(n, numbers.e, pow(int.from_bytes(exact, "big"), d, n).to_bytes(k, "big"), b"m")


def test_rsa_verify_refuses_degenerate_keys() -> None:
    assert not rsa_sha256_verify(1, 65537, b"\x00", b"m")
    assert not rsa_sha256_verify(0, 65537, b"", b"m")
    assert not rsa_sha256_verify(2**512 + 1, 1, bytes(64), b"m")
    # a modulus too small for the DigestInfo and 8 bytes of padding
    assert not rsa_sha256_verify(2**255 + 1, 65537, bytes(32), b"m")


# ---------------------------------------------------------------- tokens


def test_a_valid_id_token_gives_its_claims(verifier: CognitoIdTokenVerifier, key: PrivateKey) -> None:
    claims = verifier.claims(signed_token(key))
    assert claims == id_claims()


def test_the_key_set_comes_from_the_issuers_well_known_url(
    verifier: CognitoIdTokenVerifier, key: PrivateKey, jwks: Jwks
) -> None:
    verifier.claims(signed_token(key))
    assert jwks.urls == [f"{ISSUER}/.well-known/jwks.json"]


def test_a_wrong_signature_is_refused(verifier: CognitoIdTokenVerifier, key: PrivateKey) -> None:
    head, body, signature = signed_token(key).split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[-1] ^= 0x01
    with pytest.raises(Unauthorized, match="signature"):
        verifier.claims(f"{head}.{body}.{b64url(bytes(raw))}")


def test_a_token_signed_by_another_key_under_a_known_kid_is_refused(
    verifier: CognitoIdTokenVerifier, other_key: PrivateKey
) -> None:
    with pytest.raises(Unauthorized, match="signature"):
        verifier.claims(signed_token(other_key))


def test_a_tampered_payload_is_refused(verifier: CognitoIdTokenVerifier, key: PrivateKey) -> None:
    head, _, signature = signed_token(key).split(".")
    promoted = b64url_json(id_claims(role="operator"))
    with pytest.raises(Unauthorized, match="signature"):
        verifier.claims(f"{head}.{promoted}.{signature}")


def test_a_tampered_header_is_refused(verifier: CognitoIdTokenVerifier, key: PrivateKey) -> None:
    _, body, signature = signed_token(key).split(".")
    head = b64url_json({"kid": "k1", "alg": "RS256", "typ": "JWT"})
    with pytest.raises(Unauthorized, match="signature"):
        verifier.claims(f"{head}.{body}.{signature}")


@pytest.mark.parametrize("alg", ["none", "None", "HS256", "RS384", "PS256", "ES256", "rs256", None])
def test_only_rs256_is_accepted(verifier: CognitoIdTokenVerifier, key: PrivateKey, alg: str | None) -> None:
    body = b64url_json(id_claims())
    head = b64url_json({"kid": "k1", "alg": alg})
    with pytest.raises(Unauthorized, match="RS256"):
        verifier.claims(f"{head}.{body}.")
    # nor with a signature that is valid RS256 over these bytes
    signing_input = f"{head}.{body}"
    with pytest.raises(Unauthorized, match="RS256"):
        verifier.claims(f"{signing_input}.{b64url(rs256(key, signing_input.encode()))}")


def test_an_hs256_token_keyed_with_the_public_key_is_refused(
    verifier: CognitoIdTokenVerifier, key: PrivateKey
) -> None:
    # the classic algorithm confusion: HMAC with the public key's bytes as the secret
    import hmac

    head = b64url_json({"kid": "k1", "alg": "HS256"})
    body = b64url_json(id_claims())
    secret = int_bytes(key.public_key().public_numbers().n)
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    with pytest.raises(Unauthorized):
        verifier.claims(f"{head}.{body}.{b64url(mac)}")


def test_a_critical_header_extension_is_refused(verifier: CognitoIdTokenVerifier, key: PrivateKey) -> None:
    with pytest.raises(Unauthorized):
        verifier.claims(signed_token(key, crit=["exp"]))


def test_a_token_without_kid_is_refused(verifier: CognitoIdTokenVerifier, key: PrivateKey) -> None:
    with pytest.raises(Unauthorized, match="key"):
        verifier.claims(signed_token(key, kid=None))


@pytest.mark.parametrize(
    ("seconds_after_exp", "valid"), [(-1, True), (0, True), (59, True), (60, False), (3600, False)]
)
def test_expiry_has_a_minute_of_leeway(
    verifier: CognitoIdTokenVerifier, key: PrivateKey, clock: Clock, seconds_after_exp: int, valid: bool
) -> None:
    token = signed_token(key, id_claims(exp=int(NOW)))
    clock.now = NOW + seconds_after_exp
    if valid:
        assert verifier.claims(token)["sub"] == "3f1c-mirjam"
    else:
        with pytest.raises(Unauthorized, match="expired"):
            verifier.claims(token)


@pytest.mark.parametrize("exp", [None, "1900000000", True, 1e400, 10**400, [1900000000]])
def test_a_token_without_a_numeric_expiry_is_refused(
    verifier: CognitoIdTokenVerifier, key: PrivateKey, exp: Any
) -> None:
    claims = id_claims()
    claims.pop("exp")
    if exp is not None:
        claims["exp"] = exp
    with pytest.raises(Unauthorized, match="expiry"):
        verifier.claims(signed_token(key, claims))


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"iss": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other"}, "issuer"),
        ({"iss": ISSUER + "/"}, "issuer"),
        ({"iss": None}, "issuer"),
        ({"aud": "another-client"}, "client"),
        ({"aud": [CLIENT]}, "client"),
        ({"aud": None}, "client"),
        ({"token_use": "access"}, "ID token"),
        ({"token_use": None}, "ID token"),
    ],
)
def test_a_token_for_another_pool_client_or_use_is_refused(
    verifier: CognitoIdTokenVerifier, key: PrivateKey, overrides: dict[str, Any], reason: str
) -> None:
    claims = {name: value for name, value in id_claims(**overrides).items() if value is not None}
    with pytest.raises(Unauthorized, match=reason):
        verifier.claims(signed_token(key, claims))


def test_an_access_token_shaped_like_cognitos_is_refused(
    verifier: CognitoIdTokenVerifier, key: PrivateKey
) -> None:
    # Cognito's access tokens carry client_id and no aud
    access = id_claims(token_use="access", client_id=CLIENT)
    access.pop("aud")
    with pytest.raises(Unauthorized):
        verifier.claims(signed_token(key, access))


DEEP = b64url(b"[" * 10_000)
"""Nested too deep for json, short enough to be parsed."""
MALFORMED: dict[str, Callable[[str, str, str], str]] = {
    "empty": lambda h, b, s: "",
    "one segment": lambda h, b, s: h,
    "two segments": lambda h, b, s: f"{h}.{b}",
    "four segments": lambda h, b, s: f"{h}.{b}.{s}.{s}",
    "empty payload": lambda h, b, s: f"{h}..{s}",
    "empty header": lambda h, b, s: f".{b}.{s}",
    "padding": lambda h, b, s: f"{h}.{b}.{s}=",
    "standard alphabet": lambda h, b, s: f"{h}.{b}.{s[:-1]}+",
    "bad character": lambda h, b, s: f"{h}!.{b}.{s}",
    "4n+1 characters": lambda h, b, s: f"{h}.{b}.AAAAA",
    "header not json": lambda h, b, s: f"{b64url(b'not json')}.{b}.{s}",
    "payload not json": lambda h, b, s: f"{h}.{b64url(b'not json')}.{s}",
    "header a list": lambda h, b, s: f"{b64url_json([1, 2])}.{b}.{s}",
    "payload a string": lambda h, b, s: f"{h}.{b64url_json('claims')}.{s}",
    "header not utf-8": lambda h, b, s: f"{b64url(bytes([0xFF, 0xFE]))}.{b}.{s}",
    "header nested too deep": lambda h, b, s: f"{DEEP}.{b}.{s}",
    "not ascii": lambda h, b, s: f"{h}.{b}.{s}é",
    "too long": lambda h, b, s: f"{h}.{b}.{'A' * cognito.MAX_TOKEN_CHARS}",
}


@pytest.mark.parametrize("mangle", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_tokens_are_refused(
    verifier: CognitoIdTokenVerifier, key: PrivateKey, mangle: Callable[[str, str, str], str]
) -> None:
    head, body, signature = signed_token(key).split(".")
    with pytest.raises(Unauthorized, match="malformed"):
        verifier.claims(mangle(head, body, signature))


# ---------------------------------------------------------------- the key set


def test_the_key_set_is_fetched_on_first_use_and_kept(
    verifier: CognitoIdTokenVerifier, key: PrivateKey, jwks: Jwks, clock: Clock
) -> None:
    assert jwks.urls == []
    for minute in range(5):
        clock.now = NOW + 60 * minute
        verifier.claims(signed_token(key, id_claims(jti=str(minute))))
    assert len(jwks.urls) == 1


def test_an_unknown_kid_refetches_once_then_is_refused(
    verifier: CognitoIdTokenVerifier, key: PrivateKey, jwks: Jwks, clock: Clock
) -> None:
    # given the key set fetched a while ago
    verifier.claims(signed_token(key))
    clock.now += cognito.JWKS_REFETCH_SECONDS
    # when a token names a kid the pool never published
    with pytest.raises(Unauthorized, match="unknown key"):
        verifier.claims(signed_token(key, kid="k-unknown"))
    # then the key set was fetched once more, and more unknown kids right after fetch nothing
    assert len(jwks.urls) == 2
    for attempt in range(5):
        with pytest.raises(Unauthorized, match="unknown key"):
            verifier.claims(signed_token(key, kid=f"forged-{attempt}"))
    assert len(jwks.urls) == 2


def test_a_rotated_key_is_picked_up_by_the_refetch(
    verifier: CognitoIdTokenVerifier, key: PrivateKey, other_key: PrivateKey, jwks: Jwks, clock: Clock
) -> None:
    verifier.claims(signed_token(key))
    # when the pool publishes a new key and signs with it
    jwks.document = {"keys": [jwk(key, "k1"), jwk(other_key, "k2")]}
    clock.now += cognito.JWKS_REFETCH_SECONDS
    claims = verifier.claims(signed_token(other_key, kid="k2"))
    # then the token verifies after one refetch
    assert claims["sub"] == "3f1c-mirjam"
    assert len(jwks.urls) == 2


def test_an_unknown_kid_on_the_first_fetch_is_refused_without_a_second(
    verifier: CognitoIdTokenVerifier, key: PrivateKey, jwks: Jwks
) -> None:
    with pytest.raises(Unauthorized, match="unknown key"):
        verifier.claims(signed_token(key, kid="k-unknown"))
    assert len(jwks.urls) == 1


@pytest.mark.parametrize(
    "overrides",
    [{"kty": "EC"}, {"alg": "RS512"}, {"use": "enc"}, {"n": 12}, {"e": "A+"}, {"kid": 1}],
)
def test_unusable_keys_in_the_set_are_skipped(
    key: PrivateKey, clock: Clock, overrides: dict[str, Any]
) -> None:
    jwks = Jwks({**jwk(key, "k1"), **overrides})
    verifier = CognitoIdTokenVerifier(REGION, POOL, CLIENT, fetch_jwks=jwks, clock=clock)
    with pytest.raises(Unauthorized, match="unknown key"):
        verifier.claims(signed_token(key))


def test_a_small_key_in_the_set_is_skipped(clock: Clock) -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    verifier = CognitoIdTokenVerifier(REGION, POOL, CLIENT, fetch_jwks=Jwks(jwk(small, "k1")), clock=clock)
    with pytest.raises(Unauthorized, match="unknown key"):
        verifier.claims(signed_token(small))


def test_an_unreachable_key_set_is_the_services_fault_and_retried_after_a_pause(
    verifier: CognitoIdTokenVerifier, key: PrivateKey, jwks: Jwks, clock: Clock
) -> None:
    jwks.failing = True
    with pytest.raises(JwksUnavailable):
        verifier.claims(signed_token(key))
    # right after, no request waits on another fetch
    with pytest.raises(JwksUnavailable):
        verifier.claims(signed_token(key))
    assert len(jwks.urls) == 1
    # after the pause the next request fetches again
    jwks.failing = False
    clock.now += cognito.JWKS_RETRY_SECONDS
    assert verifier.claims(signed_token(key))["sub"] == "3f1c-mirjam"
    assert len(jwks.urls) == 2


def test_a_key_set_without_keys_is_unavailable(key: PrivateKey, clock: Clock) -> None:
    broken = Jwks()
    broken.document = {"message": "not found"}
    verifier = CognitoIdTokenVerifier(REGION, POOL, CLIENT, fetch_jwks=broken, clock=clock)
    with pytest.raises(JwksUnavailable):
        verifier.claims(signed_token(key))


def test_the_default_fetcher_refuses_plain_http() -> None:
    with pytest.raises(JwksUnavailable, match="HTTPS"):
        cognito.fetch_jwks_over_https("http://cognito-idp.eu-west-1.amazonaws.com/x/.well-known/jwks.json")


# ---------------------------------------------------------------- the claims cache


@pytest.fixture
def exponentiations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts RSA verifications the verifier performs."""
    calls: list[int] = []
    real = cognito.rsa_sha256_verify

    def counting(n: int, e: int, signature: bytes, message: bytes) -> bool:
        calls.append(n)
        return real(n, e, signature, message)

    monkeypatch.setattr(cognito, "rsa_sha256_verify", counting)
    return calls


def test_a_polled_token_is_verified_once(
    verifier: CognitoIdTokenVerifier, key: PrivateKey, jwks: Jwks, clock: Clock, exponentiations: list[int]
) -> None:
    token = signed_token(key)
    for second in range(0, 600, 5):
        clock.now = NOW + second
        assert verifier.claims(token) == id_claims()
    assert len(exponentiations) == 1
    assert len(jwks.urls) == 1


def test_cached_claims_expire_with_the_token(
    verifier: CognitoIdTokenVerifier, key: PrivateKey, clock: Clock, exponentiations: list[int]
) -> None:
    token = signed_token(key, id_claims(exp=int(NOW) + 10))
    verifier.claims(token)
    clock.now = NOW + 10 + cognito.LEEWAY_SECONDS
    with pytest.raises(Unauthorized, match="expired"):
        verifier.claims(token)
    assert len(exponentiations) == 2


def test_refused_tokens_are_not_cached(
    verifier: CognitoIdTokenVerifier, other_key: PrivateKey, exponentiations: list[int]
) -> None:
    token = signed_token(other_key)
    for _ in range(3):
        with pytest.raises(Unauthorized):
            verifier.claims(token)
    assert len(exponentiations) == 3


def test_the_caller_cannot_change_cached_claims(verifier: CognitoIdTokenVerifier, key: PrivateKey) -> None:
    token = signed_token(key, id_claims(**{"cognito:groups": ["agents"]}))
    first = verifier.claims(token)
    first["role"] = "operator"
    first["cognito:groups"].append("operators")
    again = verifier.claims(token)
    assert (again["role"], again["cognito:groups"]) == ("agent", ["agents"])


def test_the_claims_cache_is_bounded(
    verifier: CognitoIdTokenVerifier, key: PrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cognito, "CLAIMS_CACHE_SIZE", 3)
    tokens = [signed_token(key, id_claims(jti=str(i))) for i in range(5)]
    for token in tokens:
        verifier.claims(token)
    assert len(verifier._verified) == 3
    # the newest stay
    newest = {hashlib.sha256(token.encode()).digest() for token in tokens[2:]}
    assert set(verifier._verified) == newest


# ---------------------------------------------------------------- helpers and settings


@pytest.mark.parametrize(
    ("value", "token"),
    [
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("bearer abc", "abc"),
        ("BEARER   abc  ", "abc"),
        ("abc.def.ghi", "abc.def.ghi"),
        ("  abc  ", "abc"),
        ("Bearer", None),
        ("Bearer   ", None),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_bearer_token_takes_the_token_with_or_without_the_scheme(
    value: str | None, token: str | None
) -> None:
    assert bearer_token(value) == token


def test_the_region_is_the_user_pools_prefix() -> None:
    assert region_of_user_pool("eu-west-1_AbCdEf123") == "eu-west-1"
    assert region_of_user_pool("us-gov-west-1_x1") == "us-gov-west-1"
    for bad in ("AbCdEf123", "eu-west-1", "eu-west-1_", "eu-west-1_a/b", "../x_y"):
        with pytest.raises(ValueError, match="USER_POOL_ID"):
            region_of_user_pool(bad)


def settings(**env: str) -> Settings:
    return Settings.model_validate({"TABLE_NAME": "klantreis-test", **env})


def test_no_user_pool_means_no_verifier() -> None:
    assert verifier_from_settings(settings()) is None
    assert verifier_from_settings(settings(USER_POOL_ID="")) is None


def test_the_settings_verifier_checks_the_pool_and_client_and_is_kept() -> None:
    configured = settings(USER_POOL_ID=POOL, USER_POOL_CLIENT_ID=CLIENT)
    verifier = verifier_from_settings(configured)
    assert isinstance(verifier, CognitoIdTokenVerifier)
    assert (verifier.issuer, verifier.client_id) == (ISSUER, CLIENT)
    assert verifier.jwks_url == f"{ISSUER}/.well-known/jwks.json"
    # one per settings, so the keys and the claims cache live as long as the instance
    assert verifier_from_settings(settings(USER_POOL_ID=POOL, USER_POOL_CLIENT_ID=CLIENT)) is verifier


def test_a_user_pool_without_a_client_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="USER_POOL_CLIENT_ID"):
        verifier_from_settings(settings(USER_POOL_ID=POOL))


# ---------------------------------------------------------------- request_principal


class FakeVerifier:
    def __init__(self, known: dict[str, dict[str, Any]]) -> None:
        self.known = known

    def claims(self, token: str) -> dict[str, Any]:
        if token not in self.known:
            raise Unauthorized("the bearer token's signature is invalid")
        return dict(self.known[token])


AGENT_CLAIMS = {"sub": "mirjam", "custom:site_id": "demo", "custom:role": "agent"}


def chat_app(verifier: Callable[[], FakeVerifier | None], built: list[int]) -> Callable[..., dict[str, Any]]:
    app = build_resolver()

    def factory() -> FakeVerifier | None:
        built.append(1)
        return verifier()

    @app.get("/v1/chats/<chat_id>")
    def get_chat(chat_id: str) -> dict[str, Any]:
        principal = request_principal(app, factory)
        return {"chat_id": chat_id, "principal": principal.model_dump() if principal else "widget"}

    def call(headers: dict[str, str] | None = None, claims: dict[str, str] | None = None) -> dict[str, Any]:
        event = api_event(
            "GET",
            "/v1/chats/c-1",
            headers=headers,
            claims=claims,
            path_parameters={"chat_id": "c-1"},
            resource="/v1/chats/{chat_id}",
        )
        context: Any = FakeContext()
        answer: dict[str, Any] = app.resolve(event, context)
        return {"status": answer["statusCode"], "body": json.loads(answer["body"])}

    return call


def test_claims_in_the_request_context_win() -> None:
    built: list[int] = []
    call = chat_app(lambda: FakeVerifier({}), built)
    answer = call(
        headers={"Authorization": "Bearer ignored-here"},
        claims={"sub": "ops", "site_id": "demo", "role": "operator"},
    )
    assert answer == {
        "status": 200,
        "body": {"chat_id": "c-1", "principal": {"sub": "ops", "site_id": "demo", "role": "operator"}},
    }
    assert built == []


@pytest.mark.parametrize("scheme", ["Bearer ", ""])
def test_a_bearer_token_is_verified_by_the_function(scheme: str) -> None:
    built: list[int] = []
    call = chat_app(lambda: FakeVerifier({"good": AGENT_CLAIMS}), built)
    answer = call(headers={"authorization": f"{scheme}good", "X-Chat-Token": "t"})
    assert answer["status"] == 200
    assert answer["body"]["principal"] == {"sub": "mirjam", "site_id": "demo", "role": "agent"}
    assert built == [1]


def test_an_invalid_bearer_token_is_unauthorized_not_a_widget() -> None:
    call = chat_app(lambda: FakeVerifier({"good": AGENT_CLAIMS}), [])
    answer = call(headers={"Authorization": "Bearer forged", "X-Site-Key": "k", "X-Chat-Token": "t"})
    assert answer["status"] == 401
    assert answer["body"]["error"]["code"] == "unauthorized"


def test_a_verified_token_without_site_and_role_is_unauthorized() -> None:
    call = chat_app(lambda: FakeVerifier({"bare": {"sub": "someone"}}), [])
    answer = call(headers={"Authorization": "Bearer bare"})
    assert (answer["status"], answer["body"]["error"]["code"]) == (401, "unauthorized")


def test_a_bearer_token_where_no_pool_is_configured_is_unauthorized() -> None:
    call = chat_app(lambda: None, [])
    answer = call(headers={"Authorization": "Bearer anything"})
    assert (answer["status"], answer["body"]["error"]["code"]) == (401, "unauthorized")


@pytest.mark.parametrize("headers", [None, {"X-Site-Key": "k", "X-Chat-Token": "t"}, {"Authorization": "  "}])
def test_no_claims_and_no_bearer_token_is_no_principal(headers: dict[str, str] | None) -> None:
    built: list[int] = []
    call = chat_app(lambda: FakeVerifier({}), built)
    answer = call(headers=headers)
    assert answer == {"status": 200, "body": {"chat_id": "c-1", "principal": "widget"}}
    # no verifier is built for a widget's request
    assert built == []
