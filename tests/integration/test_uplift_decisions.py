"""Offers by expected gain through the engage function: a site with a stored uplift model records
the policy, the model version and the estimated uplift, and the operator's decision log shows them;
a site without one decides by its rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from klantreis import services
from klantreis.engagement.decide import in_holdout
from klantreis.engagement.dynamo_store import DynamoUpliftModelStore
from klantreis.sites import Site
from tests.factories import FakeContext, anna_journey, api_event, batch
from tests.integration.test_console_reads import OPS, WIDGET, decide, decisions
from tests.unit.test_uplift import constant_model
from track.handler import lambda_handler as track


@pytest.fixture(autouse=True)
def _fresh_services() -> Iterator[None]:
    services.forget()
    yield
    services.forget()


def anna(demo_site: Site) -> str:
    visitor = next(f"anna-{n}" for n in range(100) if not in_holdout(demo_site.site_id, f"anna-{n}", 0.10))
    body = batch(*anna_journey(), visitor_id=visitor)
    tracked = track(api_event("POST", "/v1/events", body=body, headers=WIDGET), FakeContext())
    assert tracked["statusCode"] == 200, tracked["body"]
    return visitor


def test_a_site_with_an_uplift_model_decides_by_gain_and_the_log_says_so(
    demo_site: Site, dynamodb: Any, table_name: str
) -> None:
    # given the demo site switched to offers by gain (a chat adds 12 points for everyone)
    DynamoUpliftModelStore(dynamodb, table_name).put(demo_site.site_id, constant_model(0.12))
    visitor = anna(demo_site)
    # when Anna hesitates at checkout
    answer = decide(visitor, "s-1")
    # then the decision log names the policy, the model and the uplift behind the offer
    status, log = decisions(visitor, OPS)
    assert status == 200
    (logged,) = log["decisions"]
    assert logged["reason"] == answer["reason"] == "qualified"
    assert (logged["policy"], logged["uplift_model"], logged["policy_offer"]) == (
        "gain", "uplift-test-0.12", True,
    )  # fmt: skip
    assert logged["estimated_uplift"] == pytest.approx(0.12, abs=1e-4)
    assert logged["expected_gain"] == pytest.approx(0.12 * logged["cart_value"], abs=0.01)
    assert logged["min_gain"] >= 0


def test_a_site_without_one_decides_by_its_rules(demo_site: Site) -> None:
    visitor = anna(demo_site)
    decide(visitor, "s-1")
    (logged,) = decisions(visitor, OPS)[1]["decisions"]
    assert logged["policy"] == "rules"
    assert logged["estimated_uplift"] is None
    assert logged["uplift_model"] is None
