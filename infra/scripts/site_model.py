"""Operator tool: give a site its own purchase-propensity model, or take it back to the default.

    make train CSV=sessions.csv OUT=/tmp/schoenen-nl.json      # on the site's exported sessions
    export TABLE_NAME=klantreis-prod
    python infra/scripts/site_model.py put --site-id schoenen-nl --model /tmp/schoenen-nl.json
    python infra/scripts/site_model.py show --site-id schoenen-nl
    python infra/scripts/site_model.py remove --site-id schoenen-nl

The model is validated before it is stored; running functions pick it up within 5 minutes.
The table comes from --table or TABLE_NAME; AWS_ENDPOINT_URL_DYNAMODB points it elsewhere.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from klantreis.engagement.dynamo_store import DynamoSiteModelStore
from klantreis.engagement.model import ModelError

# The table's option and client are shared with the other operator scripts (siblings, not a package).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from operator_table import add_table_option, table_client


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="site_model.py", description=(__doc__ or "").split("\n\n")[0])
    add_table_option(root)
    commands = root.add_subparsers(dest="command", required=True)
    put = commands.add_parser("put", help="store a site's own model (JSON written by make train)")
    put.add_argument("--site-id", required=True)
    put.add_argument("--model", type=Path, required=True)
    for name, text in (("show", "describe the site's own model"), ("remove", "back to the default model")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--site-id", required=True)
    return root


def describe(site_id: str, model: Any) -> dict[str, Any]:
    return {
        "site_id": site_id,
        "trees": model.tree_count,
        "threshold": model.threshold,
        "training": model.training.model_dump(mode="json"),
    }


def main(argv: list[str] | None = None, dynamodb: Any = None) -> int:
    args = parser().parse_args(argv)
    dynamodb = table_client(args.table, dynamodb)
    if dynamodb is None:
        return 2
    store = DynamoSiteModelStore(dynamodb, args.table)
    try:
        if args.command == "put":
            result: dict[str, Any] = describe(args.site_id, store.put(args.site_id, args.model.read_bytes()))
        elif args.command == "remove":
            result = {"site_id": args.site_id, "removed": store.delete(args.site_id)}
        else:
            model = store.get(args.site_id)
            result = describe(args.site_id, model) if model else {"site_id": args.site_id, "model": "default"}
    except (ModelError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
