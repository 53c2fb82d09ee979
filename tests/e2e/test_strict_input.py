"""Strict input over HTTP: every body is read as strict JSON whatever its Content-Type, request
models take each value only in its own JSON type, path ids are decoded once, and the caller is
checked before the request is validated. Every refusal is a 4xx in the contract's error shape."""

from __future__ import annotations

import json
from typing import Any

import pytest

from klantreis_local import template
from tests.e2e.conftest import WIDGET, Answer, Api
from tests.factories import batch, event

NO_BODY = {"/v1/agents/{agent_id}/heartbeat"}
BODY_ROUTES = [
    (route.method, route.path)
    for _, route in template.api_routes()
    if route.method in ("POST", "PUT") and route.path not in NO_BODY
]
BODY_ROUTE_IDS = [f"{method} {path}" for method, path in BODY_ROUTES]
OPERATOR_ONLY = {
    "/v1/sites/{site_id}/opening-hours",
    "/v1/sites/{site_id}/engagement-rules",
    "/v1/agents/{agent_id}",
    "/v1/knowledge/entries/{entry_id}",
}
AGENT_ONLY = {"/v1/chats/{chat_id}/messages", "/v1/chats/{chat_id}/discounts"}
BEARER_ANY = {"/v1/chats/{chat_id}/end", "/v1/agents/{agent_id}/status"}
HUGE_INTEGER = "9" * 5_000


def concrete(path: str) -> str:
    ids = {"chat_id": "c-1", "agent_id": "mirjam", "site_id": "demo", "offer_id": "o-1", "entry_id": "e-1"}
    for name, value in ids.items():
        path = path.replace(f"{{{name}}}", value)
    return path


def credentials(api: Api, path: str) -> dict[str, str]:
    """Headers that pass the route's credential check (its body is read next)."""
    if path in OPERATOR_ONLY or path in BEARER_ANY:
        return {"Authorization": f"Bearer {api.token()}"}
    if path in AGENT_ONLY:
        return {"Authorization": f"Bearer {api.token(sub='mirjam', role='agent')}"}
    return {key: value for key, value in WIDGET.items() if key != "Content-Type"}


def send(api: Api, method: str, path: str, raw: str, content_type: str) -> Answer:
    headers = {**credentials(api, path), "Content-Type": content_type}
    return api.request(method, concrete(path), body=raw, headers=headers)


@pytest.mark.e2e
@pytest.mark.parametrize(("method", "path"), BODY_ROUTES, ids=BODY_ROUTE_IDS)
@pytest.mark.parametrize(
    ("content_type", "raw"),
    [
        pytest.param("multipart/form-data", "--x\r\n", id="multipart without a boundary"),
        pytest.param("multipart/form-data; boundary=x", "--x--\r\n", id="multipart with a boundary"),
        pytest.param("application/x-www-form-urlencoded", "a=1", id="a form"),
        pytest.param("application/json", '{"a": ' + HUGE_INTEGER + "}", id="a 5,000-digit integer"),
        pytest.param("application/json", '{"a": 1, "a": 2}', id="a duplicate key"),
        pytest.param("application/json", '{"a": NaN}', id="NaN"),
        pytest.param("application/json", '{"a": 1e999}', id="a number out of range"),
        pytest.param("application/json", "[" * 50_000, id="nesting too deep"),
    ],
)
def test_a_body_that_is_not_strict_json_is_bad_json_on_every_body_route(
    api: Api, method: str, path: str, content_type: str, raw: str
) -> None:
    # when a caller who passes the route's check sends a body that is not strict JSON
    answer = send(api, method, path, raw, content_type)
    # then it is refused as bad JSON, in the contract's shape
    assert answer.status == 400, answer
    assert answer.error_code in ("bad_json", "bad_request"), answer


@pytest.mark.e2e
def test_the_refusal_names_the_repeated_key(api: Api) -> None:
    answer = send(
        api, "POST", "/v1/engagement/decide", '{"visitor_id": "a", "visitor_id": "b"}', "application/json"
    )
    assert (answer.status, answer.error_code) == (400, "bad_json")
    assert "duplicate key 'visitor_id'" in answer.json["error"]["message"]


@pytest.mark.e2e
def test_json_sent_as_text_plain_is_read_as_json(api: Api) -> None:
    # given a widget that posts without a preflight (text/plain), as sendBeacon does
    body = json.dumps({"visitor_id": "anna", "session_id": "s-1", "idle_seconds": 30})
    # when it asks for a decision
    answer = send(api, "POST", "/v1/engagement/decide", body, "text/plain;charset=UTF-8")
    # then the body is read as the JSON it is
    assert answer.status == 200, answer
    assert answer.json["reason"] in {"not_qualified", "holdout", "qualified"}


