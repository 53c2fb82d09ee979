"""A site's engagement settings in the single table (klantreis.engagement.ports.EngagementSettingsStore):
apart from engagement's other adapters because the report function reads them too and needs none
of the decision's (cold start: it does not import the propensity model, the uplift model or the
session store)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from klantreis import dynamo, keys
from klantreis.engagement.config import EngagementConfig, OpeningHours

_Model = TypeVar("_Model", bound=BaseModel)


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
