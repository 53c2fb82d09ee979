"""Operator tool for sites: add a site, rotate its public keys, change its allowed origins.

    python infra/scripts/site.py --table klantreis-prod add --site-id schoenen-nl \\
        --name "Schoenen.nl" --timezone Europe/Amsterdam --origin https://www.schoenen.nl
    python infra/scripts/site.py add-key --site-id schoenen-nl        # rotation, step 1
    python infra/scripts/site.py revoke-key --key <old key>           # rotation, step 2
    python infra/scripts/site.py set-origins --site-id schoenen-nl --origin https://schoenen.nl
    python infra/scripts/site.py set-consent-mode --site-id schoenen-nl --mode implied
    python infra/scripts/site.py show --site-id schoenen-nl

The table comes from --table or TABLE_NAME; credentials and region from the usual AWS
configuration; AWS_ENDPOINT_URL_DYNAMODB points it at a local DynamoDB-compatible server.
Widgets pick up a key or origin change within SITE_CACHE_SECONDS (60 s by default).
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from klantreis.errors import Conflict
from klantreis.sites import PageTypeRule, Site
from klantreis.sites.dynamo_store import DynamoSiteStore

# The table's option and client are shared with the other operator scripts (siblings, not a package).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from operator_table import add_table_option, table_client

CONSENT_MODES = ["required", "implied"]
CONSENT_HELP = "required: nothing is stored before the visitor consents; implied: until they refuse"


def new_site_key() -> str:
    return f"sk_{secrets.token_urlsafe(24)}"


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="site.py", description=__doc__.split("\n\n")[0] if __doc__ else None)
    add_table_option(root)
    commands = root.add_subparsers(dest="command", required=True)

    add = commands.add_parser("add", help="create a site and its first key")
    add.add_argument("--site-id", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--timezone", default="Europe/Amsterdam")
    add.add_argument("--currency", default="EUR")
    add.add_argument("--origin", action="append", default=[], help="allowed origin (repeat)")
    add.add_argument("--page-types", type=Path, help="JSON file: [{pattern, page_type}, ...]")
    add.add_argument("--retention-days", type=int, help="journey retention (default: the stack's)")
    add.add_argument("--key", help="use this site key instead of a generated one")
    add.add_argument("--consent-mode", choices=CONSENT_MODES, default="required", help=CONSENT_HELP)

    add_key = commands.add_parser("add-key", help="issue another key for a site (rotation)")
    add_key.add_argument("--site-id", required=True)
    add_key.add_argument("--key", help="use this site key instead of a generated one")

    revoke = commands.add_parser("revoke-key", help="revoke a site key")
    revoke.add_argument("--key", required=True)

    origins = commands.add_parser("set-origins", help="replace a site's allowed origins")
    origins.add_argument("--site-id", required=True)
    origins.add_argument("--origin", action="append", default=[], required=True)

    consent = commands.add_parser("set-consent-mode", help="required (EU default) or implied consent")
    consent.add_argument("--site-id", required=True)
    consent.add_argument("--mode", choices=CONSENT_MODES, required=True, help=CONSENT_HELP)

    show = commands.add_parser("show", help="print a site and its key hints")
    show.add_argument("--site-id", required=True)
    return root


def run(args: argparse.Namespace, store: DynamoSiteStore) -> dict[str, Any]:
    """Carries out one command; returns what to print. Raises ValueError for operator mistakes."""
    if args.command == "add":
        page_types = (
            TypeAdapter(list[PageTypeRule]).validate_json(args.page_types.read_text())
            if args.page_types
            else None
        )
        site = Site(
            site_id=args.site_id,
            name=args.name,
            timezone=args.timezone,
            currency=args.currency,
            allowed_origins=args.origin,
            journey_retention_days=args.retention_days,
            consent_mode=args.consent_mode,
            **({"page_types": page_types} if page_types is not None else {}),
        )
        store.create(site)
        key = args.key or new_site_key()
        store.add_key(site.site_id, key)
        return {"site": site.model_dump(mode="json"), "site_key": key}
    if args.command == "add-key":
        _existing(store, args.site_id)
        key = args.key or new_site_key()
        store.add_key(args.site_id, key)
        return {"site_id": args.site_id, "site_key": key}
    if args.command == "revoke-key":
        if not store.revoke_key(args.key):
            raise ValueError("no such site key")
        return {"revoked": True}
    if args.command in ("set-origins", "set-consent-mode"):
        site = _existing(store, args.site_id)
        change = (
            {"allowed_origins": args.origin} if args.command == "set-origins" else {"consent_mode": args.mode}
        )
        updated = Site.model_validate({**site.model_dump(), **change})
        store.put(updated)
        return {"site": updated.model_dump(mode="json")}
    site = _existing(store, args.site_id)
    return {"site": site.model_dump(mode="json"), "keys": store.keys_of(site.site_id)}


def _existing(store: DynamoSiteStore, site_id: str) -> Site:
    site = store.get(site_id)
    if site is None:
        raise ValueError(f"no site {site_id!r}")
    return site


def main(argv: list[str] | None = None, dynamodb: Any = None) -> int:
    args = parser().parse_args(argv)
    dynamodb = table_client(args.table, dynamodb)
    if dynamodb is None:
        return 2
    try:
        result = run(args, DynamoSiteStore(dynamodb, args.table))
    except (ValueError, ValidationError, Conflict) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
