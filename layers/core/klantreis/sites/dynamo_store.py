"""The site store's DynamoDB adapter (the port: klantreis.sites.ports)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from klantreis import dynamo, keys
from klantreis.errors import Conflict
from klantreis.sites.models import Site


class DynamoSiteStore:
    """Sites in the single table: profile under SITE#{id}/PROFILE, keys under SITEKEY#{sha256}."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def get(self, site_id: str) -> Site | None:
        answer = self._db.get_item(
            TableName=self._table, Key=dynamo.to_item({"PK": keys.site_pk(site_id), "SK": keys.PROFILE})
        )
        item = answer.get("Item")
        return Site.model_validate(dynamo.from_item(item)["site"]) if item else None

    def site_id_for_key(self, site_key: str) -> str | None:
        answer = self._db.get_item(
            TableName=self._table,
            Key=dynamo.to_item({"PK": keys.site_key_pk(site_key), "SK": "SITEKEY"}),
        )
        item = answer.get("Item")
        return str(dynamo.from_item(item)["site_id"]) if item else None

    def put(self, site: Site) -> None:
        self._db.put_item(TableName=self._table, Item=self._item(site))

    def create(self, site: Site) -> None:
        """Stores a new site; Conflict if the site id is taken."""
        with dynamo.translated(on_conflict=lambda: Conflict(f"site {site.site_id!r} exists already")):
            self._db.put_item(
                TableName=self._table, Item=self._item(site), ConditionExpression="attribute_not_exists(PK)"
            )

    def _item(self, site: Site) -> dict[str, Any]:
        return dynamo.to_item(
            {
                "PK": keys.site_pk(site.site_id),
                "SK": keys.PROFILE,
                "site": site.model_dump(mode="json"),
                "updated_at": datetime.now(UTC).isoformat(),
                # Listed through GSI1 for scheduled jobs that visit every site.
                "GSI1PK": keys.SITES_INDEX_PK,
                "GSI1SK": site.site_id,
            }
        )

    def site_ids(self) -> list[str]:
        """Every site (scheduled jobs visit them one by one)."""
        items = dynamo.query_all(
            self._db,
            TableName=self._table,
            IndexName="GSI1",
            KeyConditionExpression="GSI1PK = :pk",
            ExpressionAttributeValues={":pk": dynamo.to_value(keys.SITES_INDEX_PK)},
            ProjectionExpression="GSI1SK",
        )
        return sorted(str(item["GSI1SK"]["S"]) for item in items)

    def keys_of(self, site_id: str) -> list[dict[str, str]]:
        """The site's keys by hint and creation time (keys themselves are stored hashed)."""
        items = dynamo.query_prefix(self._db, self._table, keys.site_pk(site_id), "KEY#", index="GSI1")
        return sorted(
            (
                {"key_hint": p["key_hint"], "created_at": p["created_at"]}
                for p in map(dynamo.from_item, items)
            ),
            key=lambda k: k["created_at"],
        )

    def add_key(self, site_id: str, site_key: str) -> None:
        if len(site_key) < 8:
            raise ValueError("a site key has at least 8 characters")
        self._db.put_item(
            TableName=self._table,
            Item=dynamo.to_item(
                {
                    "PK": keys.site_key_pk(site_key),
                    "SK": "SITEKEY",
                    "site_id": site_id,
                    "key_hint": site_key[:4],
                    "created_at": datetime.now(UTC).isoformat(),
                    # Listed per site through GSI1 (operators rotate keys by hint).
                    "GSI1PK": keys.site_pk(site_id),
                    "GSI1SK": f"KEY#{keys.hash_site_key(site_key)}",
                }
            ),
        )

    def revoke_key(self, site_key: str) -> bool:
        answer = self._db.delete_item(
            TableName=self._table,
            Key=dynamo.to_item({"PK": keys.site_key_pk(site_key), "SK": "SITEKEY"}),
            ReturnValues="ALL_OLD",
        )
        return bool(answer.get("Attributes"))
