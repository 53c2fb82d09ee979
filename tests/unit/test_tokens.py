"""Chat and survey tokens: signed, bound to a site's chat, expiring, rotatable."""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from klantreis import tokens
from klantreis.errors import Forbidden, Unauthorized
from klantreis.tokens import (
    CHAT_TOKEN_SECONDS,
    SURVEY_TOKEN_SECONDS,
    InvalidToken,
    KeyRing,
    Purpose,
    TokenExpired,
    TokenSigner,
    key_id,
)

OLD_KEY = "old-key-0123456789abcdef"
NEW_KEY = "new-key-fedcba9876543210"
NOW = 1_750_000_000.0
LIFETIMES = [("chat", CHAT_TOKEN_SECONDS), ("survey", SURVEY_TOKEN_SECONDS)]


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def signer(current: str = NEW_KEY, *previous: str, clock: Callable[[], float] | None = None) -> TokenSigner:
    return TokenSigner(KeyRing.from_keys(current, previous), clock=clock or Clock())


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def payload_of(token: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(unb64(token.split(".")[1]))
    return document


def resigned(payload: dict[str, Any], key: str = NEW_KEY) -> str:
    """A token with any payload, correctly signed: what a holder of the key could make."""
    signed_part = "v1." + b64(json.dumps(payload).encode())
    return f"{signed_part}.{b64(hmac.digest(key.encode(), signed_part.encode(), 'sha256'))}"


# --- issuing and verifying ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("purpose", "lifetime"), [("chat", CHAT_TOKEN_SECONDS), ("survey", SURVEY_TOKEN_SECONDS)]
)
def test_a_token_verifies_for_its_purpose_site_and_chat(purpose: Purpose, lifetime: int) -> None:
    # given
    tokens_ = signer()
    # when
    token = tokens_.issue(purpose, "demo", "chat-1")
    # then
    tokens_.verify(token, purpose, "demo", "chat-1")
    assert payload_of(token) == {
        "p": purpose,
        "s": "demo",
        "c": "chat-1",
        "e": int(NOW) + lifetime,
        "k": key_id(NEW_KEY.encode()),
    }
    assert token.startswith("v1.")
    assert all(char.isalnum() or char in "._-" for char in token)


def test_lifetimes_are_a_day_for_chats_and_a_week_for_surveys() -> None:
    assert CHAT_TOKEN_SECONDS == 24 * 3600
    assert SURVEY_TOKEN_SECONDS == 7 * 86400


def test_tokens_for_realistic_ids_stay_under_300_characters() -> None:
    # given a long site id and a ULID-sized chat id
    site_id, chat_id = "s" * 100, "01J9ZQ4K6W3N8V2XGQH5RTY7BM"
    # when
    token = signer().issue("survey", site_id, chat_id)
    # then
    assert len(token) < 300
    assert len(signer().issue("survey", "x" * 100, "y" * 100)) <= tokens.MAX_TOKEN_CHARS


def test_a_custom_lifetime_sets_the_expiry() -> None:
    clock = Clock()
    tokens_ = signer(clock=clock)
    token = tokens_.issue("chat", "demo", "c1", seconds=60)
    clock.now = NOW + 59
    tokens_.verify(token, "chat", "demo", "c1")
    clock.now = NOW + 60
    with pytest.raises(TokenExpired):
        tokens_.verify(token, "chat", "demo", "c1")


@pytest.mark.parametrize(
    ("purpose", "site_id", "chat_id", "seconds"),
    [
        ("chat", "", "c1", None),
        ("chat", "demo", "", None),
        ("chat", "de#mo", "c1", None),
        ("chat", "demo\n", "c1", None),
        ("chat", "demo", "c" * 101, None),
        ("chat", "demo", "c1", 0),
        ("chat", "demo", "c1", -5),
        ("other", "demo", "c1", None),
    ],
)
def test_issuing_refuses_what_no_token_should_hold(
    purpose: Any, site_id: str, chat_id: str, seconds: int | None
) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - several messages, one contract
        signer().issue(purpose, site_id, chat_id, seconds=seconds)


def test_a_token_for_another_purpose_is_invalid() -> None:
    # given
    tokens_ = signer()
    chat_token = tokens_.issue("chat", "demo", "c1")
    survey_token = tokens_.issue("survey", "demo", "c1")
    # when / then
    with pytest.raises(InvalidToken) as chat_as_survey:
        tokens_.verify(chat_token, "survey", "demo", "c1")
    with pytest.raises(InvalidToken):
        tokens_.verify(survey_token, "chat", "demo", "c1")
    assert chat_as_survey.value.code == "invalid_token"
    assert isinstance(chat_as_survey.value, Unauthorized)