def decide(**fields: Any) -> dict[str, Any]:
    return {"visitor_id": "anna", "session_id": "s-1", **fields}


DECIDE = "/v1/engagement/decide"
AGENT = {"display_name": "Mirjam", "categories": ["dameslaarzen"], "max_chats": 2}
LAX_VALUES = [
    pytest.param("POST", DECIDE, decide(idle_seconds=False), "idle_seconds", id="idle_seconds false"),
    pytest.param("POST", DECIDE, decide(idle_seconds="30"), "idle_seconds", id="idle_seconds text"),
    pytest.param("POST", DECIDE, decide(idle_seconds=30.5), "idle_seconds", id="idle_seconds 30.5"),
    pytest.param("POST", DECIDE, decide(consent=1), "consent", id="consent 1"),
    pytest.param("POST", DECIDE, decide(consent="true"), "consent", id="consent text"),
    pytest.param("POST", "/v1/chats/{chat_id}/end", {"resolved": 0}, "resolved", id="resolved 0"),
    pytest.param("POST", "/v1/chats/{chat_id}/end", {"resolved": "yes"}, "resolved", id="resolved text"),
    pytest.param(
        "PUT", "/v1/agents/{agent_id}", {**AGENT, "discount_mandate_percent": False},
        "discount_mandate_percent", id="mandate false",
    ),
    pytest.param(
        "PUT", "/v1/agents/{agent_id}", {**AGENT, "max_chats": "2"}, "max_chats", id="max_chats text"
    ),
    pytest.param("POST", "/v1/chats/{chat_id}/discounts", {"percent": True}, "percent", id="percent true"),
    pytest.param("POST", "/v1/chats/{chat_id}/discounts", {"percent": "10"}, "percent", id="percent text"),
    pytest.param(
        "PUT", "/v1/sites/{site_id}/engagement-rules", {"holdout_share": False}, "holdout_share",
        id="holdout_share false",
    ),
    pytest.param(
        "PUT", "/v1/sites/{site_id}/engagement-rules", {"caps": {"per_day": True}}, "caps.per_day",
        id="per_day true",
    ),
    pytest.param(
        "PUT", "/v1/sites/{site_id}/opening-hours", {"exceptions": {"2026-12-25": [[8, 21]]}},
        "exceptions", id="hours as numbers",
    ),
    pytest.param(
        "POST", "/v1/chats", {"visitor_id": "anna", "session_id": "s-1", "message": "hoi",
                               "transcript": [{"author": "bot", "text": "hoi", "at": 0}]},
        "transcript.0.at", id="transcript time 0",
    ),
]  # fmt: skip


@pytest.mark.e2e
@pytest.mark.parametrize(("method", "path", "body", "field"), LAX_VALUES)
def test_a_value_in_another_json_type_is_refused(
    api: Api, method: str, path: str, body: Any, field: str
) -> None:
    # when a value arrives as another JSON type than its own (lax pydantic would coerce it)
    answer = send(api, method, path, json.dumps(body), "application/json")
    # then it is a validation failure naming the field
    assert (answer.status, answer.error_code) == (422, "validation_failed"), answer
    assert any(detail["field"].startswith(field) for detail in answer.json["error"]["details"]), answer


@pytest.mark.e2e
@pytest.mark.parametrize("sent_at", [0, 1_796_000_000, True, "2026-12-04T10:00:00"], ids=repr)
def test_a_batch_time_that_is_not_iso_text_with_a_zone_is_refused(api: Api, sent_at: Any) -> None:
    answer = api.post_events({**batch(event()), "sent_at": sent_at})
    assert (answer.status, answer.error_code) == (422, "validation_failed"), answer
    assert answer.json["error"]["details"][0]["field"] == "sent_at"


@pytest.mark.e2e
def test_an_event_with_a_lax_value_is_rejected_alone(api: Api) -> None:
    body = batch(event(), event("checkout_step"), event())
    body["events"][1]["step"] = "2"
    body["events"][2]["timestamp"] = 0
    answer = api.post_events(body)
    assert answer.status == 200, answer
    assert answer.json["accepted"] == 1
    assert [rejected["index"] for rejected in answer.json["rejected"]] == [1, 2]


