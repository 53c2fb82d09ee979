"""Operator tool: learn a site's uplift model from its holdout and switch it to offers by gain.

    export TABLE_NAME=klantreis-prod
    python infra/scripts/site_uplift.py train --site-id schoenen-nl --offer-cost 2.40 --dry-run
    python infra/scripts/site_uplift.py train --site-id schoenen-nl --offer-cost 2.40
    python infra/scripts/site_uplift.py show --site-id schoenen-nl
    python infra/scripts/site_uplift.py remove --site-id schoenen-nl     # back to the rules

`train` reads the site's decisions, sessions and offers (a Scan): every session's first offer
(`qualified`) or first holdout "would have offered", with the scores and cart it was decided on,
and whether the session bought after it; and, for the online bar, the site's rate of rule-eligible
sessions the policy decides on (per hour with any decision) and the share of answered offers
accepted. It refuses (exit 1) while either
arm has too few sessions or purchases (klantreis.engagement.uplift.MIN_*_PER_ARM); the site then
keeps deciding by its rules. `--offer-cost` is what an offer costs in agent time, in the site's
currency (agent minutes per offer x cost of a minute). Running functions pick a stored model up
within 5 minutes. The table comes from --table or TABLE_NAME; AWS_ENDPOINT_URL_DYNAMODB points
it elsewhere.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from klantreis import dynamo, keys
from klantreis.engagement.dynamo_store import DynamoUpliftModelStore
from klantreis.engagement.records import decision_from_item, offer_from_item
from klantreis.engagement.uplift import (
    UpliftError,
    UpliftExample,
    UpliftInputs,
    UpliftModel,
    fit_uplift,
)
from klantreis.journey.session_item import session_from_item

# The table's option and client are shared with the other operator scripts (siblings, not a package).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from operator_table import add_table_option, table_client

ARMS = {"qualified": True, "holdout": False}


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="site_uplift.py", description=(__doc__ or "").split("\n\n")[0])
    add_table_option(root)
    commands = root.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="learn the site's uplift model from its holdout and store it")
    train.add_argument("--site-id", required=True)
    train.add_argument("--offer-cost", type=float, default=0.0, help="agent time per offer, site currency")
    train.add_argument("--dry-run", action="store_true", help="learn and describe, store nothing")
    for name, text in (("show", "describe the site's uplift model"), ("remove", "back to the rules")):
        command = commands.add_parser(name, help=text)
        command.add_argument("--site-id", required=True)
    return root


def _visitor_items(dynamodb: Any, table: str, site_id: str) -> list[dict[str, Any]]:
    """The site's decision, session and offer items, by a paginated, filtered Scan."""
    request: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": (
            "(begins_with(PK, :pk) AND (begins_with(SK, :decision) OR begins_with(SK, :session)))"
            " OR (begins_with(PK, :offers) AND SK = :offer)"
        ),
        "ExpressionAttributeValues": {
            ":pk": dynamo.to_value(f"{keys.site_pk(site_id)}#V#"),
            ":decision": dynamo.to_value(keys.DECISION_PREFIX),
            ":session": dynamo.to_value(keys.SESSION_PREFIX),
            ":offers": dynamo.to_value(f"{keys.site_pk(site_id)}#OFFER#"),
            ":offer": dynamo.to_value(keys.OFFER),
        },
    }
    found: list[dict[str, Any]] = []
    while True:
        page = dynamodb.scan(**request)
        found += [dynamo.from_item(item) for item in page.get("Items", [])]
        last = page.get("LastEvaluatedKey")
        if not last:
            return found
        request["ExclusiveStartKey"] = last


@dataclass
class SiteHistory:
    """What `train` learns from: the examples, those left out, and the online bar's rates."""

    examples: list[UpliftExample] = field(default_factory=list)
    left_out: int = 0
    eligible_per_hour: float | None = None
    acceptance: float | None = None


