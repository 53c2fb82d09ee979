"""A site's own purchase-propensity model (retrained on its sessions with `make train`), kept in
the table as gzipped JSON under SITE#{site}/MODEL; the shipped default model serves every site
that has none. Cached per Lambda instance, so a warm decision reads nothing for it."""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from botocore.exceptions import ClientError

from klantreis import dynamo, keys
from klantreis.cache import TtlCache
from klantreis.engagement.model import ModelError, PropensityModel, parse_model

MAX_STORED_BYTES = 350_000
"""A DynamoDB item holds 400 KB; the shipped model is about 45 KB gzipped."""


class ModelSource(Protocol):
    def for_site(self, site_id: str) -> PropensityModel: ...


class SiteModelStore(Protocol):
    def get(self, site_id: str) -> PropensityModel | None: ...

    def put(self, site_id: str, model_json: bytes) -> PropensityModel: ...

    def delete(self, site_id: str) -> bool: ...


class DynamoSiteModelStore:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def _key(self, site_id: str) -> dict[str, Any]:
        return dynamo.to_item({"PK": keys.site_pk(site_id), "SK": keys.SITE_MODEL})

    def get(self, site_id: str) -> PropensityModel | None:
        try:
            item = self._db.get_item(TableName=self._table, Key=self._key(site_id)).get("Item")
        except ClientError as exc:
            raise dynamo.translate(exc) from exc
        if not item:
            return None
        return parse_model(
            gzip.decompress(dynamo.from_item(item)["model"]), source=f"model of site {site_id}"
        )

    def put(self, site_id: str, model_json: bytes) -> PropensityModel:
        """Validates the model and stores it; ModelError if it is not a valid model or too big."""
        model = parse_model(model_json)
        packed = gzip.compress(model_json, mtime=0)
        if len(packed) > MAX_STORED_BYTES:
            raise ModelError(f"the model is {len(packed)} bytes gzipped; at most {MAX_STORED_BYTES} fit")
        self._db.put_item(
            TableName=self._table,
            Item=dynamo.to_item(
                {
                    "PK": keys.site_pk(site_id),
                    "SK": keys.SITE_MODEL,
                    "model": packed,
                    "stored_at": datetime.now(UTC).isoformat(),
                }
            ),
        )
        return model

    def delete(self, site_id: str) -> bool:
        answer = self._db.delete_item(TableName=self._table, Key=self._key(site_id), ReturnValues="ALL_OLD")
        return bool(answer.get("Attributes"))


class SiteModels:
    """ModelSource: the site's own model if it has one, else `default`; both cached for a while
    (a new model reaches running functions within `ttl_seconds`)."""

    def __init__(
        self,
        store: SiteModelStore,
        default: PropensityModel,
        ttl_seconds: float = 300.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._default = default
        self._cached: TtlCache[PropensityModel | None] = TtlCache(ttl_seconds, clock=clock)

    def for_site(self, site_id: str) -> PropensityModel:
        return self._cached.get(site_id, self._store.get) or self._default
