"""The strict JSON reader and the strict field types, without HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from klantreis.conversations.models import is_blank
from klantreis.jsontext import EXACT_INTEGERS, loads
from klantreis.strict import STRICT_INPUT, IsoTime


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"a": 1, "b": {"c": 1, "c": 2}}', "duplicate key 'c'"),
        ('{"a": ' + "1" * 4_301 + "}", "more than 4300 digits"),
        ("[NaN]", "NaN is not a JSON number"),
        ("[-Infinity]", "-Infinity is not a JSON number"),
        ("[1e400]", "out of range"),
        ("[" * 100_000, "nested too deeply"),
    ],
)
def test_what_is_not_strict_json_is_a_decode_error_with_its_reason(text: str, reason: str) -> None:
    with pytest.raises(json.JSONDecodeError) as refused:
        loads(text)
    assert reason in refused.value.msg


def test_a_whole_number_is_an_integer_as_json_schema_says() -> None:
    parsed = loads('{"a": 7.0, "b": 7.5, "c": -0.0, "d": 1e3, "big": 1e300, "edge": 9007199254740992.0}')
    assert {name: type(value) for name, value in parsed.items()} == {
        "a": int, "b": float, "c": int, "d": int,
        "big": float, "edge": float,  # from 2**53 a float is no exact whole number
    }  # fmt: skip
    assert (parsed["a"], parsed["d"], parsed["edge"]) == (7, 1000, float(EXACT_INTEGERS))
    assert loads('{"n": ' + "9" * 4_300 + "}")["n"] == int("9" * 4_300)


class Strict(BaseModel):
    model_config = STRICT_INPUT

    count: int = 0
    share: float = 0.0
    flag: bool = False
    at: IsoTime | None = None


@pytest.mark.parametrize(
    "fields",
    [{"count": False}, {"count": "3"}, {"count": 3.5}, {"share": True}, {"share": "0.5"}, {"flag": 0},
     {"flag": "true"}, {"at": 0}, {"at": "1700000000"}, {"at": "0.5"}, {"at": "2026-12-04T10:00:00"}],
    ids=repr,
)  # fmt: skip
def test_each_value_only_in_its_own_json_type(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Strict.model_validate(fields)


def test_the_right_types_still_parse_times_from_iso_text() -> None:
    parsed = Strict.model_validate({"count": 3, "share": 1, "flag": True, "at": "2026-12-04T10:00:00Z"})
    assert parsed.at == datetime(2026, 12, 4, 10, tzinfo=UTC)
    assert parsed.share == 1.0


@pytest.mark.parametrize(
    ("text", "blank"), [(" \t\n\r\f\v", True), ("", True), ("\x1f", False), ("a", False)]
)
def test_blank_is_the_six_ascii_spaces_only(text: str, blank: bool) -> None:
    assert is_blank(text) is blank
