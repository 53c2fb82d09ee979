"""Our DynamoDB codec (klantreis.dynamo_types) does what boto3's TypeSerializer/TypeDeserializer
do, for every value: the same attribute value, or the same error (type and message). Compared
over generated nested values: strings, ints and Decimals up to and past DynamoDB's 38 digits and
exponent limits, floats (refused), bools, None, bytes, lists, tuples, maps, sets, and values of
no DynamoDB type; and over wire values, well- and ill-formed."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from hypothesis import given, settings
from hypothesis import strategies as st

from klantreis import dynamo, dynamo_types
from klantreis.errors import ValidationFailed

BOTO3_SERIALIZER, BOTO3_DESERIALIZER = TypeSerializer(), TypeDeserializer()


def _decimal_at_the_limits() -> st.SearchStrategy[Decimal]:
    """Decimals of 1 to 40 significant digits, exponents around DynamoDB's limits (1E-130 to
    below 1E+126), and the special values."""
    any_digits = st.text("0123456789", min_size=1, max_size=40)
    # 36 to 40 significant digits (no leading zero): around the 38-digit precision
    many_digits = st.builds(
        str.__add__, st.sampled_from("123456789"), st.text("0123456789", min_size=35, max_size=39)
    )
    # exponents where the range ends: the smallest normal (1E-128), the last subnormal digit
    # (1E-165), and the largest magnitude (below 1E+126), each with a 38-digit coefficient
    edges = st.sampled_from(
        [-168, -167, -166, -165, -164, -131, -130, -129, -128, -127, 87, 88, 89, 125, 126, 127]
    )
    finite = st.builds(
        lambda sign, digits, exponent: Decimal((sign, tuple(int(d) for d in digits), exponent)),
        st.sampled_from([0, 1]),
        st.one_of(any_digits, many_digits),
        st.one_of(st.integers(min_value=-170, max_value=130), edges),
    )
    special = st.sampled_from([Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity"), Decimal("-0")])
    return st.one_of(finite, special, st.decimals(allow_nan=False), st.decimals(allow_nan=False, places=38))


INTEGERS = st.one_of(st.integers(), st.integers(min_value=-(10**45), max_value=10**45))
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    INTEGERS,
    _decimal_at_the_limits(),
    st.text(max_size=8),
    st.binary(max_size=8),
    st.binary(max_size=4).map(bytearray),
    st.binary(max_size=4).map(Binary),
    st.floats(),
    st.complex_numbers(max_magnitude=10),
)
SET_MEMBERS = st.one_of(
    INTEGERS,
    _decimal_at_the_limits().filter(lambda d: not d.is_snan()),
    st.text(max_size=8),
    st.binary(max_size=8),
    st.floats(allow_nan=False),
)
SETS = st.one_of(
    st.sets(INTEGERS, max_size=4),
    st.sets(_decimal_at_the_limits().filter(lambda d: not d.is_snan()), max_size=4),
    st.sets(st.text(max_size=8), max_size=4),
    st.sets(st.binary(max_size=8), max_size=4),
    st.frozensets(SET_MEMBERS, max_size=4),
)
VALUES = st.recursive(
    st.one_of(SCALARS, SETS),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=6), children, max_size=4),
    ),
    max_leaves=12,
)


def outcome(function: Callable[[Any], Any], value: Any) -> tuple[str, Any]:
    """What `function(value)` gives: ("value", it, comparable) or ("error", type, message)."""
    try:
        return "value", comparable(function(value))
    except Exception as exc:  # the comparison is the point: any error must be the same one
        return "error", (type(exc), str(exc))


def comparable(value: Any) -> Any:
    """boto3's Binary as its bytes, sets in a fixed order, Decimals by their text (so NaN == NaN)."""
    if isinstance(value, Binary):
        return ("bytes", bytes(value.value))
    if isinstance(value, bytes | bytearray):
        return ("bytes", bytes(value))
    if isinstance(value, Decimal):
        return ("decimal", str(value))
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [comparable(v) for v in value]
    if isinstance(value, set | frozenset):
        return ("set", sorted((comparable(v) for v in value), key=repr))
    return value


@settings(max_examples=400, deadline=None)
@given(VALUES)
def test_serializes_every_value_as_boto3_does(value: Any) -> None:
    # given a value of any shape / when both serialize it / then the same answer or the same error
    assert outcome(dynamo_types.serialize, value) == outcome(BOTO3_SERIALIZER.serialize, value)


WIRE_SCALARS = st.one_of(
    st.builds(
        lambda n: {"N": n},
        st.one_of(INTEGERS.map(str), _decimal_at_the_limits().map(str), st.text(max_size=4)),
    ),
    st.builds(lambda s: {"S": s}, st.text(max_size=8)),
    st.builds(lambda b: {"B": b}, st.one_of(st.binary(max_size=8), st.text(max_size=4))),
    st.builds(lambda b: {"BOOL": b}, st.booleans()),
    st.just({"NULL": True}),
    st.builds(lambda ns: {"NS": ns}, st.lists(INTEGERS.map(str), max_size=3)),
    st.builds(lambda ss: {"SS": ss}, st.lists(st.text(max_size=4), max_size=3)),
    st.builds(
        lambda bs: {"BS": bs}, st.lists(st.one_of(st.binary(max_size=4), st.text(max_size=2)), max_size=3)
    ),
    st.sampled_from([{}, {"X": 1}, {"n": "7"}, {"Ns": ["1"]}, {1: "a"}, {"N": "1", "S": "a"}]),
)
WIRE_VALUES = st.recursive(
    WIRE_SCALARS,
    lambda children: st.one_of(
        st.builds(lambda values: {"L": values}, st.lists(children, max_size=4)),
        st.builds(lambda values: {"M": values}, st.dictionaries(st.text(max_size=6), children, max_size=4)),
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(WIRE_VALUES, VALUES.map(lambda v: outcome(BOTO3_SERIALIZER.serialize, v)[1])))
def test_deserializes_every_wire_value_as_boto3_does(wire: Any) -> None:
    # given a wire value, well- or ill-formed (or what boto3 serialized) / when both read it
    if not isinstance(wire, dict):
        return  # boto3 refused to serialize the value: the other test compares that
    # then the same value or the same error
    assert outcome(dynamo_types.deserialize, wire) == outcome(BOTO3_DESERIALIZER.deserialize, wire)


def test_a_number_beyond_dynamodbs_range_is_a_validation_failure_before_the_codec() -> None:
    # given floats DynamoDB cannot hold / when stored / then a 4xx, as before the codec was ours
    for number in (1e130, float("inf"), float("nan")):
        with pytest.raises(ValidationFailed):
            dynamo.to_item({"value": number})
