"""Tracked events and their batch envelope, exactly as the contract's `POST /v1/events`."""

from __future__ import annotations

import math
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    field_validator,
    model_validator,
)

from klantreis.keys import ID_PATTERN
from klantreis.sites import Consent
from klantreis.strict import STRICT_INPUT, IsoTime, Lax

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]


class EventType(StrEnum):
    PAGE_VIEW = "page_view"
    PRODUCT_VIEW = "product_view"
    ADD_TO_CART = "add_to_cart"
    REMOVE_FROM_CART = "remove_from_cart"
    CHECKOUT_STEP = "checkout_step"
    PURCHASE = "purchase"
    CHAT_OFFER_SHOWN = "chat_offer_shown"
    CUSTOM = "custom"


_NEEDS_PRODUCT = {EventType.PRODUCT_VIEW, EventType.ADD_TO_CART, EventType.REMOVE_FROM_CART}


FIELDS_FOR_TYPE: list[Any] = [
    {
        "if": {"required": ["type"], "properties": {"type": {"enum": sorted(_NEEDS_PRODUCT)}}},
        "then": {"required": ["product_id"], "properties": {"product_id": {"type": "string"}}},
    },
    {
        "if": {"required": ["type"], "properties": {"type": {"const": EventType.CHECKOUT_STEP.value}}},
        "then": {"required": ["step"], "properties": {"step": {"type": "integer"}}},
    },
]
"""What `_fields_for_type` checks, in the schema: the product of a product event, a checkout
step's step."""


class TrackedEvent(BaseModel):
    """One event of a batch. Unknown fields are ignored (the contract may grow)."""

    model_config = ConfigDict(
        **STRICT_INPUT, extra="ignore", frozen=True, json_schema_extra={"allOf": FIELDS_FOR_TYPE}
    )

    event_id: Id
    type: Annotated[EventType, Lax]
    timestamp: IsoTime
    url: str | None = Field(None, max_length=2048)
    category: str | None = Field(None, min_length=1, max_length=100)
    product_id: Id | None = None
    value: float | None = Field(None, ge=0, le=1_000_000_000)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    step: int | None = Field(None, ge=0, le=100)
    properties: dict[str, JsonValue] = Field(default_factory=dict)

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("value must be a finite number")
        return value

    @model_validator(mode="after")
    def _fields_for_type(self) -> Self:
        if self.type in _NEEDS_PRODUCT and not self.product_id:
            raise ValueError(f"{self.type.value} needs a product_id")
        if self.type is EventType.CHECKOUT_STEP and self.step is None:
            raise ValueError("checkout_step needs a step")
        return self

    @property
    def quantity(self) -> int:
        """Cart quantity from `properties.quantity` (a whole number 1-999), else 1."""
        raw = self.properties.get("quantity")
        if isinstance(raw, int) and not isinstance(raw, bool) and 1 <= raw <= 999:
            return raw
        return 1


class BatchEnvelope(BaseModel):
    """The batch around the events. Events are validated one by one, so one bad event is
    rejected alone and the rest is kept."""

    model_config = ConfigDict(**STRICT_INPUT, extra="ignore")

    visitor_id: Id
    session_id: Id
    sent_at: IsoTime
    events: list[Any]
    consent: Consent = None


class Rejection(BaseModel):
    index: int
    error: str


def corrected_timestamp(event_time: datetime, sent_at: datetime, received_at: datetime) -> datetime:
    """Moves a widget timestamp onto the server clock: the widget's offset between the event and
    sending it is kept, its clock's error is removed."""
    return received_at - (sent_at - event_time)
