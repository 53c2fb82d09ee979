"""Engagement's model stores in DynamoDB (the ports: klantreis.engagement.ports): a site's gzipped
documents (its propensity and uplift models) in the site's partition, and the page statistics the
features read. The decisions, offers and the engagement state: klantreis.engagement.records_dynamo_store."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from klantreis import keys
from klantreis.cache import TtlCache
from klantreis.engagement.documents_dynamo_store import DocumentTooBig, SiteDocuments
from klantreis.engagement.features import SitePageStats
from klantreis.engagement.model import ModelError, PropensityModel, parse_model
from klantreis.engagement.pagestats import READER_MAX_PAGES, READER_MAX_SITES, site_page_stats
from klantreis.engagement.uplift import UpliftError, UpliftModel, parse_uplift_model
from klantreis.errors import Throttled
from klantreis.journey.dynamo_store import load_counts


class DynamoSiteModelStore:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self._documents = SiteDocuments(dynamodb, table, keys.SITE_MODEL)

    def get(self, site_id: str) -> PropensityModel | None:
        text = self._documents.get(site_id)
        return None if text is None else parse_model(text, source=f"model of site {site_id}")

    def put(self, site_id: str, model_json: bytes) -> PropensityModel:
        """Validates the model and stores it; ModelError if it is not a valid model or too big."""
        model = parse_model(model_json)
        try:
            self._documents.put(site_id, model_json)
        except DocumentTooBig as exc:
            raise ModelError(f"the model is {exc}") from None
        return model

    def delete(self, site_id: str) -> bool:
        return self._documents.delete(site_id)


class DynamoPageStatsSource:
    """klantreis.engagement.features.PageStatsSource from the table: per site, the snapshot and
    the deltas after it (two requests), kept in memory for `ttl_seconds`. On a read error a stale
    copy is served if there is one."""

    def __init__(
        self,
        dynamodb: Any,
        table: str,
        ttl_seconds: float = 300.0,
        *,
        max_pages: int = READER_MAX_PAGES,
        max_sites: int = READER_MAX_SITES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = dynamodb
        self._table = table
        self._max_pages = max_pages
        self._cache: TtlCache[SitePageStats] = TtlCache(ttl_seconds, max_entries=max_sites, clock=clock)

    def for_site(self, site_id: str) -> SitePageStats:
        return self._cache.get(site_id, self.load, stale_on=(ClientError, Throttled))

    def load(self, site_id: str) -> SitePageStats:
        pages, totals = load_counts(self._db, self._table, site_id)
        return site_page_stats(pages, totals, self._max_pages)


class DynamoUpliftModelStore:
    """SITE#{site}/UPLIFT_MODEL: the model as gzipped JSON, its version beside it."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._documents = SiteDocuments(dynamodb, table, keys.SITE_UPLIFT_MODEL)

    def get(self, site_id: str) -> UpliftModel | None:
        text = self._documents.get(site_id)
        return None if text is None else parse_uplift_model(text, source=f"uplift model of site {site_id}")

    def put(self, site_id: str, model: UpliftModel) -> None:
        try:
            self._documents.put(site_id, model.model_dump_json().encode(), model_version=model.model_version)
        except DocumentTooBig as exc:
            raise UpliftError(f"the uplift model is {exc}") from None

    def delete(self, site_id: str) -> bool:
        return self._documents.delete(site_id)
