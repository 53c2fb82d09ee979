"""One gzipped JSON document per site in the site's partition (SITE#{site}/{sort key}): where a
site's own propensity model and its uplift model are kept. Apart from engagement/dynamo_store.py,
which imports the decision records, because the uplift model's store (engagement/uplift.py) builds
on it and the records import the uplift policy: one module would make an import cycle."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from typing import Any

from klantreis import dynamo, keys

MAX_STORED_BYTES = 350_000
"""A DynamoDB item holds 400 KB."""


class DocumentTooBig(ValueError):
    def __init__(self, size: int) -> None:
        super().__init__(f"{size} bytes gzipped; at most {MAX_STORED_BYTES} fit")
        self.size = size


class SiteDocuments:
    def __init__(self, dynamodb: Any, table: str, sort_key: str) -> None:
        self._db = dynamodb
        self._table = table
        self._sort_key = sort_key

    def _key(self, site_id: str) -> dict[str, Any]:
        return dynamo.to_item({"PK": keys.site_pk(site_id), "SK": self._sort_key})

    def get(self, site_id: str) -> bytes | None:
        """The document's text, None when the site has none."""
        with dynamo.translated():
            item = self._db.get_item(TableName=self._table, Key=self._key(site_id)).get("Item")
        return gzip.decompress(dynamo.from_item(item)["model"]) if item else None

    def put(self, site_id: str, text: bytes, **attributes: str) -> None:
        """Stores the text gzipped (DocumentTooBig when it does not fit), with `attributes` beside it."""
        packed = gzip.compress(text, mtime=0)
        if len(packed) > MAX_STORED_BYTES:
            raise DocumentTooBig(len(packed))
        item = {
            **attributes,
            "PK": keys.site_pk(site_id),
            "SK": self._sort_key,
            "model": packed,
            "stored_at": datetime.now(UTC).isoformat(),
        }
        with dynamo.translated():
            self._db.put_item(TableName=self._table, Item=dynamo.to_item(item))

    def delete(self, site_id: str) -> bool:
        answer = self._db.delete_item(TableName=self._table, Key=self._key(site_id), ReturnValues="ALL_OLD")
        return bool(answer.get("Attributes"))