@pytest.mark.parametrize(("site_id", "chat_id"), [("demo", "c2"), ("other-shop", "c1"), ("other-shop", "c2")])
def test_a_valid_token_for_another_chat_or_site_is_forbidden(site_id: str, chat_id: str) -> None:
    # given
    tokens_ = signer()
    token = tokens_.issue("chat", "demo", "c1")
    # when / then
    with pytest.raises(Forbidden) as refused:
        tokens_.verify(token, "chat", site_id, chat_id)
    assert refused.value.code == "forbidden"
    assert not isinstance(refused.value, Unauthorized)


@pytest.mark.parametrize(
    ("purpose", "lifetime"), [("chat", CHAT_TOKEN_SECONDS), ("survey", SURVEY_TOKEN_SECONDS)]
)
def test_an_expired_token_is_refused(purpose: Purpose, lifetime: int) -> None:
    # given
    clock = Clock()
    tokens_ = signer(clock=clock)
    token = tokens_.issue(purpose, "demo", "c1")
    clock.now = NOW + lifetime - 1
    tokens_.verify(token, purpose, "demo", "c1")
    # when
    clock.now = NOW + lifetime
    # then
    with pytest.raises(TokenExpired) as expired:
        tokens_.verify(token, purpose, "demo", "c1")
    assert expired.value.code == "token_expired"
    assert isinstance(expired.value, Unauthorized)


def test_an_expired_token_for_another_chat_is_expired_first() -> None:
    # authentication (401) comes before authorization (403)
    clock = Clock()
    tokens_ = signer(clock=clock)
    token = tokens_.issue("chat", "demo", "c1")
    clock.now = NOW + CHAT_TOKEN_SECONDS
    with pytest.raises(TokenExpired):
        tokens_.verify(token, "chat", "demo", "c2")


# --- forgeries and garbage ---------------------------------------------------------------------


def _tampered_payload(token: str) -> str:
    version, _, signature = token.split(".")
    payload = payload_of(token)
    payload["c"] = "c2"
    return ".".join([version, b64(json.dumps(payload, separators=(",", ":")).encode()), signature])


def _extended_expiry(token: str) -> str:
    version, _, signature = token.split(".")
    payload = payload_of(token)
    payload["e"] += 10 * 365 * 86400
    return ".".join([version, b64(json.dumps(payload).encode()), signature])


def _flipped_signature(token: str) -> str:
    head, signature = token.rsplit(".", 1)
    raw = bytearray(unb64(signature))
    raw[0] ^= 1
    return f"{head}.{b64(bytes(raw))}"


def _short_signature(token: str) -> str:
    head, signature = token.rsplit(".", 1)
    return f"{head}.{b64(unb64(signature)[:16])}"


def _non_canonical_signature(token: str) -> str:
    # 32 bytes are 43 characters whose last one carries 2 unused bits: set one of them
    head, signature = token.rsplit(".", 1)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet[alphabet.index(signature[-1]) ^ 1]
    return f"{head}.{signature[:-1]}{last}"


