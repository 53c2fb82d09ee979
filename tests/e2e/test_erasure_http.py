"""DELETE /v1/visitors/{visitor_id} over HTTP: the local gateway checks the bearer token as
Cognito's authorizer does, the function checks role and site."""

from __future__ import annotations

import time
from typing import Any

import pytest

from klantreis.auth import Principal
from klantreis.journey.dynamo_store import DynamoSessionStore
from klantreis_local import tokens
from tests.e2e.conftest import Api
from tests.factories import anna_journey, batch, event

VISITOR = "anna-e2e-4711"


@pytest.fixture
def tracked(api: Api) -> None:
    """Anna's journey in two sessions, and another visitor who must survive her erasure."""
    for body in (
        batch(*anna_journey(), visitor_id=VISITOR, session_id="s-1"),
        batch(event("page_view"), visitor_id=VISITOR, session_id="s-2"),
        batch(event("page_view"), visitor_id="bram", session_id="s-3"),
    ):
        assert api.post_events(body).status == 200


def all_items(dynamodb: Any, table_name: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table_name}
    while True:
        page = dynamodb.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def forged(claims: dict[str, str]) -> str:
    """A well-formed token signed with a key other than the server's."""
    return tokens.issue(Principal.model_validate(claims), secret=b"not the server's secret")


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="no token"),
        pytest.param("Bearer ", id="empty token"),
        pytest.param("Bearer not-a-token", id="garbage"),
        pytest.param("Bearer " + forged({"sub": "ops", "site_id": "demo", "role": "operator"}), id="forged"),
        pytest.param("Basic b3BzOm9wcw==", id="another scheme"),
    ],
)
def test_without_a_valid_token_nothing_is_erased(
    api: Api, tracked: None, sessions: DynamoSessionStore, authorization: str | None
) -> None:
    answer = api.delete_visitor(VISITOR, authorization)
    assert (answer.status, answer.error_code) == (401, "unauthorized")
    assert sessions.visitor_has_sessions("demo", VISITOR)


def test_a_tampered_token_is_refused(api: Api, tracked: None, sessions: DynamoSessionStore) -> None:
    # given an agent's real token whose claims are rewritten to an operator's
    payload, signature = api.token(sub="mirjam", role="agent").split(".")
    promoted = tokens.issue(Principal(sub="mirjam", site_id="demo", role="operator")).split(".")[0]
    # when it is used with the agent's signature
    answer = api.delete_visitor(VISITOR, f"Bearer {promoted}.{signature}")
    # then the gateway refuses it before the function runs
    assert payload != promoted
    assert (answer.status, answer.error_code) == (401, "unauthorized")
    assert sessions.visitor_has_sessions("demo", VISITOR)


def test_an_expired_token_is_refused(api: Api, tracked: None, sessions: DynamoSessionStore) -> None:
    operator = Principal(sub="ops", site_id="demo", role="operator")
    expired = tokens.issue(operator, now=time.time() - tokens.LIFETIME_SECONDS - 1)
    answer = api.delete_visitor(VISITOR, f"Bearer {expired}")
    assert (answer.status, answer.error_code) == (401, "unauthorized")
    assert sessions.visitor_has_sessions("demo", VISITOR)


def test_an_agent_may_not_erase(api: Api, tracked: None, sessions: DynamoSessionStore) -> None:
    answer = api.delete_visitor(VISITOR, f"Bearer {api.token(sub='mirjam', role='agent')}")
    assert (answer.status, answer.error_code) == (403, "forbidden")
    assert sessions.visitor_has_sessions("demo", VISITOR)


def test_the_sites_operator_erases_every_item_of_the_visitor(
    api: Api, tracked: None, sessions: DynamoSessionStore, dynamodb: Any, table_name: str
) -> None:
    # given Anna's items in the table
    assert any(VISITOR in repr(item) for item in all_items(dynamodb, table_name))
    # when the demo site's operator erases her
    answer = api.delete_visitor(VISITOR, f"Bearer {api.token(sub='ops', role='operator')}")
    # then no item names her any more, and the other visitor is untouched
    assert answer.status == 200
    assert answer.json["visitor_id"] == VISITOR
    assert answer.json["erased_items"] >= 2
    remaining = all_items(dynamodb, table_name)
    assert [item for item in remaining if VISITOR in repr(item)] == []
    assert sessions.get("demo", "bram", "s-3") is not None


def test_another_sites_operator_erases_nothing_of_this_site(
    api: Api, tracked: None, sessions: DynamoSessionStore, dynamodb: Any, table_name: str
) -> None:
    before = all_items(dynamodb, table_name)
    answer = api.delete_visitor(
        VISITOR, f"Bearer {api.token(site_id='other-shop', sub='ops', role='operator')}"
    )
    assert answer.status == 200
    assert answer.json["erased_items"] == 0
    assert all_items(dynamodb, table_name) == before
    assert sessions.get("demo", VISITOR, "s-1") is not None
