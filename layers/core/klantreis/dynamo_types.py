"""DynamoDB's attribute-value format, without boto3: what boto3.dynamodb.types' TypeSerializer and
TypeDeserializer do, value for value and error for error (tests/unit/test_dynamo_types.py compares
the two over generated values). Importing boto3.dynamodb.types imports the whole boto3 package
(s3transfer, its resource layer), which no function otherwise needs on a cold start.

One difference, on purpose: binary values are read as `bytes`, where boto3 wraps them in its
`Binary` (which compares and hashes as its bytes)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from decimal import Clamped, Context, Decimal, Inexact, Overflow, Rounded, Underflow
from typing import Any

DYNAMODB_CONTEXT = Context(
    Emin=-128, Emax=126, prec=38, traps=[Clamped, Overflow, Inexact, Rounded, Underflow]
)
"""DynamoDB's numbers: 38 significant digits, magnitudes 1E-130 to below 1E+126; anything that
would be rounded or clamped is refused (boto3's context)."""


def _is_number(value: Any) -> bool:
    if isinstance(value, float):
        raise TypeError("Float types are not supported. Use Decimal types instead.")
    return isinstance(value, int | Decimal)


def _is_string(value: Any) -> bool:
    return isinstance(value, str)


def _is_binary(value: Any) -> bool:
    return isinstance(value, bytes | bytearray) or _is_boto3_binary(value)


def _is_boto3_binary(value: Any) -> bool:
    """boto3's Binary wrapper, recognised without importing boto3 (a caller may still hold one)."""
    return type(value).__name__ == "Binary" and isinstance(getattr(value, "value", None), bytes | bytearray)


def _is_set_of(value: Any, member: Callable[[Any], bool]) -> bool:
    # As boto3: all members checked in iteration order, stopping at the first that is not one.
    return isinstance(value, AbstractSet) and all(member(v) for v in value)


def _number(value: Any) -> str:
    number = str(DYNAMODB_CONTEXT.create_decimal(value))
    if number in ("Infinity", "NaN"):
        raise TypeError("Infinity and NaN not supported")
    return number


def _binary(value: Any) -> Any:
    return value.value if _is_boto3_binary(value) else value


def serialize(value: Any) -> dict[str, Any]:
    """One Python value as an attribute value: None as NULL, bool as BOOL, int/Decimal as N, str
    as S, bytes as B, a set of numbers/strings/bytes as NS/SS/BS, a mapping as M, a list or tuple
    as L. A float, an unsupported type, or a number DynamoDB cannot hold exactly raises as boto3
    raises (TypeError, or the decimal signal)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if _is_number(value):
        return {"N": _number(value)}
    if _is_string(value):
        return {"S": value}
    if _is_binary(value):
        return {"B": _binary(value)}
    if _is_set_of(value, _is_number):
        return {"NS": [_number(v) for v in value]}
    if _is_set_of(value, _is_string):
        return {"SS": list(value)}
    if _is_set_of(value, _is_binary):
        return {"BS": [_binary(v) for v in value]}
    if isinstance(value, Mapping):
        return {"M": {k: serialize(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [serialize(v) for v in value]}
    raise TypeError(f'Unsupported type "{type(value)}" for value "{value}"')


def _number_value(text: Any) -> Decimal:
    return DYNAMODB_CONTEXT.create_decimal(text)


def _binary_value(value: Any) -> Any:
    # What boto3's Binary accepts; its message, too.
    if not isinstance(value, bytearray | bytes):
        raise TypeError("Value must be of the following types: <class 'bytearray'>, <class 'bytes'>")
    return value


_READERS: dict[str, Callable[[Any], Any]] = {
    "null": lambda _: None,
    "bool": lambda value: value,
    "n": _number_value,
    "s": lambda value: value,
    "b": _binary_value,
    "ns": lambda values: set(map(_number_value, values)),
    "ss": set,
    "bs": lambda values: set(map(_binary_value, values)),
    "l": lambda values: [deserialize(v) for v in values],
    "m": lambda values: {k: deserialize(v) for k, v in values.items()},
}
"""By the type's name in lower case: boto3 finds its reader by that name, so "n" reads as "N"."""


def deserialize(value: Mapping[str, Any]) -> Any:
    """One attribute value as Python: N as Decimal (in DynamoDB's context), B as bytes, sets as
    sets, M as dict, L as list. An empty or unknown one raises TypeError, as boto3's does."""
    if not value:
        raise TypeError("Value must be a nonempty dictionary whose key is a valid dynamodb type.")
    kind = next(iter(value))
    reader = _READERS.get(str(kind).lower()) if isinstance(kind, str) else None
    if reader is None:
        raise TypeError(f"Dynamodb type {kind} is not supported")
    return reader(value[kind])
