"""Sites (one web shop each): the profile (models), the storage port (ports) and its DynamoDB
adapter (dynamo_store), and a short-lived in-memory directory (directory). The profile's names, the
port and the directory are importable from here as they were when this was one module."""

from klantreis.sites.directory import SiteDirectory
from klantreis.sites.models import (
    PRODUCT_RELATED,
    Consent,
    ConsentMode,
    ConsentSignal,
    PageType,
    PageTypeRule,
    Site,
    SiteId,
    TimeZoneName,
    normalize_origin,
)
from klantreis.sites.ports import SiteStore

__all__ = [
    "PRODUCT_RELATED",
    "Consent",
    "ConsentMode",
    "ConsentSignal",
    "PageType",
    "PageTypeRule",
    "Site",
    "SiteDirectory",
    "SiteId",
    "SiteStore",
    "TimeZoneName",
    "normalize_origin",
]
