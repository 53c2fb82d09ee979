"""Where a site's engagement settings (rules, holdout, caps; opening hours) are kept: the port,
its DynamoDB adapter, and the short-lived cache `decide` reads them through."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

from klantreis import dynamo, keys
from klantreis.cache import TtlCache
from klantreis.engagement.config import EngagementConfig, OpeningHours
from klantreis.sites import Site

_Model = TypeVar("_Model", bound=BaseModel)


class EngagementSettingsStore(Protocol):
    def get_config(self, site_id: str) -> EngagementConfig | None: ...

    def put_config(self, site_id: str, config: EngagementConfig) -> None: ...

    def get_hours(self, site_id: str) -> OpeningHours | None: ...

    def put_hours(self, site_id: str, hours: OpeningHours) -> None: ...


class DynamoEngagementSettingsStore:
    """Both items in the site's partition: SITE#{site}/ENGAGEMENT#CONFIG and .../ENGAGEMENT#HOURS,
    the settings as JSON-shaped maps, validated again when read."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def get_config(self, site_id: str) -> EngagementConfig | None:
        return self._get(site_id, keys.ENGAGEMENT_CONFIG, "config", EngagementConfig)

    def put_config(self, site_id: str, config: EngagementConfig) -> None:
        self._put(site_id, keys.ENGAGEMENT_CONFIG, "config", config)

    def get_hours(self, site_id: str) -> OpeningHours | None:
        return self._get(site_id, keys.ENGAGEMENT_HOURS, "hours", OpeningHours)

    def put_hours(self, site_id: str, hours: OpeningHours) -> None:
        self._put(site_id, keys.ENGAGEMENT_HOURS, "hours", hours)

    def _get(self, site_id: str, sort_key: str, attribute: str, model: type[_Model]) -> _Model | None:
        # Consistent: an operator reads back what they just wrote; `decide` reads through the cache.
        with dynamo.translated():
            answer = self._db.get_item(
                TableName=self._table,
                Key=dynamo.to_item({"PK": keys.site_pk(site_id), "SK": sort_key}),
                ConsistentRead=True,
            )
        item = answer.get("Item")
        return model.model_validate(dynamo.from_item(item)[attribute]) if item else None

    def _put(self, site_id: str, sort_key: str, attribute: str, value: BaseModel) -> None:
        with dynamo.translated():
            self._db.put_item(
                TableName=self._table,
                Item=dynamo.to_item(
                    {
                        "PK": keys.site_pk(site_id),
                        "SK": sort_key,
                        attribute: value.model_dump(mode="json"),
                        "updated_at": datetime.now(UTC).isoformat(),
                    }
                ),
            )


class EngagementSettings:
    """A site's settings as `decide` needs them on every request, cached for `ttl_seconds` per
    site (a change reaches other Lambda instances within that time). A site without stored
    settings gets the web-shop defaults: `EngagementConfig.webshop_default()` and
    `OpeningHours.webshop_default` in the site's time zone."""

    def __init__(
        self,
        store: EngagementSettingsStore,
        ttl_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 1024,
    ) -> None:
        self._store = store
        self._configs: TtlCache[EngagementConfig | None] = TtlCache(
            ttl_seconds, max_entries=max_entries, clock=clock
        )
        self._hours: TtlCache[OpeningHours | None] = TtlCache(
            ttl_seconds, max_entries=max_entries, clock=clock
        )

    def config(self, site_id: str) -> EngagementConfig:
        stored = self._configs.get(site_id, self._store.get_config)
        return stored if stored is not None else EngagementConfig.webshop_default()

    def hours(self, site: Site) -> OpeningHours:
        stored = self._hours.get(site.site_id, self._store.get_hours)
        return stored if stored is not None else OpeningHours.webshop_default(site.timezone)

    def forget(self, site_id: str) -> None:
        """Drops the site's cached settings (after this instance changed them)."""
        self._configs.forget(site_id)
        self._hours.forget(site_id)
