"""Strict request models: a boolean, a number or a time is accepted only in its own JSON type.

Lax pydantic would read `false` as 0, `0` as a moment in 1970 and `"5"` as 5. Every public
request model uses `STRICT_INPUT` (strict fields by default), and the few fields whose JSON form
is text for a richer Python type (times, dates, enumerations, fixed-length arrays) say so with the
annotations below: Powertools validates the parsed body in pydantic's Python mode, where strict
mode would refuse even the right text for those.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BeforeValidator, ConfigDict, Strict

STRICT_INPUT = ConfigDict(strict=True)


_ISO_DATE_START = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _text_only(value: Any) -> Any:
    # datetime/date instances pass: models are also built from values already parsed. Text must
    # start as an ISO date: pydantic would read "1700000000" or "0.5" as seconds since 1970.
    if isinstance(value, datetime | date) or (isinstance(value, str) and _ISO_DATE_START.match(value)):
        return value
    raise ValueError("must be an ISO-8601 text")


IsoTime = Annotated[AwareDatetime, Strict(False), BeforeValidator(_text_only)]
"""An ISO-8601 time with a zone, given as JSON text."""

IsoDate = Annotated[date, Strict(False), BeforeValidator(_text_only)]
"""A date `YYYY-MM-DD`, given as JSON text."""

Lax = Strict(False)
"""For an enumeration or fixed-length array inside a strict model: its JSON form (text, an array)
is what the Python type is built from."""
