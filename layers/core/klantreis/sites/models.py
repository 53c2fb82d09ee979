"""A site (one web shop): its profile and the types it is made of."""

from __future__ import annotations

import fnmatch
from datetime import datetime
from functools import cached_property
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from klantreis import keys

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
