"""Journey tracking's DynamoDB adapters (the ports: klantreis.journey.ports): sessions and their
journey chunks under `SITE#{site}#V#{visitor}`, a visitor's erasure, and the reads of a site's page
counters (`SITE#{site}#PAGES`, their form in klantreis.journey.page_stats)."""

from __future__ import annotations

from typing import Any

from klantreis import dynamo, keys
from klantreis.journey.page_stats import (
    DELTA_PREFIX,
    FIELDS,
    PAGES_SK_SNAPSHOT,
    PageCounts,
    SitePages,
    decode_pages,
    merge_pages,
    pages_pk,
    totals_of,
)
from klantreis.journey.ports import JourneyChunk
from klantreis.journey.session import JourneyEntry, SessionState
from klantreis.journey.session_item import loaded_entries, session_from_item, session_to_item, stored_entries


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
                            "entries": stored_entries(chunk.entries, state.products),
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
                    entries.extend(loaded_entries(plain["entries"], state.products))
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


class DynamoVisitorEraser:
    """Erasure of everything held about one visitor (GDPR art. 17).

    All of a visitor's items share the partition SITE#{site}#V#{visitor}; items about the visitor
    kept elsewhere (offers, chats, queue entries, discount codes) carry GSI1PK with that same value.
    A chat's partition also holds its messages, routing decisions and survey, which carry no GSI1PK:
    they go with the chat item, the whole partition at once. Aggregate counters (daily counters,
    agent performance, routing statistics) hold no personal data and stay as they are.
    """

    def __init__(self, dynamodb: Any, table: str, index: str = "GSI1") -> None:
        self._db = dynamodb
        self._table = table
        self._index = index

    def erase(self, site_id: str, visitor_id: str) -> int:
        partition = keys.visitor_pk(site_id, visitor_id)
        values = {":pk": dynamo.to_value(partition)}
        with dynamo.translated():
            in_partition = dynamo.query_all(
                self._db,
                TableName=self._table,
                KeyConditionExpression="PK = :pk",
                ExpressionAttributeValues=values,
                ProjectionExpression="PK, SK",
                ConsistentRead=True,
            )
            elsewhere = dynamo.query_all(
                self._db,
                TableName=self._table,
                IndexName=self._index,
                KeyConditionExpression="GSI1PK = :pk",
                ExpressionAttributeValues=values,
                ProjectionExpression="PK, SK",
            )
            found = {(item["PK"]["S"], item["SK"]["S"]) for item in [*in_partition, *elsewhere]}
            chats = sorted({pk for pk, sk in found if sk == keys.CHAT and _is_chat(pk, site_id)})
            for chat_partition in chats:
                found |= self._partition(chat_partition)
            # A chat item goes last: its messages, routing decisions and survey are found only
            # through it, so an erasure cut short finds them again when it is repeated.
            ordered = sorted(found, key=lambda key: (key[1] == keys.CHAT and key[0] in chats, key))
            return dynamo.delete_keys(
                self._db, self._table, [dynamo.to_item({"PK": pk, "SK": sk}) for pk, sk in ordered]
            )

    def _partition(self, partition: str) -> set[tuple[str, str]]:
        items = dynamo.query_all(
            self._db,
            TableName=self._table,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": dynamo.to_value(partition)},
            ProjectionExpression="PK, SK",
            ConsistentRead=True,
        )
        return {(item["PK"]["S"], item["SK"]["S"]) for item in items}


def _is_chat(partition: str, site_id: str) -> bool:
    """A chat partition of this site (and nothing else that happens to sort as CHAT)."""
    try:
        return keys.parse_chat_pk(partition)[0] == site_id
    except ValueError:
        return False


# --------------------------------------------------------------------------- page counters
def read_snapshot(dynamodb: Any, table: str, site_id: str, *, consistent: bool) -> dict[str, Any]:
    item = dynamodb.get_item(
        TableName=table,
        Key=dynamo.to_item({"PK": pages_pk(site_id), "SK": PAGES_SK_SNAPSHOT}),
        ConsistentRead=consistent,
    ).get("Item")
    return dynamo.from_item(item) if item else {}


def read_deltas(
    dynamodb: Any, table: str, site_id: str, *, after: int, up_to: int | None = None, consistent: bool
) -> list[dict[str, Any]]:
    """The delta items written after `after` (epoch ms), up to `up_to` if given."""
    upper = f"{DELTA_PREFIX}{up_to:013d}$" if up_to is not None else f"{DELTA_PREFIX}~"
    items = dynamo.query_all(
        dynamodb,
        TableName=table,
        KeyConditionExpression="PK = :pk AND SK BETWEEN :low AND :high",
        ExpressionAttributeValues={
            ":pk": dynamo.to_value(pages_pk(site_id)),
            ":low": dynamo.to_value(f"{DELTA_PREFIX}{after + 1:013d}"),
            ":high": dynamo.to_value(upper),
        },
        ConsistentRead=consistent,
    )
    return [dynamo.from_item(item) for item in items]


def load_counts(dynamodb: Any, table: str, site_id: str) -> tuple[SitePages, PageCounts]:
    """A site's per-page counters and totals as of now: the snapshot plus the deltas after it."""
    snapshot = read_snapshot(dynamodb, table, site_id, consistent=False)
    pages = decode_pages(snapshot.get("pages"))
    totals = [float(v) for v in snapshot.get("totals", [0.0] * len(FIELDS))]
    watermark = int(snapshot.get("watermark", 0))
    for item in read_deltas(dynamodb, table, site_id, after=watermark, consistent=False):
        change = decode_pages(item.get("pages"))
        merge_pages(pages, change)
        totals = [a + b for a, b in zip(totals, totals_of(change), strict=True)]
    return pages, totals
