"""Purchases attributed to chats (and so to their agents): the stream consumer's second job.

A purchase is the chat's when the shop reports, on the `purchase` event, a discount code an agent
gave in that chat (`properties.discount_code`; codes are single-use, so whoever uses it, the chat
that gave it gets the credit), or else when it falls in the same session after the chat started.
The stream consumer (functions/aggregate/aggregate/handler.py) sees each change of a session item; where
`purchases` rose, `purchase_of` tells what was bought and `attribute` credits the chats.

Crediting is idempotent: `ChatDiscounts.mark_converted` is conditional on the chat not being converted
yet, so a retried stream batch credits nothing twice, and it raises on anything but that condition
so Lambda retries the batch. Conversions are rare, so the extra reads here cost little.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from klantreis.conversations.models import Chat
from klantreis.conversations.ports import Discount
from klantreis.journey.session import SessionState
from klantreis.journey.store import session_from_item
from klantreis.projections.changes import ItemChange


class AttributionStore(Protocol):
    """What attribution reads and writes of chats (conversations.dynamo_store.DynamoAttributionStore)."""

    def chat(self, site_id: str, chat_id: str) -> Chat | None: ...
    def chats_of_visitor(self, site_id: str, visitor_id: str) -> list[Chat]: ...
    def discount(self, site_id: str, code: str) -> Discount | None: ...
    def mark_converted(self, chat: Chat, at: datetime, value: float, code: str | None = None) -> bool: ...


@dataclass(frozen=True)
class Purchase:
    """What one change of a session bought: one or more purchase events' worth."""

    site_id: str
    visitor_id: str
    session_id: str
    at: datetime
    """The latest purchase of the session."""
    value: float
    """The session's revenue increase."""
    new_codes: tuple[str, ...] = ()
    """Discount codes the session did not report before this change."""


@dataclass(frozen=True)
class Credit:
    chat_id: str
    agent_id: str | None
    value: float
    code: str | None
    credited: bool
    """False when the chat had been credited before (a retried batch, an earlier purchase)."""


def purchase_of(old: SessionState | None, new: SessionState) -> Purchase | None:
    """The purchase in a session's change, if its purchases rose."""
    if new.purchases <= (old.purchases if old else 0):
        return None
    known = set(old.discount_codes) if old else set()
    return Purchase(
        site_id=new.site_id,
        visitor_id=new.visitor_id,
        session_id=new.session_id,
        at=new.last_purchase_at or new.last_at,
        value=round(max(new.revenue - (old.revenue if old else 0.0), 0.0), 2),
        new_codes=tuple(code for code in new.discount_codes if code not in known),
    )


def purchases(changes: Iterable[ItemChange]) -> list[Purchase]:
    """The purchases in a batch's changes, in order: session items whose `purchases` rose."""
    found = []
    for change in changes:
        if not (change.is_write and change.is_session) or change.new is None:
            continue
        new_image, old_image = change.new, change.old
        if int(new_image.get("purchases") or 0) <= int((old_image or {}).get("purchases") or 0):
            continue
        purchase = purchase_of(_session(old_image) if old_image else None, _session(new_image))
        if purchase is not None:
            found.append(purchase)
    return found


def _session(image: Mapping[str, Any]) -> SessionState:
    # The duplicate check's digests are of no use here.
    return session_from_item({k: v for k, v in image.items() if k != "seen"})


def attribute(purchase: Purchase, chats: AttributionStore) -> list[Credit]:
    """Credits the chats a purchase is due to: the chat of each new discount code of this site, or,
    when no code names a chat, every chat of the visitor in the same session that started before
    the purchase. Each chat is credited once, ever."""
    credits: list[Credit] = []
    for code in purchase.new_codes:
        wanted = normalize_code(code)
        if wanted is None:
            continue
        discount = chats.discount(purchase.site_id, wanted)
        if discount is None:
            continue  # not one of ours: a code of the shop's own
        chat = chats.chat(purchase.site_id, discount.chat_id)
        if chat is None or any(c.chat_id == chat.chat_id for c in credits):
            continue
        credits.append(_credit(chats, chat, purchase, wanted))
    if credits:
        return credits
    in_session = [
        chat
        for chat in chats.chats_of_visitor(purchase.site_id, purchase.visitor_id)
        if chat.session_id == purchase.session_id and chat.created_at <= purchase.at
    ]
    return [_credit(chats, chat, purchase, None) for chat in sorted(in_session, key=lambda c: c.created_at)]


def normalize_code(code: str) -> str | None:
    """Codes are given in capitals (klantreis.conversations.discounts) and shops tend to report them
    as typed; one that cannot be a key of ours (a separator in it) is nobody's."""
    wanted = code.strip().upper()
    return wanted if wanted and "#" not in wanted else None


def _credit(chats: AttributionStore, chat: Chat, purchase: Purchase, code: str | None) -> Credit:
    if chat.converted_at is not None:
        credited = False  # as read: spares the write; the write's condition is what guarantees it
    else:
        credited = chats.mark_converted(chat, at=purchase.at, value=purchase.value, code=code)
    return Credit(
        chat_id=chat.chat_id, agent_id=chat.agent_id, value=purchase.value, code=code, credited=credited
    )
