"""A site's own purchase-propensity model (retrained on its sessions with `make train`), kept in
the table as gzipped JSON under SITE#{site}/MODEL; the shipped default model serves every site
that has none. Cached per Lambda instance, so a warm decision reads nothing for it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from klantreis import keys
from klantreis.cache import TtlCache
from klantreis.engagement.documents import DocumentTooBig, SiteDocuments
from klantreis.engagement.model import ModelError, PropensityModel, parse_model


class ModelSource(Protocol):
    def for_site(self, site_id: str) -> PropensityModel: ...


class SiteModelStore(Protocol):
    def get(self, site_id: str) -> PropensityModel | None: ...

    def put(self, site_id: str, model_json: bytes) -> PropensityModel: ...

    def delete(self, site_id: str) -> bool: ...


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
