"""The stored form of a session item (pure: no client). The DynamoDB adapter
(klantreis.journey.dynamo_store) writes and reads it; the stream wing decodes session images with it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from klantreis import keys
from klantreis.journey.session import JourneyEntry, ProductInterest, SessionState

# Storage form of the session item. Every batch rewrites the whole item and a write costs one
# unit per started KB, so the stored form is compact: ids live in the keys only, defaults are
# left out, times are epoch milliseconds, products and cart lines are positional lists, and
# journey entries of a product leave out the category and value that `products` already holds.
# The domain model is unchanged.
_IDS = frozenset({"site_id", "visitor_id", "session_id"})
_PRODUCT_FIELDS = ("views", "category", "value")
_CART_FIELDS = ("quantity", "unit_value", "category")


def _epoch_ms(value: Any) -> Any:
    if isinstance(value, datetime):
        return round(value.timestamp() * 1000)
    if isinstance(value, dict):
        return {k: _epoch_ms(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_epoch_ms(v) for v in value]
    return value


def stored_entries(entries: list[JourneyEntry], products: dict[str, ProductInterest]) -> list[dict[str, Any]]:
    stored = []
    for entry in entries:
        plain = entry.model_dump(exclude_none=True)
        known = products.get(entry.product_id or "")
        if known is not None:
            if plain.get("category") == known.category:
                plain.pop("category", None)
            if plain.get("value") == known.value:
                plain.pop("value", None)
        stored.append(_epoch_ms(plain))
    return stored


def loaded_entries(stored: list[dict[str, Any]], products: dict[str, ProductInterest]) -> list[JourneyEntry]:
    entries = []
    for plain in stored:
        known = products.get(plain.get("product_id") or "")
        filled = {"category": known.category, "value": known.value, **plain} if known else plain
        entries.append(JourneyEntry.model_validate(filled))
    return entries


def _as_rows(mapping: dict[str, Any], fields: tuple[str, ...]) -> dict[str, list[Any]] | None:
    return {key: [getattr(value, f) for f in fields] for key, value in mapping.items()} or None


def _from_rows(rows: dict[str, list[Any]], fields: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    return {key: dict(zip(fields, row, strict=True)) for key, row in rows.items()}


def session_to_item(state: SessionState) -> dict[str, Any]:
    plain = _epoch_ms(
        state.model_dump(
            exclude={"seen", "journey", "products", "cart", *_IDS}, exclude_none=True, exclude_defaults=True
        )
    )
    plain.update(
        products=_as_rows(state.products, _PRODUCT_FIELDS),
        cart=_as_rows(state.cart, _CART_FIELDS),
        PK=keys.visitor_pk(state.site_id, state.visitor_id),
        SK=keys.session_sk(state.session_id),
        version=state.version,
        seen=state.seen or None,
        journey=stored_entries(state.journey, state.products) or None,
    )
    return dict(plain)


def session_from_item(plain: dict[str, Any]) -> SessionState:
    site_id, visitor_id = keys.parse_visitor_pk(plain["PK"])
    fields = {k: v for k, v in plain.items() if k not in ("PK", "SK", "journey", "products", "cart")}
    state = SessionState.model_validate(
        {
            **fields,
            "products": _from_rows(plain.get("products", {}), _PRODUCT_FIELDS),
            "cart": _from_rows(plain.get("cart", {}), _CART_FIELDS),
            "site_id": site_id,
            "visitor_id": visitor_id,
            "session_id": plain["SK"].removeprefix(keys.SESSION_PREFIX),
        }
    )
    state.journey = loaded_entries(plain.get("journey", []), state.products)
    return state
