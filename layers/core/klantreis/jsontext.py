"""Request bodies read as strict JSON (RFC 8259 plus what our stores can keep): one value per
key, no NaN or Infinity, numbers that fit a float or Python's integer conversion, nesting the
parser can follow. Anything else is bad JSON (`json.JSONDecodeError`, a 400), never a crash.

A number with a zero fraction (`7.0`) is an integer, as JSON Schema defines one: strict integer
fields take it, and float fields take integers anyway."""

from __future__ import annotations

import json
import math
from typing import Any

MAX_INTEGER_DIGITS = 4_300
"""Python's own limit on converting text to int (sys.get_int_max_str_digits' default)."""
EXACT_INTEGERS = 2**53
"""Below this a float holds every whole number exactly."""


class _Refused(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused(f"duplicate key {key[:100]!r}")
            seen.add(key)
    return document


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _Refused(f"a number has more than {MAX_INTEGER_DIGITS} digits")
    return int(text)


def _finite(text: str) -> float | int:
    number = float(text)
    if not math.isfinite(number):
        raise _Refused(f"the number {text[:40]} is out of range")
    if number.is_integer() and abs(number) < EXACT_INTEGERS:
        return int(number)
    return number


def _no_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number")


def loads(text: str) -> Any:
    """The JSON value of `text`; `json.JSONDecodeError` with a clear message when it is not one."""
    try:
        return json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_int=_integer,
            parse_float=_finite,
            parse_constant=_no_constant,
        )
    except _Refused as refused:
        raise json.JSONDecodeError(str(refused), text, 0) from None
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None
