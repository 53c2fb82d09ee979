"""Opening hours and engagement rules over HTTP: the local gateway checks the bearer token as
Cognito's authorizer does, the engage function checks role and site and validates the body."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import Answer, Api

HOURS = {
    "timezone": "Europe/Amsterdam",
    "weekly": {day: [["08:00", "21:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    | {"sat": [["09:00", "17:00"]], "sun": []},
    "exceptions": {"2026-12-25": []},
}
RULES = {
    "rules": [
        {
            "rule_id": "slow-checkout",
            "name": "Slow checkout",
            "priority": 150,
            "triggers": {"stages": ["checkout"], "min_idle_seconds": 40, "url_patterns": ["/checkout*"]},
            "message": "Kunnen we je helpen met afrekenen?",
        }
    ],
    "holdout_share": 0.05,
    "caps": {"per_session": 2, "cooldown_after_reject_seconds": 7200, "per_day": 2},
}
SETTINGS = {"opening-hours": HOURS, "engagement-rules": RULES}


def setting(api: Api, method: str, name: str, token: str | None, body: Any = None) -> Answer:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return api.request(method, f"/v1/sites/demo/{name}", body=body, headers=headers)


@pytest.mark.parametrize("name", ["opening-hours", "engagement-rules"])
def test_the_operator_puts_then_gets_the_same_settings(api: Api, name: str) -> None:
    operator = api.token(sub="ops", role="operator")
    put = setting(api, "PUT", name, operator, SETTINGS[name])
    assert put.status == 200, put
    got = setting(api, "GET", name, operator)
    assert (got.status, got.json) == (200, put.json)


def test_the_seeded_rules_and_hours_are_what_the_contract_says(api: Api) -> None:
    operator = api.token(sub="ops", role="operator")
    hours = setting(api, "GET", "opening-hours", operator)
    assert hours.status == 200
    assert hours.json["weekly"] == {day: [["00:00", "24:00"]] for day in HOURS["weekly"]}
    rules = setting(api, "GET", "engagement-rules", operator)
    assert rules.status == 200
    assert rules.json["holdout_share"] == 0.1


@pytest.mark.parametrize(
    ("name", "body"),
    [
        pytest.param("opening-hours", {"weekly": {"mon": [["25:00", "26:00"]]}}, id="bad time"),
        pytest.param("opening-hours", {"weekly": {"sat": [["17:00", "09:00"]]}}, id="ends before start"),
        pytest.param("opening-hours", {"timezone": "Europe/Atlantis"}, id="unknown time zone"),
        pytest.param("engagement-rules", {**RULES, "holdout_share": -0.1}, id="holdout below 0"),
        pytest.param("engagement-rules", {"rules": RULES["rules"] * 2}, id="duplicate rule ids"),
        pytest.param("engagement-rules", {"caps": {"per_day": 1000}}, id="cap too high"),
    ],
)
def test_invalid_settings_answer_422_and_change_nothing(api: Api, name: str, body: Any) -> None:
    operator = api.token(sub="ops", role="operator")
    before = setting(api, "GET", name, operator).json
    answer = setting(api, "PUT", name, operator, body)
    assert (answer.status, answer.error_code) == (422, "validation_failed")
    assert answer.json["error"]["details"]
    assert setting(api, "GET", name, operator).json == before


@pytest.mark.parametrize("name", ["opening-hours", "engagement-rules"])
def test_a_body_that_is_not_json_answers_400(api: Api, name: str) -> None:
    answer = setting(api, "PUT", name, api.token(sub="ops", role="operator"), b"{not json")
    assert (answer.status, answer.error_code) == (400, "bad_json")


@pytest.mark.parametrize("name", ["opening-hours", "engagement-rules"])
def test_without_a_token_answers_401(api: Api, name: str) -> None:
    for method, body in (("GET", None), ("PUT", SETTINGS[name])):
        answer = setting(api, method, name, None, body)
        assert (answer.status, answer.error_code) == (401, "unauthorized"), method


@pytest.mark.parametrize("name", ["opening-hours", "engagement-rules"])
def test_an_agent_may_neither_read_nor_change_settings(api: Api, name: str) -> None:
    agent = api.token(sub="mirjam", role="agent")
    for method, body in (("GET", None), ("PUT", SETTINGS[name])):
        answer = setting(api, method, name, agent, body)
        assert (answer.status, answer.error_code) == (403, "forbidden"), method


@pytest.mark.parametrize("name", ["opening-hours", "engagement-rules"])
def test_another_sites_operator_cannot_change_this_sites_settings(api: Api, name: str) -> None:
    # given the demo site's settings as its own operator sees them
    own = api.token(sub="ops", role="operator")
    before = setting(api, "GET", name, own).json
    intruder = api.token(site_id="other-shop", sub="ops", role="operator")
    # when another site's operator tries to read or replace them
    read = setting(api, "GET", name, intruder)
    write = setting(api, "PUT", name, intruder, SETTINGS[name])
    # then both are refused and the demo site's settings are unchanged
    assert (read.status, read.error_code) == (403, "forbidden")
    assert (write.status, write.error_code) == (403, "forbidden")
    assert setting(api, "GET", name, own).json == before