FORGERIES: dict[str, Callable[[str], str]] = {
    "tampered payload": _tampered_payload,
    "extended expiry": _extended_expiry,
    "flipped signature": _flipped_signature,
    "short signature": _short_signature,
    "non-canonical signature": _non_canonical_signature,
    "no signature": lambda token: token.rsplit(".", 1)[0],
    "empty signature": lambda token: token.rsplit(".", 1)[0] + ".",
    "truncated": lambda token: token[: len(token) // 2],
    "one character short": lambda token: token[:-1],
    "other version": lambda token: "v2" + token[2:],
    "extra part": lambda token: token + ".AAAA",
    "padding": lambda token: token + "=",
    "whitespace": lambda token: f" {token}",
    "trailing newline": lambda token: token + "\n",
    "empty": lambda token: "",
    "garbage": lambda token: "not a token",
    "dots": lambda token: "..",
    "very long": lambda token: "v1." + "A" * 100_000 + ".AAAA",
    "jwt-like": lambda token: "eyJhbGciOiJub25lIn0.eyJwIjoiY2hhdCJ9.",
}


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
def test_a_forged_or_damaged_token_is_invalid(forge: Callable[[str], str]) -> None:
    # given
    tokens_ = signer()
    token = tokens_.issue("chat", "demo", "c1")
    # when
    forged = forge(token)
    # then
    assert forged != token
    with pytest.raises(InvalidToken):
        tokens_.verify(forged, "chat", "demo", "c1")


def test_a_token_from_another_key_is_invalid() -> None:
    token = signer("someone-elses-key-0000").issue("chat", "demo", "c1")
    with pytest.raises(InvalidToken):
        signer().verify(token, "chat", "demo", "c1")


def test_a_token_naming_an_unknown_key_id_is_invalid() -> None:
    # given a correctly signed token whose key id is not in the ring
    token = signer().issue("chat", "demo", "c1")
    payload = payload_of(token) | {"k": "00000000"}
    # when / then
    with pytest.raises(InvalidToken, match="unknown key"):
        signer().verify(resigned(payload), "chat", "demo", "c1")


@pytest.mark.parametrize(
    "payload",
    [
        [],
        "text",
        {"p": "chat", "s": "demo", "c": "c1", "e": 2_000_000_000},
        {"p": "chat", "s": "demo", "c": "c1", "e": "2000000000", "k": key_id(NEW_KEY.encode())},
        {"p": "chat", "s": "demo", "c": "c1", "e": True, "k": key_id(NEW_KEY.encode())},
        {"p": "chat", "s": "demo", "c": 1, "e": 2_000_000_000, "k": key_id(NEW_KEY.encode())},
        {"p": "chat", "s": "demo", "c": "c1", "e": 2_000_000_000, "k": key_id(NEW_KEY.encode()), "x": 1},
    ],
)
def test_a_signed_payload_of_the_wrong_shape_is_invalid(payload: Any) -> None:
    with pytest.raises(InvalidToken, match="malformed"):
        signer().verify(resigned(payload), "chat", "demo", "c1")


def test_signatures_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # given
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    tokens_ = signer()
    token = tokens_.issue("chat", "demo", "c1")
    # when
    tokens_.verify(token, "chat", "demo", "c1")
    with pytest.raises(InvalidToken):
        tokens_.verify(_flipped_signature(token), "chat", "demo", "c1")
    # then
    assert len(calls) == 2
    assert all(len(a) == len(b) == 32 for a, b in calls)


# --- rotation ----------------------------------------------------------------------------------


def test_a_token_signed_before_a_rotation_still_verifies() -> None:
    # given a token signed with the old key
    token = signer(OLD_KEY).issue("survey", "demo", "c1")
    # when the old key becomes the previous one
    rotated = signer(NEW_KEY, OLD_KEY)
    # then the old token verifies, and new tokens are signed with the new key
    rotated.verify(token, "survey", "demo", "c1")
    fresh = rotated.issue("survey", "demo", "c1")
    assert payload_of(fresh)["k"] == key_id(NEW_KEY.encode())
    signer(NEW_KEY).verify(fresh, "survey", "demo", "c1")


def test_a_token_of_a_dropped_key_no_longer_verifies() -> None:
    token = signer(OLD_KEY).issue("survey", "demo", "c1")
    with pytest.raises(InvalidToken):
        signer(NEW_KEY).verify(token, "survey", "demo", "c1")


# --- key rings from a secret -------------------------------------------------------------------


def test_a_json_secret_with_a_current_key() -> None:
    ring = KeyRing.from_secret_string(json.dumps({"current": NEW_KEY}))
    assert ring.current == (key_id(NEW_KEY.encode()), NEW_KEY.encode())
    assert ring.previous == ()


def test_a_json_secret_with_a_previous_key_as_a_string() -> None:
    ring = KeyRing.from_secret_string(json.dumps({"current": NEW_KEY, "previous": OLD_KEY}))
    assert ring.current[1] == NEW_KEY.encode()
    assert ring.previous == ((key_id(OLD_KEY.encode()), OLD_KEY.encode()),)


def test_a_json_secret_with_previous_keys_as_a_list() -> None:
    older = "older-key-aaaaaaaaaaaa"
    ring = KeyRing.from_secret_string(json.dumps({"current": NEW_KEY, "previous": [OLD_KEY, older, NEW_KEY]}))
    assert [key for _, key in ring.previous] == [OLD_KEY.encode(), older.encode()]
    assert KeyRing.from_secret_string(json.dumps({"current": NEW_KEY, "previous": None})).previous == ()
    assert KeyRing.from_secret_string(json.dumps({"current": NEW_KEY, "previous": []})).previous == ()


def test_a_plain_secret_is_the_current_key() -> None:
    ring = KeyRing.from_secret_string(f"{NEW_KEY}\n")
    assert ring == KeyRing.from_keys(NEW_KEY)
    assert ring.current[0] == key_id(NEW_KEY.encode())
    assert len(ring.current[0]) == 8
    assert int(ring.current[0], 16) >= 0


@pytest.mark.parametrize(
    "secret",
    [
        "short",
        "",
        "{not json",
        "{}",
        json.dumps({"current": "short"}),
        json.dumps({"current": 1234567890123456789}),
        json.dumps({"previous": OLD_KEY}),
        json.dumps({"current": NEW_KEY, "previous": "short"}),
        json.dumps({"current": NEW_KEY, "previous": 7}),
        json.dumps({"current": NEW_KEY, "previous": [OLD_KEY, 7]}),
        json.dumps({"current": NEW_KEY, "previuos": OLD_KEY}),
    ],
)
def test_a_bad_secret_is_refused_without_quoting_it(secret: str) -> None:
    with pytest.raises(ValueError) as refused:  # noqa: PT011 - several messages, one contract
        KeyRing.from_secret_string(secret)
    assert NEW_KEY not in str(refused.value)
    assert OLD_KEY not in str(refused.value)


def test_a_key_ring_never_shows_its_keys() -> None:
    ring = KeyRing.from_keys(NEW_KEY, [OLD_KEY])
    assert NEW_KEY not in repr(ring)
    assert OLD_KEY not in repr(ring)
    assert key_id(NEW_KEY.encode()) in repr(ring)


# --- properties ----------------------------------------------------------------------------------

_b64_text = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", max_size=80)


@st.composite
def near_tokens(draw: st.DrawFn) -> str:
    """Strings shaped like tokens: a version, base64url-ish parts, sometimes JSON payloads."""
    payload = draw(
        st.one_of(
            _b64_text,
            st.dictionaries(
                st.sampled_from(["p", "s", "c", "e", "k", "x"]),
                st.one_of(st.text(max_size=10), st.integers(), st.booleans(), st.none(), st.floats()),
            ).map(lambda d: b64(json.dumps(d).encode())),
            st.recursive(st.lists(st.none(), max_size=2), lambda inner: st.lists(inner, max_size=2)).map(
                lambda d: b64(json.dumps(d).encode())
            ),
        )
    )
    version = draw(st.sampled_from(["v1", "v2", "", "V1"]))
    signature = draw(st.one_of(_b64_text, st.binary(min_size=32, max_size=32).map(b64)))
    return f"{version}.{payload}.{signature}"


_json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=8,
)
_signed_payloads = st.dictionaries(
    st.sampled_from(["p", "s", "c", "e", "k", "x"]),
    st.one_of(
        st.sampled_from(["chat", "survey", "demo", "c1", key_id(NEW_KEY.encode())]),
        st.integers(0, 4_000_000_000),
        _json_values,
    ),
).map(resigned)


