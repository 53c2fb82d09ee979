"""The contract's engagement decisions over HTTP through the local gateway: Anna, the browsing
visitor, reject then ask again, all agents offline, closed hours, and offer responses."""

from __future__ import annotations

from typing import Any

import pytest

from klantreis.agents.dynamo_store import DynamoAgentStore
from klantreis.engagement.decide import in_holdout
from klantreis.sites import Site
from klantreis.sites.dynamo_store import DynamoSiteStore
from klantreis_local.runtime import DEMO_SITE
from tests.e2e.conftest import WIDGET, Answer, Api
from tests.factories import anna_journey, batch, event

HOLDOUT_SHARE = 0.10  # the demo seed's


def decide(api: Api, visitor_id: str, session_id: str = "s-1", **body: Any) -> Answer:
    payload = {"visitor_id": visitor_id, "session_id": session_id, "idle_seconds": 30, **body}
    return api.request("POST", "/v1/engagement/decide", body=payload, headers=WIDGET)


def respond(api: Api, offer_id: str, response: str, headers: dict[str, str] | None = None) -> Answer:
    return api.request(
        "POST",
        f"/v1/engagement/offers/{offer_id}/response",
        body={"response": response},
        headers=headers or WIDGET,
    )


def anna(api: Api, prefix: str = "anna", session_id: str = "s-1") -> str:
    """A visitor like Anna outside the demo site's holdout, tracked up to checkout step 2."""
    visitor_id = next(
        f"{prefix}-{n}" for n in range(100) if not in_holdout(DEMO_SITE, f"{prefix}-{n}", HOLDOUT_SHARE)
    )
    assert api.post_events(batch(*anna_journey(), visitor_id=visitor_id, session_id=session_id)).status == 200
    return visitor_id


def test_anna_is_offered_a_chat(api: Api) -> None:
    visitor_id = anna(api)
    answer = decide(api, visitor_id)
    assert answer.status == 200, answer
    assert (answer.json["offer"], answer.json["reason"], answer.json["action"]) == (True, "qualified", "chat")
    assert answer.json["offer_id"]
    assert answer.json["message"]
    assert 0 <= answer.json["score"] <= 1


def test_anna_in_the_holdout_is_not_offered(api: Api) -> None:
    visitor_id = next(f"held-{n}" for n in range(1000) if in_holdout(DEMO_SITE, f"held-{n}", HOLDOUT_SHARE))
    api.post_events(batch(*anna_journey(), visitor_id=visitor_id))
    answer = decide(api, visitor_id)
    assert (answer.status, answer.json["offer"], answer.json["reason"]) == (200, False, "holdout")
    assert "offer_id" not in answer.json


def test_a_browsing_visitor_is_not_qualified(api: Api) -> None:
    api.post_events(batch(event("page_view", url="https://shop.example/"), visitor_id="bram"))
    answer = decide(api, "bram")
    assert (answer.status, answer.json) == (
        200,
        {"offer": False, "reason": "not_qualified", "score": answer.json["score"]},
    )


def test_reject_then_ask_again_is_capped(api: Api) -> None:
    visitor_id = anna(api)
    offer_id = decide(api, visitor_id).json["offer_id"]
    assert respond(api, offer_id, "rejected").status == 200
    api.post_events(batch(*anna_journey(), visitor_id=visitor_id, session_id="s-2"))
    answer = decide(api, visitor_id, "s-2")
    assert (answer.json["offer"], answer.json["reason"]) == (False, "capped")


def test_all_agents_offline_is_no_agent(api: Api, dynamodb: Any, table_name: str) -> None:
    agents = DynamoAgentStore(dynamodb, table_name)
    for agent_id in ("mirjam", "sven"):
        agent = agents.get(DEMO_SITE, agent_id)
        assert agent is not None
        agents.put(agent.model_copy(update={"status": "offline"}))
    answer = decide(api, anna(api))
    assert (answer.json["offer"], answer.json["reason"]) == (False, "no_agent")


def test_closed_hours_is_outside_hours(api: Api) -> None:
    operator = api.token(sub="ops", role="operator")
    closed = {"timezone": "Europe/Amsterdam", "weekly": {}}
    put = api.request(
        "PUT", "/v1/sites/demo/opening-hours", body=closed,
        headers={"Authorization": f"Bearer {operator}", "Content-Type": "application/json"},
    )  # fmt: skip
    assert put.status == 200, put
    answer = decide(api, anna(api))
    assert (answer.json["offer"], answer.json["reason"]) == (False, "outside_hours")


@pytest.mark.parametrize("response", ["accepted", "rejected", "ignored"])
def test_offer_responses(api: Api, response: str) -> None:
    offer_id = decide(api, anna(api)).json["offer_id"]
    assert (respond(api, offer_id, response).status, respond(api, offer_id, response).status) == (200, 200)
    other = "ignored" if response != "ignored" else "accepted"
    assert respond(api, offer_id, other).error_code == "conflict"


def test_unknown_or_foreign_offers_are_not_found(api: Api, dynamodb: Any, table_name: str) -> None:
    sites = DynamoSiteStore(dynamodb, table_name)
    sites.put(Site(site_id="other-shop", name="Other", allowed_origins=["https://other.example"]))
    sites.add_key("other-shop", "other-site-key")
    offer_id = decide(api, anna(api)).json["offer_id"]
    unknown = respond(api, "0" * 32, "accepted")
    assert (unknown.status, unknown.error_code) == (404, "not_found")
    foreign = respond(
        api, offer_id, "accepted", headers={"X-Site-Key": "other-site-key", "Origin": "https://other.example",
                                            "Content-Type": "application/json"},
    )  # fmt: skip
    assert (foreign.status, foreign.error_code) == (404, "not_found")
    # and the offer is still open for its own site
    assert respond(api, offer_id, "accepted").status == 200
