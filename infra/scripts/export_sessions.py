"""Operator tool: export a site's tracked sessions for training its own purchase-propensity model.

    python infra/scripts/export_sessions.py --table klantreis-prod --site-id schoenen-nl \\
        --from 2026-10-01 --to 2026-10-31 --out sessions.csv
    make train CSV=sessions.csv OUT=schoenen-nl-model.json

One row per session in the columns of the UCI online-shoppers file
(`../shared/data/online_shoppers_train.csv`), label `Revenue` = the session bought, computed by
`klantreis.engagement.features.session_features` exactly as decide computes them live, with:

- Month, Weekend and SpecialDay from the session's first activity in the site's time zone, the
  special days from the site's engagement configuration (else the default retail calendar), as
  decide uses them; `--from`/`--to` select sessions by that same local date, both inclusive.
  The last page counts no time, as in Google Analytics.
- BounceRates, ExitRates and PageValues from the site's page statistics *as they are at export
  time*. Those include the exported sessions themselves: a session that bought has added its
  revenue to the value of its own pages, which flatters PageValues for buyers (most on pages with
  few sessions). Live, a session is scored before its purchase is in the statistics. Prefer a
  long export window, so each page's history is mostly other sessions.
- OperatingSystems, Browser, Region and TrafficType left empty: Google Analytics' code tables are
  not known to the tracker, and `make train` (default `--features live`) does not use them.
- Sessions of clients recognised as bots are left out.

Cost: sessions are found with a paginated Scan filtered on `PK` begins_with `SITE#{site}#V#` and
`SK` begins_with `SESSION#`. A Scan's filter applies after reading, so it reads (and bills) the
whole table: half a read unit per 4 KB of every item, eventually consistent. Run it in a quiet
hour, or against a point-in-time restore of the table.

The table comes from --table or TABLE_NAME; credentials and region from the usual AWS
configuration; AWS_ENDPOINT_URL_DYNAMODB points it at a local DynamoDB-compatible server.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from klantreis import dynamo, keys
from klantreis.engagement.config import EngagementConfig
from klantreis.engagement.dynamo_store import DynamoPageStatsSource
from klantreis.engagement.features import SitePageStats, session_features
from klantreis.engagement.model import FEATURE_COLUMNS, SessionFeatures
from klantreis.engagement.settings_dynamo_store import DynamoEngagementSettingsStore
from klantreis.journey.session import SessionState
from klantreis.journey.session_item import session_from_item
from klantreis.sites import Site
from klantreis.sites.dynamo_store import DynamoSiteStore

# The table's option and client are shared with the other operator scripts (siblings, not a package).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from operator_table import add_table_option, table_client

LABEL = "Revenue"
ALL_PAGES = 1_000_000
"""The export keeps every page the statistics hold (decide keeps the most viewed only)."""


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="export_sessions.py", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    add_table_option(root)
    root.add_argument("--site-id", required=True)
    root.add_argument("--from", dest="start", type=date.fromisoformat, help="first local day (YYYY-MM-DD)")
    root.add_argument("--to", dest="end", type=date.fromisoformat, help="last local day (YYYY-MM-DD)")
    root.add_argument("--out", type=Path, required=True, help="CSV file to write ('-' for stdout)")
    return root


def site_sessions(dynamodb: Any, table: str, site_id: str) -> Iterator[SessionState]:
    """Every session item of the site, by a paginated, filtered Scan (reads the whole table)."""
    request: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": "begins_with(PK, :pk) AND begins_with(SK, :sk)",
        "ExpressionAttributeValues": {
            ":pk": dynamo.to_value(f"{keys.site_pk(site_id)}#V#"),
            ":sk": dynamo.to_value(keys.SESSION_PREFIX),
        },
    }
    while True:
        page = dynamodb.scan(**request)
        for item in page.get("Items", []):
            yield session_from_item(dynamo.from_item(item))
        last = page.get("LastEvaluatedKey")
        if not last:
            return
        request["ExclusiveStartKey"] = last


def session_row(
    state: SessionState, site: Site, stats: SitePageStats, config: EngagementConfig
) -> SessionFeatures:
    special_days = config.special_days_near(state.first_at.astimezone(site.zone).date())
    return session_features(state, stats, timezone=site.timezone, special_days=special_days)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


def export(
    dynamodb: Any,
    table: str,
    site: Site,
    out: TextIO,
    *,
    start: date | None = None,
    end: date | None = None,
) -> dict[str, int]:
    """Writes the CSV; returns how many sessions were written, bought, and left out."""
    stats = DynamoPageStatsSource(dynamodb, table, max_pages=ALL_PAGES).load(site.site_id)
    config = DynamoEngagementSettingsStore(dynamodb, table).get_config(site.site_id) or EngagementConfig()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*FEATURE_COLUMNS, LABEL])
    written = bought = skipped = 0
    for state in site_sessions(dynamodb, table, site.site_id):
        day = state.first_at.astimezone(site.zone).date()
        if (start and day < start) or (end and day > end) or (state.client and state.client.bot):
            skipped += 1
            continue
        features = session_row(state, site, stats, config).model_dump(by_alias=True)
        writer.writerow(
            [*(_cell(features[column]) for column in FEATURE_COLUMNS), _cell(state.purchases > 0)]
        )
        written += 1
        bought += state.purchases > 0
    return {"sessions": written, "bought": bought, "left_out": skipped}


def main(argv: list[str] | None = None, dynamodb: Any = None) -> int:
    args = parser().parse_args(argv)
    dynamodb = table_client(args.table, dynamodb)
    if dynamodb is None:
        return 2
    if args.start and args.end and args.start > args.end:
        print("error: --from is after --to", file=sys.stderr)
        return 2
    site = DynamoSiteStore(dynamodb, args.table).get(args.site_id)
    if site is None:
        print(f"error: no site {args.site_id!r}", file=sys.stderr)
        return 1

    def run(out: TextIO) -> dict[str, int]:
        return export(dynamodb, args.table, site, out, start=args.start, end=args.end)

    if str(args.out) == "-":
        summary = run(sys.stdout)
    else:
        with args.out.open("w", newline="", encoding="utf-8") as out:
            summary = run(out)
    print(
        f"{args.out}: {summary['sessions']} sessions ({summary['bought']} bought), "
        f"{summary['left_out']} left out",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
