"""docs/openapi.json is what the resolvers and template.yaml generate, and it says what the API does:
every declared route, the right security scheme per route, the bodies routes parse themselves and
the error answer the API really gives."""

from __future__ import annotations

import json
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest

from klantreis.api import error_response
from klantreis_local import openapi, template

COMMITTED = template.ROOT / "docs" / "openapi.json"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi.build_document()


def operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"][path][method.lower()]
    return found


def test_the_committed_document_is_current() -> None:
    assert openapi.main(["--check", str(COMMITTED)]) == 0, "docs/openapi.json is stale: run `make openapi`"


def test_generation_is_deterministic() -> None:
    assert openapi.render() == openapi.render()


def test_check_fails_on_a_stale_or_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = tmp_path / "openapi.json"
    stale.write_text(COMMITTED.read_text().replace('"Klantreis API"', '"Old API"'))
    assert openapi.main(["--check", str(stale)]) == 1
    assert "make openapi" in capsys.readouterr().err
    assert openapi.main(["--check", str(tmp_path / "missing.json")]) == 1


def test_write_then_check_agree(tmp_path: Path) -> None:
    target = tmp_path / "docs" / "openapi.json"
    assert openapi.main(["--write", str(target)]) == 0
    assert openapi.main(["--check", str(target)]) == 0


def test_title_and_version_come_from_the_project(document: dict[str, Any]) -> None:
    assert document["info"]["title"] == "Klantreis API"
    assert document["info"]["version"] == openapi.project_version()


def test_every_declared_route_is_documented_once(document: dict[str, Any]) -> None:
    documented = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in openapi.HTTP_METHODS
    }
    assert documented == {(route.method, route.path) for _, route in template.api_routes()}


def test_paths_use_the_template_syntax(document: dict[str, Any]) -> None:
    assert all("<" not in path and ">" not in path for path in document["paths"])


def test_authorizer_routes_need_a_bearer_token_and_widget_routes_the_site_key(
    document: dict[str, Any],
) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["SiteKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Site-Key",
        "description": schemes["SiteKey"]["description"],
    }
    assert (schemes["CognitoBearer"]["type"], schemes["CognitoBearer"]["scheme"]) == ("http", "bearer")
    shared = {("GET", "/v1/chats/{chat_id}"), ("POST", "/v1/chats/{chat_id}/messages")}
    for _, route in template.api_routes():
        security = operation(document, route.method, route.path)["security"]
        if (route.method, route.path) in shared:
            # the widget with its chat token, or the chat's agent with a bearer token
            assert security == [
                {"SiteKey": [], "ChatToken": []},
                {"SiteKeyQuery": [], "ChatToken": []},
                {"CognitoBearer": []},
            ], route
        elif route.authorized:
            assert security == [{"CognitoBearer": []}], route
        else:
            # the header form, or the query form of a CORS-simple request (sendBeacon)
            assert security == [{"SiteKey": []}, {"SiteKeyQuery": []}], route
            body = operation(document, route.method, route.path).get("requestBody")
            if body:
                assert body["content"]["text/plain"] == body["content"]["application/json"], route
    assert (schemes["SiteKeyQuery"]["in"], schemes["SiteKeyQuery"]["name"]) == ("query", "site_key")


def test_bodies_parsed_by_the_route_are_documented(document: dict[str, Any]) -> None:
    from track.routes import REQUEST_BODIES

    for (method, path), model in REQUEST_BODIES.items():
        body = operation(document, method, path)["requestBody"]
        assert body["required"] is True
        assert body["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{model.__name__}"
        }
        assert model.__name__ in document["components"]["schemas"]


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    referenced = set(openapi.schema_references(document))
    assert referenced <= set(schemas)
    assert set(schemas) == openapi.used_schemas(document["paths"], schemas)


def test_validation_failures_are_documented_in_the_contracts_error_shape(document: dict[str, Any]) -> None:
    # given what the API answers when validation fails
    answer = error_response(
        HTTPStatus.UNPROCESSABLE_ENTITY, "validation_failed", "events.0.type: bad", [{"f": 1}]
    )
    # then the documented schema describes it
    assert isinstance(answer.body, str)
    openapi.ErrorAnswer.model_validate(json.loads(answer.body))
    for path, item in document["paths"].items():
        for method, op in item.items():
            refused = op["responses"].get("422")
            if refused is not None:
                schema = refused["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorAnswer"}, (method, path)