def site_history(dynamodb: Any, table: str, site_id: str) -> SiteHistory:
    """Each session's first offer or holdout decision with its outcome (bought after it); how
    many such decisions were left out (decided before the inputs were recorded); the rate of
    sessions with a rule-eligible decision the policy decided on (not held out, within opening
    hours) per hour with any decision; and the share of answered offers accepted."""
    bought_at: dict[tuple[str, str], datetime | None] = {}
    firsts: dict[tuple[str, str], Any] = {}
    decided: set[tuple[str, str]] = set()
    hours: set[str] = set()
    answers: list[bool] = []
    for plain in _visitor_items(dynamodb, table, site_id):
        if plain["SK"] == keys.OFFER:
            offer = offer_from_item(plain)
            if offer.response is not None:
                answers.append(offer.response == "accepted")
            continue
        if str(plain["SK"]).startswith(keys.SESSION_PREFIX):
            session = session_from_item(plain)
            bought_at[(session.visitor_id, session.session_id)] = (
                session.last_purchase_at if session.purchases else None
            )
            continue
        decision = decision_from_item(plain)
        if decision.reason != "outside_hours":
            hours.add(decision.at.astimezone(UTC).strftime("%Y-%m-%dT%H"))
            if decision.qualified and decision.reason != "holdout":
                decided.add((decision.visitor_id, decision.session_id))
        if decision.reason in ARMS and decision.first_in_session:
            key = (decision.visitor_id, decision.session_id)
            if key not in firsts or decision.at < firsts[key].at:
                firsts[key] = decision
    history = SiteHistory(
        eligible_per_hour=len(decided) / len(hours) if decided else None,
        acceptance=sum(answers) / len(answers) if any(answers) else None,
    )
    for key, decision in firsts.items():
        if decision.score is None or decision.abandonment_risk is None or decision.stage is None:
            history.left_out += 1
            continue
        purchase = bought_at.get(key)
        inputs = UpliftInputs(
            purchase_intent=decision.score,
            abandonment_risk=decision.abandonment_risk,
            cart_value=decision.cart_value or 0.0,
            stage=decision.stage,
            idle_seconds=decision.idle_seconds or 0,
        )
        history.examples.append(
            UpliftExample(inputs, ARMS[decision.reason], purchase is not None and purchase > decision.at)
        )
    return history


def describe(site_id: str, model: UpliftModel) -> dict[str, Any]:
    return {
        "site_id": site_id,
        "model_version": model.model_version,
        "offer_cost": model.offer_cost,
        "switched": model.training.enough,
        "training": model.training.model_dump(mode="json"),
        "eligible_per_hour": model.eligible_per_hour,
        "acceptance": model.acceptance,
        "gain_bars": {
            f"{round(100 * k / (len(model.gain_quantiles) - 1))}%": round(v, 2)
            for k, v in enumerate(model.gain_quantiles)
        },
    }


def main(argv: list[str] | None = None, dynamodb: Any = None) -> int:
    args = parser().parse_args(argv)
    dynamodb = table_client(args.table, dynamodb)
    if dynamodb is None:
        return 2
    store = DynamoUpliftModelStore(dynamodb, args.table)
    if args.command == "train":
        if args.offer_cost < 0:
            print("error: --offer-cost must not be negative", file=sys.stderr)
            return 2
        history = site_history(dynamodb, args.table, args.site_id)
        try:
            model = fit_uplift(
                history.examples,
                offer_cost=args.offer_cost,
                eligible_per_hour=history.eligible_per_hour,
                acceptance=history.acceptance,
            )
        except UpliftError as exc:
            print(f"error: {exc}; the site keeps deciding by its rules", file=sys.stderr)
            return 1
        if not args.dry_run:
            store.put(args.site_id, model)
        described = describe(args.site_id, model)
        print(json.dumps({**described, "left_out": history.left_out, "stored": not args.dry_run}))
        return 0
    if args.command == "show":
        stored = store.get(args.site_id)
        if stored is None:
            print(
                f"error: site {args.site_id!r} has no uplift model (it decides by its rules)", file=sys.stderr
            )
            return 1
        print(json.dumps(describe(args.site_id, stored)))
        return 0
    print(json.dumps({"site_id": args.site_id, "removed": store.delete(args.site_id)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
