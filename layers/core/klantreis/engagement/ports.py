"""What engagement needs of storage: a site's settings, its own propensity model, and what
decisions leave behind (the values: klantreis.engagement.records and .config). The DynamoDB adapters
are klantreis.engagement.dynamo_store, .records_dynamo_store and .settings_dynamo_store; the test fakes
tests/fakes/engagement.py."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from klantreis.engagement.config import EngagementConfig, OpeningHours

if TYPE_CHECKING:  # only the annotations name them: a function that reads settings loads no model
    from klantreis.engagement.model import PropensityModel
    from klantreis.engagement.records import Decision, EngagementState, Offer, OfferResponse, Snapshot
    from klantreis.engagement.uplift import UpliftModel


class EngagementSettingsStore(Protocol):
    def get_config(self, site_id: str) -> EngagementConfig | None: ...

    def put_config(self, site_id: str, config: EngagementConfig) -> None: ...

    def get_hours(self, site_id: str) -> OpeningHours | None: ...

    def put_hours(self, site_id: str, hours: OpeningHours) -> None: ...


class ModelSource(Protocol):
    def for_site(self, site_id: str) -> PropensityModel: ...


class SiteModelStore(Protocol):
    def get(self, site_id: str) -> PropensityModel | None: ...

    def put(self, site_id: str, model_json: bytes) -> PropensityModel: ...

    def delete(self, site_id: str) -> bool: ...


class EngagementRecords(Protocol):
    def snapshot(
        self, site_id: str, visitor_id: str, session_id: str, *, consistent: bool = False
    ) -> Snapshot: ...

    def record(self, decision: Decision, offer: Offer | None, state: EngagementState | None) -> None:
        """Writes the decision, and the offer and the new state (atomically) when given. The
        state is written only if the stored version is still `state.version - 1` (or none is
        stored when that is 0); ConcurrentUpdate otherwise."""
        ...

    def offer(self, site_id: str, offer_id: str) -> Offer | None: ...

    def respond(self, offer: Offer, response: OfferResponse, at: datetime) -> None:
        """Stores the response if the offer has none yet (ConcurrentUpdate otherwise); a
        rejection also marks the visitor's state (the cooldown)."""
        ...


class UpliftSource(Protocol):
    """The site's uplift model, or None: the rules and scores decide."""

    def for_site(self, site_id: str) -> UpliftModel | None: ...


class UpliftModelStore(Protocol):
    def get(self, site_id: str) -> UpliftModel | None: ...

    def put(self, site_id: str, model: UpliftModel) -> None: ...

    def delete(self, site_id: str) -> bool: ...
