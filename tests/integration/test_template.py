"""template.yaml is deployable and matches the code: cfn-lint is clean, the SAM translator turns it
into CloudFormation, every Handler imports to a callable, and the routes the template declares are
exactly the routes each function's resolver serves."""

from __future__ import annotations

import copy
import re
from collections import Counter
from typing import Any

import boto3
import pytest
from cfnlint.api import lint_file
from cfnlint.config import ManualArgs
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

from klantreis.api import declared_routes
from klantreis_local import template
from klantreis_local.openapi import function_resolver

FUNCTIONS = template.functions()
LINT_REGIONS = ["eu-west-1", "eu-central-1", "us-east-1"]
ARCHITECTURES = ["arm64", "x86_64"]


def by_id(spec: template.FunctionSpec) -> str:
    return spec.logical_id


def translate(parameters: dict[str, str]) -> dict[str, Any]:
    """The template as CloudFormation, the way the SAM transform turns it after `sam package`
    (which replaces local code paths with S3 locations)."""
    document = copy.deepcopy(template.load())
    for resource in document["Resources"].values():
        properties = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri"):
            if isinstance(properties.get(key), str):
                properties[key] = f"s3://klantreis-artifacts/{properties[key].strip('/')}.zip"
    translator = Translator({}, Parser(), boto_session=boto3.Session(region_name="eu-west-1"))
    try:
        translated: dict[str, Any] = translator.translate(document, parameter_values=parameters)
    except InvalidDocumentException as exc:
        pytest.fail("SAM cannot translate template.yaml:\n" + "\n".join(str(c) for c in exc.causes))
    return translated


def test_cfn_lint_finds_nothing() -> None:
    matches = lint_file(template.TEMPLATE, ManualArgs(regions=LINT_REGIONS))
    assert [str(match) for match in matches] == []


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_sam_translates_the_template_into_cloudformation(architecture: str) -> None:
    # when the transform runs with either architecture
    translated = translate({"Architecture": architecture, "Stage": "dev"})
    resources = translated["Resources"]
    # then no serverless resource is left and every function became a Lambda function
    assert "Transform" not in translated
    assert sorted(n for n, r in resources.items() if r["Type"].startswith("AWS::Serverless::")) == []
    lambdas = {n for n, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}
    assert lambdas == {spec.logical_id for spec in FUNCTIONS}
    for name in lambdas:
        assert resources[name]["Properties"]["Architectures"] == [{"Ref": "Architecture"}]


def test_each_function_gets_exactly_the_layers_it_lists() -> None:
    """SAM adds Globals' lists to a function's own, so layers belong on each function: a function
    listing `Layers: []` (the Cognito trigger) must get none."""
    translated = translate({"Architecture": "arm64"})["Resources"]
    sam_resources = template.load()["Resources"]
    for spec in FUNCTIONS:
        listed = [ref["Ref"] for ref in sam_resources[spec.logical_id]["Properties"].get("Layers", [])]
        got = [
            re.sub(r"[0-9a-f]{10}$", "", ref["Ref"])
            for ref in translated[spec.logical_id]["Properties"].get("Layers", [])
        ]
        assert got == listed, spec.logical_id


@pytest.mark.parametrize("spec", FUNCTIONS, ids=by_id)
def test_the_handler_imports_to_a_callable(spec: template.FunctionSpec) -> None:
    handler = spec.load_handler()
    assert callable(handler)


@pytest.mark.parametrize("spec", FUNCTIONS, ids=by_id)
def test_the_template_declares_exactly_the_routes_the_resolver_serves(spec: template.FunctionSpec) -> None:
    # given the routes template.yaml sends to this function
    declared = {(route.method, route.path) for route in spec.routes}
    # when its handler's resolver is asked what it serves (a stream consumer or a Cognito trigger
    # has no resolver and serves nothing)
    app = function_resolver(spec)
    served = declared_routes(app) if app is not None else set()
    # then neither has a route the other lacks
    assert {"only in template.yaml": declared - served, "only in the resolver": served - declared} == {
        "only in template.yaml": set(),
        "only in the resolver": set(),
    }


def test_functions_without_a_resolver_are_the_stream_schedule_and_cognito_triggers() -> None:
    without = {spec.logical_id for spec in FUNCTIONS if function_resolver(spec) is None}
    stream_consumers = {spec.logical_id for spec in FUNCTIONS if spec.stream_source}
    scheduled = {spec.logical_id for spec in FUNCTIONS if spec.schedule_seconds}
    cognito_triggers = {
        trigger["Fn::GetAtt"][0]
        for pool in template.resources("AWS::Cognito::UserPool").values()
        for trigger in (pool["Properties"].get("LambdaConfig") or {}).values()
    }
    assert without == stream_consumers | scheduled | cognito_triggers
    assert without == {
        "AggregateFunction",
        "LiveFunction",
        "ReportAlertsFunction",
        "ReportNightlyFunction",
        "RouteSweepFunction",
        "TokenClaimsFunction",
    }


def test_no_route_is_declared_twice() -> None:
    counted = Counter((route.method, route.path) for _, route in template.api_routes())
    assert [key for key, count in counted.items() if count > 1] == []
