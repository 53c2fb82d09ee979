"""A shortcut that makes moto (5.2) fast enough to replay the REES46 sample in a test.

A whole-sample replay with its stream drain costs ~75 s of CPU in moto as it is, most of it in
two places that do not depend on what the table holds. One, the Query that sorted the whole table,
is now taken care of wherever moto runs (klantreis_local.embedded_dynamodb); the other is here:

- moto writes every response through a generic, model-driven serializer that looks up all ten
  members of each `AttributeValue` (S, N, B, ...) with several alias rules. Here an
  AttributeValue that moto holds as plain dicts and lists is written straight into the response,
  exactly as the generic path writes it (strings as they are, binary base64-encoded, maps and
  lists recursively); anything else is left to moto.

Only the speed changes: tests/integration/test_replay.py checks that moto's answers (GetItem,
Query with every option the code uses, Scan, stream records) are identical with and without this
and the partition Query of klantreis_local.embedded_dynamodb.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

KINDS = frozenset({"S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"})


class _NotPlain(Exception):
    """A value moto holds as something else than plain dicts and lists: left to moto."""


def _attribute_value(serializer: Any, value: Any) -> dict[str, Any]:
    if type(value) is not dict or not value.keys() <= KINDS:
        raise _NotPlain
    wire: dict[str, Any] = {}
    for kind, raw in value.items():
        if raw is None:
            continue
        if kind in ("S", "N"):
            wire[kind] = str(raw)
        elif kind in ("BOOL", "NULL"):
            wire[kind] = raw
        elif kind in ("SS", "NS"):
            wire[kind] = [str(item) for item in raw]
        elif kind == "B":
            wire[kind] = serializer._base64(raw)
        elif kind == "BS":
            wire[kind] = [serializer._base64(item) for item in raw]
        elif kind == "M" and type(raw) is dict:
            wire[kind] = {name: _attribute_value(serializer, item) for name, item in raw.items()}
        elif kind == "L" and type(raw) is list:
            wire[kind] = [_attribute_value(serializer, item) for item in raw]
        else:
            raise _NotPlain
    return wire


@contextmanager
def faster_moto() -> Iterator[None]:
    from moto.core.serialize import BaseJSONSerializer

    generic_structure = BaseJSONSerializer._serialize_type_structure

    def serialize_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if key and shape.name == "AttributeValue":
            try:
                serialized[self.get_serialized_name(shape, key)] = _attribute_value(self, value)
            except _NotPlain:
                pass
            else:
                return
        generic_structure(self, serialized, value, shape, key)

    with mock.patch.object(BaseJSONSerializer, "_serialize_type_structure", serialize_structure):
        yield