@pytest.mark.e2e
def test_iso_times_still_parse(api: Api) -> None:
    # given strict models, a time given as ISO text with a zone is still a time
    said = {"author": "bot", "text": "Waarmee kan ik helpen?", "at": "2026-12-04T10:00:00+01:00"}
    body = {"visitor_id": "anna", "session_id": "s-1", "message": "hoi", "transcript": [said]}
    answer = send(api, "POST", "/v1/chats", json.dumps(body), "application/json")
    assert answer.status == 201, answer
    hours = {
        "timezone": "Europe/Amsterdam",
        "weekly": {"mon": [["08:00", "21:00"]]},
        "exceptions": {"2026-12-25": []},
    }
    stored = send(api, "PUT", "/v1/sites/{site_id}/opening-hours", json.dumps(hours), "application/json")
    assert (stored.status, stored.json) == (200, hours)


@pytest.mark.e2e
@pytest.mark.parametrize("encoded", ["a%40b", "a%40b%2Bc"], ids=["a%40b", "a%40b%2Bc"])
def test_a_percent_encoded_visitor_id_is_the_decoded_id(api: Api, encoded: str) -> None:
    # given a visitor whose id holds characters a client may percent-encode
    from urllib.parse import unquote

    visitor_id = unquote(encoded)
    assert api.post_events(batch(event(), visitor_id=visitor_id)).status == 200
    authorization = f"Bearer {api.token()}"
    # when the operator erases it by its encoded id
    erased = api.delete_visitor(encoded, authorization)
    # then the decoded id is erased, exactly as when named plainly (nothing is left to erase)
    assert erased.status == 200, erased
    assert erased.json["visitor_id"] == visitor_id
    assert erased.json["erased_items"] > 0
    again = api.delete_visitor(visitor_id, authorization)
    assert (again.status, again.json["erased_items"]) == (200, 0)


@pytest.mark.e2e
def test_a_twice_encoded_id_is_decoded_once(api: Api) -> None:
    answer = api.delete_visitor("a%2540b", f"Bearer {api.token()}")
    assert (answer.status, answer.error_code) == (422, "validation_failed")


@pytest.mark.e2e
@pytest.mark.parametrize("setting", ["engagement-rules", "opening-hours"])
def test_another_sites_operator_gets_403_before_any_validation(api: Api, setting: str) -> None:
    # given an operator of site B
    other = {"Authorization": f"Bearer {api.token(site_id='other')}", "Content-Type": "application/json"}
    # when they PUT invalid settings for site A (the demo site)
    invalid = (
        {"holdout_share": "lots", "rules": [{"rule_id": "x"}]} if setting == "engagement-rules" else {"tz": 1}
    )
    answer = api.request("PUT", f"/v1/sites/demo/{setting}", body=invalid, headers=other)
    # then they learn only that it is not theirs: nothing about site A's fields
    assert (answer.status, answer.error_code) == (403, "forbidden"), answer
    assert "details" not in answer.json["error"]


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        pytest.param("PUT", "/v1/agents/mirjam", "agent", id="an agent sets a profile"),
        pytest.param("PUT", "/v1/agents/sven/status", "agent", id="an agent sets another's status"),
        pytest.param("POST", "/v1/chats/c-1/discounts", "operator", id="an operator gives a discount"),
        pytest.param("POST", "/v1/chats/c-1/messages", "operator", id="an operator writes"),
        pytest.param("POST", "/v1/chats", "foreign origin", id="a widget on another origin"),
        pytest.param("POST", "/v1/surveys", "foreign origin", id="a survey from another origin"),
    ],
)
def test_a_wrong_role_or_origin_is_403_before_the_body_is_validated(
    api: Api, method: str, path: str, headers: str
) -> None:
    chosen = {
        "agent": {"Authorization": f"Bearer {api.token(sub='mirjam', role='agent')}"},
        "operator": {"Authorization": f"Bearer {api.token()}"},
        "foreign origin": {**WIDGET, "Origin": "https://evil.example"},
    }[headers]
    answer = api.request(
        method, path, body={"not": "valid"}, headers={**chosen, "Content-Type": "application/json"}
    )
    assert (answer.status, answer.error_code) == (403, "forbidden"), answer


@pytest.mark.e2e
@pytest.mark.parametrize(("method", "path"), BODY_ROUTES, ids=BODY_ROUTE_IDS)
def test_no_credentials_is_401_before_the_body_is_validated(api: Api, method: str, path: str) -> None:
    answer = api.request(
        method, concrete(path), body="{not json", headers={"Content-Type": "application/json"}
    )
    assert (answer.status, answer.error_code) == (401, "unauthorized"), answer
