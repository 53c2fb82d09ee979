"""Where session state and the journey live: the port, and its DynamoDB adapter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from klantreis import dynamo, keys
from klantreis.journey.session import JourneyEntry, ProductInterest, SessionState


@dataclass(frozen=True)
class JourneyChunk:
    """Journey entries moved out of the session item, under their own sort key."""

    sort_key: str
    entries: list[JourneyEntry]
    expires_at: int


class SessionStore(Protocol):
    def get(
        self, site_id: str, visitor_id: str, session_id: str, *, consistent: bool = True
    ) -> SessionState | None: ...

    def visitor_has_sessions(self, site_id: str, visitor_id: str) -> bool: ...

    def save(self, state: SessionState, expected_version: int | None, chunk: JourneyChunk | None) -> None:
        """Writes `state` if the stored version is still `expected_version` (None: not stored
        yet); raises ConcurrentUpdate otherwise. `chunk` is written first."""
        ...

    def journey(self, state: SessionState) -> list[JourneyEntry]: ...

    def sessions(self, site_id: str, visitor_id: str) -> list[SessionState]: ...


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


def _stored_entries(
    entries: list[JourneyEntry], products: dict[str, ProductInterest]
) -> list[dict[str, Any]]:
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


def _loaded_entries(stored: list[dict[str, Any]], products: dict[str, ProductInterest]) -> list[JourneyEntry]:
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
        journey=_stored_entries(state.journey, state.products) or None,
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
    state.journey = _loaded_entries(plain.get("journey", []), state.products)
    return state


class DynamoSessionStore:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def get(
        self, site_id: str, visitor_id: str, session_id: str, *, consistent: bool = True
    ) -> SessionState | None:
        answer = self._db.get_item(
            TableName=self._table,
            Key=dynamo.to_item(
                {"PK": keys.visitor_pk(site_id, visitor_id), "SK": keys.session_sk(session_id)}
            ),
            ConsistentRead=consistent,
        )
        item = answer.get("Item")
        return session_from_item(dynamo.from_item(item)) if item else None

    def visitor_has_sessions(self, site_id: str, visitor_id: str) -> bool:
        sessions = dynamo.query_prefix(
            self._db,
            self._table,
            keys.visitor_pk(site_id, visitor_id),
            keys.SESSION_PREFIX,
            ProjectionExpression="PK",
            Limit=1,
        )
        return next(sessions, None) is not None

    def save(self, state: SessionState, expected_version: int | None, chunk: JourneyChunk | None) -> None:
        with dynamo.translated():
            if chunk is not None:
                self._db.put_item(
                    TableName=self._table,
                    Item=dynamo.to_item(
                        {
                            "PK": keys.visitor_pk(state.site_id, state.visitor_id),
                            "SK": chunk.sort_key,
                            "entries": _stored_entries(chunk.entries, state.products),
                            "expires_at": chunk.expires_at,
                        }
                    ),
                )
            condition: dict[str, Any]
            if expected_version is None:
                condition = {"ConditionExpression": "attribute_not_exists(PK)"}
            else:
                condition = {
                    "ConditionExpression": "version = :expected",
                    "ExpressionAttributeValues": {":expected": dynamo.to_value(expected_version)},
                }
            self._db.put_item(TableName=self._table, Item=dynamo.to_item(session_to_item(state)), **condition)

    def journey(self, state: SessionState) -> list[JourneyEntry]:
        entries: list[JourneyEntry] = []
        if state.journey_chunks:
            committed = set(state.journey_chunks)
            items = dynamo.query_prefix(
                self._db,
                self._table,
                keys.visitor_pk(state.site_id, state.visitor_id),
                keys.journey_prefix(state.session_id),
            )
            for item in items:
                plain = dynamo.from_item(item)
                # A chunk whose session write lost a race is not part of the journey.
                if plain["SK"] in committed:
                    entries.extend(_loaded_entries(plain["entries"], state.products))
        entries.extend(state.journey)
        return sorted(entries, key=lambda entry: entry.at)

    def sessions(self, site_id: str, visitor_id: str) -> list[SessionState]:
        items = dynamo.query_prefix(
            self._db,
            self._table,
            keys.visitor_pk(site_id, visitor_id),
            keys.SESSION_PREFIX,
        )
        return [session_from_item(dynamo.from_item(item)) for item in items]
