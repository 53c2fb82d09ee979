"""The alarm families template.yaml generates with `Fn::ForEach` (AWS::LanguageExtensions): every
function alarms on its errors, every API function on Lambda throttling, every stream consumer when
it lags; the template reader expands the families as CloudFormation does, and the operator's
dashboard shows what the alarms watch."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from klantreis_local import template

RESOURCES = template.load()["Resources"]
FUNCTIONS = template.functions()


def alarms_on(metric: str) -> dict[str, dict[str, Any]]:
    """Function logical id -> the properties of its alarm on this AWS/Lambda metric."""
    found = {}
    for alarm in template.resources("AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        if properties["Namespace"] == "AWS/Lambda" and properties["MetricName"] == metric:
            (dimension,) = properties["Dimensions"]
            reference = dimension["Value"]["Fn::Sub"]
            found[reference.removeprefix("${").removesuffix("}")] = properties
    return found


def test_every_function_alarms_on_its_errors() -> None:
    errors = alarms_on("Errors")
    assert set(errors) == {spec.logical_id for spec in FUNCTIONS}
    for properties in errors.values():
        assert isinstance(properties["AlarmDescription"], str)
        assert properties["AlarmDescription"]
        assert properties["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_every_api_function_alarms_when_lambda_throttles_it() -> None:
    api_functions = {spec.logical_id for spec in FUNCTIONS if spec.routes}
    assert set(alarms_on("Throttles")) == api_functions


def test_every_stream_consumer_alarms_when_it_lags() -> None:
    stream_consumers = {spec.logical_id for spec in FUNCTIONS if spec.stream_source}
    ages = alarms_on("IteratorAge")
    assert set(ages) == stream_consumers
    for properties in ages.values():
        assert properties["Threshold"] > 0
        assert properties["Statistic"] == "Maximum"


def test_the_rows_of_the_alarm_map_override_the_defaults() -> None:
    errors = alarms_on("Errors")
    assert (errors["RouteSweepFunction"]["Threshold"], errors["RouteSweepFunction"]["Period"]) == (3, 300)
    assert (errors["ReportNightlyFunction"]["Threshold"], errors["ReportNightlyFunction"]["Period"]) == (
        1,
        3600,
    )
    assert (errors["TrackFunction"]["Threshold"], errors["TrackFunction"]["Period"]) == (1, 300)


def test_no_language_extension_is_left_for_sam() -> None:
    document = template.load()
    assert document["Transform"] == "AWS::Serverless-2016-10-31"
    assert not [name for name in document["Resources"] if name.startswith(template.FOR_EACH)]
    assert "Fn::FindInMap" not in json.dumps(document["Resources"])


def test_for_each_expands_names_strings_refs_and_nested_families() -> None:
    # given a family inside a family, with a map lookup and its default
    document = {
        "Transform": [template.LANGUAGE_EXTENSIONS, "AWS::Serverless-2016-10-31"],
        "Mappings": {"Sizes": {"A": {"Size": 1}}},
        "Resources": {
            "Fn::ForEach::Outer": [
                "Letter",
                ["A", "B"],
                {
                    "Fn::ForEach::Inner": [
                        "Digit",
                        ["1"],
                        {
                            "${Letter}&{Digit}Thing": {
                                "Type": "Kind",
                                "Properties": {
                                    "Name": {"Ref": "Letter"},
                                    "Label": {"Fn::Sub": "${Letter}-${Digit}-${AWS::Region}"},
                                    "Size": {
                                        "Fn::FindInMap": [
                                            "Sizes",
                                            {"Ref": "Letter"},
                                            "Size",
                                            {"DefaultValue": 9},
                                        ]
                                    },
                                },
                            }
                        },
                    ]
                },
            ],
            "Plain": {"Type": "Kind"},
        },
    }
    # when it is expanded
    expanded = template.expand_language_extensions(document)
    # then each item got its own resource, the map was read, and the rest is untouched
    assert expanded["Transform"] == "AWS::Serverless-2016-10-31"
    assert expanded["Resources"] == {
        "A1Thing": {
            "Type": "Kind",
            "Properties": {"Name": "A", "Label": {"Fn::Sub": "A-1-${AWS::Region}"}, "Size": 1},
        },
        "B1Thing": {
            "Type": "Kind",
            "Properties": {"Name": "B", "Label": {"Fn::Sub": "B-1-${AWS::Region}"}, "Size": 9},
        },
        "Plain": {"Type": "Kind"},
    }


def test_a_map_lookup_without_row_or_default_is_refused() -> None:
    document = {
        "Transform": [template.LANGUAGE_EXTENSIONS],
        "Resources": {
            "Thing": {"Type": "Kind", "Properties": {"Size": {"Fn::FindInMap": ["Sizes", "A", "Size"]}}}
        },
    }
    with pytest.raises(ValueError, match=r"Sizes\.A has no Size"):
        template.expand_language_extensions(document)


def test_the_dashboard_shows_every_function_and_resource_it_names() -> None:
    body = RESOURCES["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    # the substitutions name existing resources (or their attributes) and pseudo parameters only
    for name in re.findall(r"\$\{([^}]+)\}", body):
        assert name.split(".")[0] in RESOURCES or name in ("Stage", "AWS::Region"), name
    shown = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))
    titles = [widget["properties"]["title"] for widget in shown["widgets"]]
    assert len(titles) == 6
    functions_named = set(re.findall(r"\$\{(\w+Function)\}", body))
    assert functions_named == {spec.logical_id for spec in FUNCTIONS}


def test_snapstart_is_an_operator_option_off_by_default() -> None:
    from tests.integration.test_template import translate

    assert template.load()["Parameters"]["SnapStart"]["Default"] == "None"
    # when an operator turns it on
    resources = translate({"Architecture": "arm64", "SnapStart": "PublishedVersions"})["Resources"]
    lambdas = {n: r for n, r in resources.items() if r["Type"] == "AWS::Lambda::Function"}
    # then every function snapshots its published versions, which a `live` alias points at
    assert {n: r["Properties"]["SnapStart"] for n, r in lambdas.items()} == {
        n: {"ApplyOn": {"Ref": "SnapStart"}} for n in lambdas
    }
    aliases = {
        r["Properties"]["FunctionName"]["Ref"]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Alias"
    }
    assert aliases == set(lambdas)


def test_make_package_builds_the_template_expanded(tmp_path: Path) -> None:
    """SAM CLI cannot read Fn::ForEach (aws-sam-cli #5647): `make package` hands it this file."""
    written = template.write_expanded(out=tmp_path / "template.expanded.json")
    expanded = json.loads(written.read_text())
    assert expanded == json.loads(json.dumps(template.load()))
    assert "Fn::ForEach" not in written.read_text()
    assert expanded["Resources"]["TrackErrorsAlarm"]["Type"] == "AWS::CloudWatch::Alarm"
