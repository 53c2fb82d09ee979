"""One stream record, decoded once: the item's keys, what happened to it and its plain old and new
images, which every projection of the batch then reads.

Powertools' `DynamoDBRecord` data class (which the batch processor hands the aggregate function)
deserializes images into `Decimal`s and leaves binary as it comes; the projections are written
against the table's plain form (`klantreis.dynamo.from_item`: int, float, bytes), so a change
keeps the record's envelope as it is and turns each image into that form once, on first use: a
projection that skips a record (another item kind) never pays for its images, and a record no
projection reads is never decoded. An image that cannot be decoded raises where it is first read,
inside the projection that wanted it (a poison record of that projection)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any

from klantreis import dynamo, keys

TTL_PRINCIPAL = "dynamodb.amazonaws.com"
"""The stream's `userIdentity.principalId` of an item TTL removed."""


class ItemChange:
    """One INSERT, MODIFY or REMOVE stream record (Lambda's event format) as the projections read
    it."""

    def __init__(self, record: Mapping[str, Any]) -> None:
        change = record.get("dynamodb") or {}
        item_keys = change.get("Keys") or {}
        self.raw = record
        self.event_name = str(record.get("eventName") or "")
        self.partition_key = str(item_keys.get("PK", {}).get("S", ""))
        self.sort_key = str(item_keys.get("SK", {}).get("S", ""))
        self.created_at: Any = change.get("ApproximateCreationDateTime")
        """When the stream took the change (epoch seconds), if the record says."""

    @property
    def _images(self) -> Mapping[str, Any]:
        return self.raw.get("dynamodb") or {}

    @cached_property
    def old(self) -> dict[str, Any] | None:
        """The item before the change, plain (None for an INSERT, or a stream without old images)."""
        image = self._images.get("OldImage")
        return dynamo.from_item(image) if image else None

    @cached_property
    def new(self) -> dict[str, Any] | None:
        """The item after the change, plain (None for a REMOVE)."""
        image = self._images.get("NewImage")
        return dynamo.from_item(image) if image else None

    @property
    def has_new_image(self) -> bool:
        return bool(self._images.get("NewImage"))

    @property
    def is_write(self) -> bool:
        """An INSERT or MODIFY with a new image: what the counters count (removals, erasure and
        TTL, change no aggregate)."""
        return self.event_name in ("INSERT", "MODIFY") and self.has_new_image

    @property
    def is_removal(self) -> bool:
        return self.event_name == "REMOVE"

    @property
    def by_ttl(self) -> bool:
        """A removal by the table's TTL (not by a request, such as an erasure)."""
        identity = self.raw.get("userIdentity") or {}
        return identity.get("type") == "Service" and identity.get("principalId") == TTL_PRINCIPAL

    @property
    def is_session(self) -> bool:
        return self.sort_key.startswith(keys.SESSION_PREFIX)

    @property
    def is_decision(self) -> bool:
        return self.sort_key.startswith(keys.DECISION_PREFIX)

    @property
    def is_offer(self) -> bool:
        return self.sort_key == keys.OFFER

    @property
    def is_chat(self) -> bool:
        return self.sort_key == keys.CHAT

    @property
    def is_survey(self) -> bool:
        return self.sort_key == keys.SURVEY


def decode(records: Iterable[Mapping[str, Any]]) -> list[ItemChange]:
    """A batch's records as changes, in stream order."""
    return [ItemChange(record) for record in records]
