"""Sites (one web shop each): profile, public site keys, and a short-lived in-memory directory."""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from typing import Annotated, Any, Literal, Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from klantreis import dynamo, keys
from klantreis.cache import TtlCache
from klantreis.errors import Conflict

SiteId = Annotated[str, StringConstraints(pattern=keys.ID_PATTERN)]
PageType = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]

PRODUCT_RELATED = "product_related"

ConsentMode = Literal["required", "implied"]
"""`required` (the EU default): a visitor's events count only after an explicit "granted";
`implied`: anything but an explicit "denied" counts."""
ConsentSignal = Literal["granted", "implied", "denied"]
Consent = bool | ConsentSignal | None
"""What the widget states in a batch or decide body: `true` is `granted`, `false` is `denied`;
absent, the sender vouches for consent."""


def _known_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r}") from exc
    return value


TimeZoneName = Annotated[str, AfterValidator(_known_timezone)]
"""An IANA time zone name (`Europe/Amsterdam`)."""


class PageTypeRule(BaseModel):
    """URL-path glob (`/account/*`) to a page type; the first matching rule wins."""

    model_config = ConfigDict(frozen=True)

    pattern: str = Field(min_length=1, max_length=200)
    page_type: PageType


def _rules(page_type: str, *patterns: str) -> list[PageTypeRule]:
    return [PageTypeRule(pattern=p, page_type=page_type) for p in patterns]


# Page types of the UCI online-shoppers data (administrative, informational, product related),
# with the usual Dutch and English shop paths; everything unmatched is product related.
DEFAULT_PAGE_TYPES: list[PageTypeRule] = [
    *_rules(
        "administrative",
        "/account*", "/login*", "/register*", "/cart*", "/checkout*", "/mijn-account*",
        "/inloggen*", "/winkelwagen*", "/afrekenen*", "/bestellen*",
    ),
    *_rules(
        "informational",
        "/about*", "/contact*", "/faq*", "/help*", "/shipping*", "/returns*", "/privacy*",
        "/over-ons*", "/klantenservice*", "/verzending*", "/retourneren*", "/blog*",
    ),
]  # fmt: skip


class Site(BaseModel):
    """One web shop."""

    model_config = ConfigDict(frozen=True)

    site_id: SiteId
    name: str = Field(min_length=1, max_length=200)
    timezone: TimeZoneName = "Europe/Amsterdam"
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")
    allowed_origins: list[str] = Field(default_factory=list, max_length=50)
    page_types: list[PageTypeRule] = Field(default_factory=lambda: list(DEFAULT_PAGE_TYPES), max_length=200)
    journey_retention_days: int | None = Field(None, ge=1, le=3650)
    consent_mode: ConsentMode = "required"

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        return [normalize_origin(o) for o in origins]

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_day(self, moment: datetime) -> str:
        """The calendar day of `moment` in the site's time zone (reports are per local day)."""
        return moment.astimezone(self.zone).date().isoformat()

    def allows_origin(self, origin: str | None) -> bool:
        """Requests without an Origin (server-side senders, replays) are allowed; browsers send one."""
        if origin is None:
            return True
        try:
            return normalize_origin(origin) in self.allowed_origins
        except ValueError:
            return False

    def has_consent(self, signal: Consent) -> bool:
        """Whether a request stating `signal` may be stored and weighed. Without a statement the
        sender vouches (the contract's header-form callers and server-side integrations); the
        widget always states one."""
        if signal is None or signal is True or signal == "granted":
            return True
        return signal == "implied" and self.consent_mode == "implied"

    def page_type(self, url: str | None) -> str:
        if not url:
            return PRODUCT_RELATED
        path = urlsplit(url).path or "/"
        for rule in self.page_types:
            if fnmatch.fnmatchcase(path, rule.pattern):
                return rule.page_type
        return PRODUCT_RELATED


def normalize_origin(origin: str) -> str:
    """`scheme://host[:port]`, lower-cased, without a trailing slash or default port."""
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise ValueError(f"not an origin: {origin!r}")
    default_port = {"http": 80, "https": 443}[parts.scheme]
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


class SiteStore(Protocol):
    def get(self, site_id: str) -> Site | None: ...

    def site_id_for_key(self, site_key: str) -> str | None: ...

    def put(self, site: Site) -> None: ...

    def add_key(self, site_id: str, site_key: str) -> None: ...

    def revoke_key(self, site_key: str) -> bool: ...


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
        items = dynamo.query_all(
            self._db,
            TableName=self._table,
            IndexName="GSI1",
            KeyConditionExpression="GSI1PK = :pk AND begins_with(GSI1SK, :prefix)",
            ExpressionAttributeValues={
                ":pk": dynamo.to_value(keys.site_pk(site_id)),
                ":prefix": dynamo.to_value("KEY#"),
            },
        )
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


class SiteDirectory:
    """Caches key→site and id→site lookups for a short while: every widget request needs the one,
    every agent request the other, and a site's profile changes rarely (a revoked key or new
    origin takes effect within `ttl_seconds`)."""

    def __init__(
        self,
        store: SiteStore,
        ttl_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 1024,
    ) -> None:
        self._store = store
        self._by_key: TtlCache[Site | None] = TtlCache(ttl_seconds, max_entries=max_entries, clock=clock)
        self._by_id: TtlCache[Site | None] = TtlCache(ttl_seconds, max_entries=max_entries, clock=clock)

    def site_for_key(self, site_key: str) -> Site | None:
        return self._by_key.get(site_key, self._lookup)

    def site(self, site_id: str) -> Site | None:
        """The site of an agent's or operator's token (their claims name it)."""
        return self._by_id.get(site_id, self._store.get)

    def _lookup(self, site_key: str) -> Site | None:
        site_id = self._store.site_id_for_key(site_key)
        return self._store.get(site_id) if site_id else None
