"""docs/openapi.json is a valid OpenAPI 3.1 document that lists every refusal each operation can
answer, each in the contract's error shape, and its links lead to operations it has."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator

from klantreis_local import openapi

ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorAnswer"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi.build_document()


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in openapi.HTTP_METHODS
    ]


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    errors = [error.message for error in OpenAPIV31SpecValidator(document).iter_errors()]
    assert errors == []


def test_no_schema_uses_the_tuple_form_of_items(document: dict[str, Any]) -> None:
    def tuple_items(value: Any) -> list[Any]:
        if isinstance(value, dict):
            found = [value] if isinstance(value.get("items"), list) else []
            return found + [hit for item in value.values() for hit in tuple_items(item)]
        if isinstance(value, list):
            return [hit for item in value for hit in tuple_items(item)]
        return []

    assert tuple_items(document) == []


def test_every_operation_lists_its_refusals_in_the_error_shape(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        responses = operation["responses"]
        expected = {"401", "403", "429"}
        if "requestBody" in operation:
            expected |= {"400", "422"}
        if "{" in path:
            expected.add("404")
        assert expected <= set(responses), (method, path, sorted(responses))
        for status, response in responses.items():
            if status.startswith("4"):
                assert response["content"] == {"application/json": {"schema": ERROR_SCHEMA}}, (method, path)
                assert response["description"], (method, path, status)
        assert "Retry-After" in responses["429"]["headers"]
        assert any(status.startswith("2") for status in responses), (method, path)


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("PUT", "/v1/agents/{agent_id}", {"200", "201"}),
        ("POST", "/v1/chats", {"201", "404", "409"}),
        ("POST", "/v1/chats/{chat_id}/messages", {"201", "409", "413"}),
        ("POST", "/v1/chats/{chat_id}/discounts", {"201", "409"}),
        ("POST", "/v1/chats/{chat_id}/end", {"200", "409"}),
        ("POST", "/v1/events", {"200", "413"}),
        ("PUT", "/v1/sites/{site_id}/engagement-rules", {"200", "413"}),
        ("POST", "/v1/surveys", {"201", "404", "409"}),
        ("POST", "/v1/engagement/offers/{offer_id}/response", {"200", "409"}),
        ("GET", "/v1/reports/daily", {"200", "404"}),
    ],
)
def test_route_specific_answers_are_listed(
    document: dict[str, Any], method: str, path: str, statuses: set[str]
) -> None:
    assert statuses <= set(document["paths"][path][method.lower()]["responses"])


def test_links_lead_to_operations_of_the_document(document: dict[str, Any]) -> None:
    operation_ids = {operation["operationId"] for _, _, operation in operations(document)}
    links = [
        link
        for _, _, operation in operations(document)
        for response in operation["responses"].values()
        for link in (response.get("links") or {}).values()
    ]
    assert len(links) >= 10
    assert {link["operationId"] for link in links} <= operation_ids
    new_chat = document["paths"]["/v1/chats"]["post"]["responses"]["201"]["links"]
    assert new_chat["SurveyTheChat"]["requestBody"]["token"] == "$response.body#/survey_token"