@given(st.one_of(st.text(max_size=600), near_tokens(), st.binary(max_size=200).map(b64)))
def test_unsigned_input_fails_only_as_unauthorized(text: str) -> None:
    with pytest.raises(Unauthorized):
        signer().verify(text, "chat", "demo", "c1")


def is_live_grant_of_chat_c1(payload: dict[str, Any]) -> bool:
    """The only payload that may verify for ("chat", "demo", "c1"): exactly that grant, under the
    ring's key id, not yet expired."""
    expiry = payload.get("e")
    return (
        set(payload) == {"p", "s", "c", "e", "k"}
        and (payload["p"], payload["s"], payload["c"], payload["k"])
        == ("chat", "demo", "c1", key_id(NEW_KEY.encode()))
        and isinstance(expiry, int)
        and not isinstance(expiry, bool)
        and expiry > NOW
    )


@given(_signed_payloads)
def test_a_signed_payload_verifies_only_when_it_is_exactly_the_chats_grant(token: str) -> None:
    try:
        signer().verify(token, "chat", "demo", "c1")
    except (Unauthorized, Forbidden):
        verified = False
    else:
        verified = True
    assert verified == is_live_grant_of_chat_c1(payload_of(token)), payload_of(token)


@given(st.data())
def test_an_altered_token_never_verifies(data: st.DataObject) -> None:
    # given a token issued for a chat
    tokens_ = signer()
    token = tokens_.issue("chat", "demo", "c1")
    # when any one character of it is changed
    position = data.draw(st.integers(0, len(token) - 1))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.="
    replacement = data.draw(st.sampled_from(alphabet).filter(lambda char: char != token[position]))
    altered = token[:position] + replacement + token[position + 1 :]
    # then it is refused
    with pytest.raises(Unauthorized):
        tokens_.verify(altered, "chat", "demo", "c1")


@given(st.sampled_from(["another-key-0123456789", OLD_KEY, NEW_KEY[:-1] + "1", NEW_KEY + "0"]))
def test_a_token_resigned_with_a_key_outside_the_ring_never_verifies(key: str) -> None:
    # given a real grant, signed again with a key the ring does not hold
    tokens_ = signer()
    forged = resigned(payload_of(tokens_.issue("chat", "demo", "c1")), key=key)
    # then it is refused
    with pytest.raises(Unauthorized):
        tokens_.verify(forged, "chat", "demo", "c1")


@given(
    st.sampled_from(["chat", "survey"]),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:@=+\-]{0,99}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:@=+\-]{0,99}", fullmatch=True),
)
def test_every_issued_token_verifies_and_fits(purpose: Purpose, site_id: str, chat_id: str) -> None:
    tokens_ = signer()
    token = tokens_.issue(purpose, site_id, chat_id)
    tokens_.verify(token, purpose, site_id, chat_id)
    assert len(token) <= tokens.MAX_TOKEN_CHARS
