"""Opening hours and engagement rules through the engage handler, in process, against moto:
the site's operator reads and replaces them, nobody else can, and bad bodies change nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from engage.handler import lambda_handler
from klantreis.engagement.config import EngagementConfig, OpeningHours
from klantreis.engagement.settings_dynamo_store import DynamoEngagementSettingsStore
from klantreis.sites import Site
from klantreis.sites.dynamo_store import DynamoSiteStore
from tests.factories import FakeContext, api_event

OPERATOR = {"sub": "ops", "site_id": "demo", "role": "operator"}
AGENT = {"sub": "mirjam", "site_id": "demo", "role": "agent"}
OTHER_OPERATOR = {"sub": "ops", "site_id": "other-shop", "role": "operator"}

HOURS = {
    "timezone": "Europe/Amsterdam",
    "weekly": {
        "mon": [["08:00", "21:00"]],
        "tue": [["08:00", "21:00"]],
        "wed": [["08:00", "21:00"]],
        "thu": [["08:00", "12:00"], ["13:00", "21:00"]],
        "fri": [["08:00", "21:00"]],
        "sat": [["09:00", "17:00"]],
        "sun": [],
    },
    "exceptions": {"2026-12-25": [], "2026-12-24": [["09:00", "16:00"]]},
}
RULES = {
    "rules": [
        {
            "rule_id": "boots-at-checkout",
            "name": "Boots at checkout",
            "priority": 300,
            "triggers": {"stages": ["checkout"], "categories": ["dameslaarzen"], "min_idle_seconds": 15},
            "message": "Vragen over de maat? Wij helpen je.",
        }
    ],
    "holdout_share": 0.2,
    "caps": {"per_session": 1, "cooldown_after_reject_seconds": 3600, "per_day": 3},
}


def call(
    method: str, site_id: str, setting: str, claims: dict[str, str] | None, body: Any = None
) -> tuple[int, Any]:
    answer = lambda_handler(
        api_event(
            method,
            f"/v1/sites/{site_id}/{setting}",
            body=body,
            claims=claims,
            path_parameters={"site_id": site_id},
            resource=f"/v1/sites/{{site_id}}/{setting}",
        ),
        FakeContext(),
    )
    return answer["statusCode"], json.loads(answer["body"])


@pytest.fixture
def store(dynamodb: Any, table_name: str) -> DynamoEngagementSettingsStore:
    return DynamoEngagementSettingsStore(dynamodb, table_name)


@pytest.fixture
def bare_site(dynamodb: Any, table_name: str) -> Site:
    """A site nobody has configured engagement for, in another time zone."""
    site = Site(site_id="lisbon-shop", name="Loja", timezone="Europe/Lisbon")
    DynamoSiteStore(dynamodb, table_name).put(site)
    return site


def test_the_demo_site_starts_open_all_week_with_a_ten_percent_holdout(demo_site: Site) -> None:
    status, hours = call("GET", "demo", "opening-hours", OPERATOR)
    assert status == 200
    assert OpeningHours.model_validate(hours) == OpeningHours.always_open("Europe/Amsterdam")
    status, rules = call("GET", "demo", "engagement-rules", OPERATOR)
    assert status == 200
    assert rules["holdout_share"] == 0.1
    assert [rule["rule_id"] for rule in rules["rules"]] == ["checkout-hesitation", "valuable-cart"]


def test_a_site_without_settings_gets_the_webshop_defaults_in_its_time_zone(bare_site: Site) -> None:
    claims = {**OPERATOR, "site_id": bare_site.site_id}
    status, hours = call("GET", bare_site.site_id, "opening-hours", claims)
    assert status == 200
    assert OpeningHours.model_validate(hours) == OpeningHours.webshop_default("Europe/Lisbon")
    assert hours["weekly"]["mon"] == [["08:00", "21:00"]]
    assert hours["weekly"]["sun"] == [["09:00", "17:00"]]
    status, rules = call("GET", bare_site.site_id, "engagement-rules", claims)
    assert status == 200
    assert EngagementConfig.model_validate(rules) == EngagementConfig.webshop_default()


def test_the_operator_replaces_the_hours_and_reads_them_back(
    demo_site: Site, store: DynamoEngagementSettingsStore
) -> None:
    # when the demo site's operator sets the contract's example hours
    status, answered = call("PUT", "demo", "opening-hours", OPERATOR, HOURS)
    # then they are answered, stored and read back the same
    assert status == 200
    assert answered["weekly"]["thu"] == [["08:00", "12:00"], ["13:00", "21:00"]]
    assert answered["exceptions"] == {"2026-12-24": [["09:00", "16:00"]], "2026-12-25": []}
    assert store.get_hours("demo") == OpeningHours.model_validate(HOURS)
    assert call("GET", "demo", "opening-hours", OPERATOR) == (200, answered)


def test_hours_without_a_time_zone_take_the_sites(bare_site: Site) -> None:
    claims = {**OPERATOR, "site_id": bare_site.site_id}
    status, answered = call(
        "PUT", bare_site.site_id, "opening-hours", claims, {"weekly": {"mon": [["10:00", "18:00"]]}}
    )
    assert status == 200
    assert answered["timezone"] == "Europe/Lisbon"


def test_the_operator_replaces_the_rules_and_reads_them_back(
    demo_site: Site, store: DynamoEngagementSettingsStore
) -> None:
    status, answered = call("PUT", "demo", "engagement-rules", OPERATOR, RULES)
    assert status == 200
    assert answered["holdout_share"] == 0.2
    assert answered["rules"][0]["rule_id"] == "boots-at-checkout"
    assert answered["rules"][0]["enabled"] is True  # defaults filled in
    assert store.get_config("demo") == EngagementConfig.model_validate(RULES)
    assert call("GET", "demo", "engagement-rules", OPERATOR) == (200, answered)


def test_a_change_reaches_this_instances_cached_settings_at_once(demo_site: Site) -> None:
    from engage import dependencies

    # given decide's cache holding the seeded rules
    cached = dependencies.engagement_settings()
    assert cached.config("demo").holdout_share == 0.1
    # when the operator changes them on this instance
    assert call("PUT", "demo", "engagement-rules", OPERATOR, RULES)[0] == 200
    # then the cache does not keep the old ones
    assert cached.config("demo").holdout_share == 0.2


@pytest.mark.parametrize(
    ("setting", "body", "field"),
    [
        pytest.param("opening-hours", {**HOURS, "timezone": "Mars/Olympus"}, "timezone", id="time zone"),
        pytest.param("opening-hours", {"weekly": {"mon": [["25:00", "26:00"]]}}, "weekly", id="bad time"),
        pytest.param("opening-hours", {"weekly": {"mon": [["21:00", "08:00"]]}}, "weekly", id="end first"),
        pytest.param(
            "opening-hours", {"weekly": {"mon": [["08:00", "12:00"], ["11:00", "18:00"]]}}, "weekly",
            id="overlap",
        ),
        pytest.param("opening-hours", {"weekly": {"monday": []}}, "weekly", id="unknown day"),
        pytest.param("opening-hours", {"exceptions": {"2026-02-30": []}}, "exceptions", id="no such date"),
        pytest.param("opening-hours", {**HOURS, "holidays": {}}, "holidays", id="unknown field"),
        pytest.param("engagement-rules", {**RULES, "holdout_share": 0.9}, "holdout_share", id="holdout"),
        pytest.param(
            "engagement-rules", {"rules": [RULES["rules"][0], RULES["rules"][0]]}, "rules", id="same ids"
        ),
        pytest.param(
            "engagement-rules",
            {"rules": [{**RULES["rules"][0], "triggers": {"min_abandonment_risk": 1.5}}]},
            "rules.0.triggers.min_abandonment_risk",
            id="score above 1",
        ),
        pytest.param(
            "engagement-rules",
            {"rules": [{**RULES["rules"][0], "triggers": {"stages": ["purchased"]}}]},
            "rules.0.triggers.stages.0",
            id="unknown stage",
        ),
        pytest.param("engagement-rules", {"rules": "all"}, "rules", id="not a list"),
    ],
)  # fmt: skip
def test_invalid_settings_are_refused_and_change_nothing(
    demo_site: Site, store: DynamoEngagementSettingsStore, setting: str, body: Any, field: str
) -> None:
    before = (store.get_hours("demo"), store.get_config("demo"))
    status, answer = call("PUT", "demo", setting, OPERATOR, body)
    assert status == 422, answer
    assert answer["error"]["code"] == "validation_failed"
    assert any(detail["field"].startswith(field) for detail in answer["error"]["details"]), answer
    assert (store.get_hours("demo"), store.get_config("demo")) == before


@pytest.mark.parametrize("setting", ["opening-hours", "engagement-rules"])
def test_a_body_that_is_not_json_is_a_bad_request(demo_site: Site, setting: str) -> None:
    status, answer = call("PUT", "demo", setting, OPERATOR, '{"weekly": ')
    assert (status, answer["error"]["code"]) == (400, "bad_json")


@pytest.mark.parametrize("setting", ["opening-hours", "engagement-rules"])
@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        pytest.param(None, (401, "unauthorized"), id="no claims"),
        pytest.param({"sub": "ops"}, (401, "unauthorized"), id="no site or role"),
        pytest.param(AGENT, (403, "forbidden"), id="agent"),
        pytest.param(OTHER_OPERATOR, (403, "forbidden"), id="another site's operator"),
    ],
)
def test_only_the_sites_operator_reads_or_changes_settings(
    demo_site: Site,
    store: DynamoEngagementSettingsStore,
    setting: str,
    claims: dict[str, str] | None,
    expected: tuple[int, str],
) -> None:
    before = (store.get_hours("demo"), store.get_config("demo"))
    body = HOURS if setting == "opening-hours" else RULES
    for method, sent in (("GET", None), ("PUT", body)):
        status, answer = call(method, "demo", setting, claims, sent)
        assert (status, answer["error"]["code"]) == expected, (method, answer)
    assert (store.get_hours("demo"), store.get_config("demo")) == before


def test_an_operator_of_a_site_that_does_not_exist_gets_not_found(dynamodb: Any) -> None:
    status, answer = call("GET", "ghost", "engagement-rules", {**OPERATOR, "site_id": "ghost"})
    assert (status, answer["error"]["code"]) == (404, "not_found")


def test_a_site_id_that_is_not_an_id_is_another_site(demo_site: Site) -> None:
    # The tenancy check runs before the path is validated: no operator's site is "demo site".
    status, answer = call("GET", "demo site", "engagement-rules", OPERATOR)
    assert (status, answer["error"]["code"]) == (403, "forbidden")


def test_the_adapter_keeps_every_field_and_reports_throttling_as_retryable(
    dynamodb: Any, store: DynamoEngagementSettingsStore
) -> None:
    import boto3
    from botocore.stub import Stubber

    from klantreis.errors import Throttled

    # round trip of everything a configuration holds, the optional fields included
    config = EngagementConfig.model_validate(
        {**RULES, "rules": [{**RULES["rules"][0], "category": "dameslaarzen", "enabled": False}]}
    )
    store.put_config("demo", config)
    store.put_hours("demo", OpeningHours.model_validate(HOURS))
    assert store.get_config("demo") == config
    assert store.get_hours("demo") == OpeningHours.model_validate(HOURS)
    assert store.get_config("elsewhere") is None
    # a throttled read is the domain's Throttled (429), not a 5xx
    client = boto3.client("dynamodb", region_name="eu-west-1")
    stubbed = DynamoEngagementSettingsStore(client, "klantreis-test")
    with Stubber(client) as stubber:
        stubber.add_client_error("get_item", "ProvisionedThroughputExceededException")
        stubber.add_client_error("put_item", "ThrottlingException")
        with pytest.raises(Throttled):
            stubbed.get_config("demo")
        with pytest.raises(Throttled):
            stubbed.put_hours("demo", OpeningHours.always_open())
