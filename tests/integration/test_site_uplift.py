"""A site's uplift model: learned from the decisions and sessions in the table, refused while the
holdout is thin, stored gzipped, and read back by the decide function's source."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from typing import Any

import pytest

from klantreis import dynamo
from klantreis.engagement.dynamo_store import DynamoUpliftModelStore
from klantreis.engagement.records import Decision, Offer, decision_item, offer_item
from klantreis.engagement.uplift import (
    MIN_SESSIONS_PER_ARM,
    SiteUpliftModels,
    UpliftInputs,
)
from klantreis.journey.session import SessionState
from klantreis.journey.session_item import session_to_item
from tests.factories import T0, load_operator_script

SITE_ID = "demo"


def write_history(dynamodb: Any, table_name: str, per_arm: int, seed: int = 3) -> None:
    """`per_arm` offered and as many holdout sessions at checkout: hesitant visitors (idle long)
    buy far more often when offered; the others buy as often either way."""
    draw = random.Random(seed)
    items: list[dict[str, Any]] = []
    for n in range(2 * per_arm):
        offered = n % 2 == 0
        hesitant = draw.random() < 0.5
        chance = (0.45 if offered else 0.1) if hesitant else 0.5
        bought = draw.random() < chance
        visitor, session_id = f"v-{n}", f"s-{n}"
        at = T0 + timedelta(minutes=n)
        decision = Decision(
            site_id=SITE_ID, visitor_id=visitor, session_id=session_id, decision_id=f"d-{n}", at=at,
            day=at.date().isoformat(), reason="qualified" if offered else "holdout",
            score=round(draw.uniform(0.2, 0.5) if hesitant else draw.uniform(0.5, 0.9), 4),
            abandonment_risk=round(draw.uniform(0.6, 0.9) if hesitant else draw.uniform(0.3, 0.5), 4),
            cart_value=round(draw.uniform(50, 300), 2), stage="checkout",
            idle_seconds=draw.randint(90, 300) if hesitant else draw.randint(20, 60),
            qualified=True, would_have_offered=True, first_in_session=True,
        )  # fmt: skip
        session = SessionState(
            site_id=SITE_ID, visitor_id=visitor, session_id=session_id, first_at=at, last_at=at,
            purchases=1 if bought else 0, last_purchase_at=at + timedelta(minutes=5) if bought else None,
        )  # fmt: skip
        items += [decision_item(decision), session_to_item(session)]
        if offered and n % 4 == 0:  # every other offer answered: accepted, rejected, in turn
            response = "accepted" if n % 8 == 0 else "rejected"
            offer = Offer(
                site_id=SITE_ID, offer_id=f"o-{n}", visitor_id=visitor, session_id=session_id,
                rule_id="r", message="Hulp nodig?", day=decision.day, created_at=at, response=response,
            )  # fmt: skip
            items.append(offer_item(offer))
    for start in range(0, len(items), 25):
        dynamodb.batch_write_item(
            RequestItems={
                table_name: [{"PutRequest": {"Item": dynamo.to_item(i)}} for i in items[start : start + 25]]
            }
        )


def test_a_thin_holdout_is_refused_and_nothing_is_stored(
    dynamodb: Any, table_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    write_history(dynamodb, table_name, per_arm=60)
    script = load_operator_script("site_uplift")
    assert script.main(["--table", table_name, "train", "--site-id", SITE_ID], dynamodb) == 1
    assert "not enough holdout outcomes" in capsys.readouterr().err
    assert DynamoUpliftModelStore(dynamodb, table_name).get(SITE_ID) is None


def test_the_operator_script_learns_stores_shows_and_removes(
    dynamodb: Any, table_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    write_history(dynamodb, table_name, per_arm=MIN_SESSIONS_PER_ARM + 100)
    script = load_operator_script("site_uplift")
    args = ["--table", table_name, "train", "--site-id", SITE_ID, "--offer-cost", "1.5"]
    # a dry run learns but stores nothing
    assert script.main([*args, "--dry-run"], dynamodb) == 0
    dry = json.loads(capsys.readouterr().out)
    assert (dry["stored"], dry["switched"]) == (False, True)
    assert DynamoUpliftModelStore(dynamodb, table_name).get(SITE_ID) is None
    # the real run stores the model the decide function reads
    assert script.main(args, dynamodb) == 0
    trained = json.loads(capsys.readouterr().out)
    assert trained["training"]["holdout_sessions"] == MIN_SESSIONS_PER_ARM + 100
    assert trained["left_out"] == 0
    # with the online bar's inputs: the offered sessions (the holdout is not decided on by the
    # policy) per hour with decisions, and the share of answered offers accepted
    hours = {
        (T0 + timedelta(minutes=n)).strftime("%Y-%m-%dT%H") for n in range(2 * (MIN_SESSIONS_PER_ARM + 100))
    }
    assert trained["eligible_per_hour"] == pytest.approx((MIN_SESSIONS_PER_ARM + 100) / len(hours))
    assert trained["acceptance"] == pytest.approx(0.5, abs=0.01)
    assert trained["training"]["feature_set"] in ("scores", "shape")
    model = SiteUpliftModels(DynamoUpliftModelStore(dynamodb, table_name)).for_site(SITE_ID)
    assert model is not None
    assert model.model_version == trained["model_version"]
    assert model.offer_cost == 1.5
    # what it learned: hesitant visitors are moved by a chat, the others are not
    hesitant = model.uplift(UpliftInputs(0.35, 0.75, 150.0, "checkout", 200))
    others = model.uplift(UpliftInputs(0.7, 0.4, 150.0, "checkout", 40))
    assert hesitant > 0.2
    assert abs(others) < 0.1
    assert script.main(["--table", table_name, "show", "--site-id", SITE_ID], dynamodb) == 0
    assert json.loads(capsys.readouterr().out)["model_version"] == model.model_version
    assert script.main(["--table", table_name, "remove", "--site-id", SITE_ID], dynamodb) == 0
    assert json.loads(capsys.readouterr().out)["removed"] is True
    assert script.main(["--table", table_name, "show", "--site-id", SITE_ID], dynamodb) == 1
    assert "decides by its rules" in capsys.readouterr().err
    assert SiteUpliftModels(DynamoUpliftModelStore(dynamodb, table_name)).for_site("other") is None
