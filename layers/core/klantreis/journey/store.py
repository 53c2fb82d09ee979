"""Where session state and the journey live: the port, and its DynamoDB adapter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from botocore.exceptions import ClientError

from klantreis import dynamo, keys
from klantreis.journey.session import JourneyEntry, SessionState


@dataclass(frozen=True)
class JourneyChunk:
    """Journey entries moved out of the session item, under their own sort key."""

    sort_key: str
    entries: list[JourneyEntry]
    expires_at: int


class SessionStore(Protocol):
    def get(self, site_id: str, visitor_id: str, session_id: str) -> SessionState | None: ...

    def visitor_has_sessions(self, site_id: str, visitor_id: str) -> bool: ...

    def save(self, state: SessionState, expected_version: int | None, chunk: JourneyChunk | None) -> None:
        """Writes `state` if the stored version is still `expected_version` (None: not stored
        yet); raises ConcurrentUpdate otherwise. `chunk` is written first."""
        ...

    def journey(self, state: SessionState) -> list[JourneyEntry]: ...

    def sessions(self, site_id: str, visitor_id: str) -> list[SessionState]: ...


def session_to_item(state: SessionState) -> dict[str, Any]:
    plain = state.model_dump(mode="json", exclude={"seen"}, exclude_none=True)
    plain.update(
        PK=keys.visitor_pk(state.site_id, state.visitor_id),
        SK=keys.session_sk(state.session_id),
        seen=state.seen or None,
    )
    return plain


def session_from_item(plain: dict[str, Any]) -> SessionState:
    return SessionState.model_validate({k: v for k, v in plain.items() if k not in ("PK", "SK")})


class DynamoSessionStore:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def get(self, site_id: str, visitor_id: str, session_id: str) -> SessionState | None:
        answer = self._db.get_item(
            TableName=self._table,
            Key=dynamo.to_item(
                {"PK": keys.visitor_pk(site_id, visitor_id), "SK": keys.session_sk(session_id)}
            ),
            ConsistentRead=True,
        )
        item = answer.get("Item")
        return session_from_item(dynamo.from_item(item)) if item else None

    def visitor_has_sessions(self, site_id: str, visitor_id: str) -> bool:
        answer = self._db.query(
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues={
                ":pk": dynamo.to_value(keys.visitor_pk(site_id, visitor_id)),
                ":prefix": dynamo.to_value(keys.SESSION_PREFIX),
            },
            ProjectionExpression="PK",
            Limit=1,
        )
        return bool(answer.get("Items"))

    def save(self, state: SessionState, expected_version: int | None, chunk: JourneyChunk | None) -> None:
        try:
            if chunk is not None:
                self._db.put_item(
                    TableName=self._table,
                    Item=dynamo.to_item(
                        {
                            "PK": keys.visitor_pk(state.site_id, state.visitor_id),
                            "SK": chunk.sort_key,
                            "entries": [e.model_dump(mode="json", exclude_none=True) for e in chunk.entries],
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
        except ClientError as exc:
            raise dynamo.translate(exc) from exc

    def journey(self, state: SessionState) -> list[JourneyEntry]:
        entries: list[JourneyEntry] = []
        if state.journey_chunks:
            committed = set(state.journey_chunks)
            items = dynamo.query_all(
                self._db,
                TableName=self._table,
                KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
                ExpressionAttributeValues={
                    ":pk": dynamo.to_value(keys.visitor_pk(state.site_id, state.visitor_id)),
                    ":prefix": dynamo.to_value(keys.journey_prefix(state.session_id)),
                },
            )
            for item in items:
                plain = dynamo.from_item(item)
                # A chunk whose session write lost a race is not part of the journey.
                if plain["SK"] in committed:
                    entries.extend(JourneyEntry.model_validate(e) for e in plain["entries"])
        entries.extend(state.journey)
        return sorted(entries, key=lambda entry: entry.at)

    def sessions(self, site_id: str, visitor_id: str) -> list[SessionState]:
        items = dynamo.query_all(
            self._db,
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues={
                ":pk": dynamo.to_value(keys.visitor_pk(site_id, visitor_id)),
                ":prefix": dynamo.to_value(keys.SESSION_PREFIX),
            },
        )
        return [session_from_item(dynamo.from_item(item)) for item in items]
