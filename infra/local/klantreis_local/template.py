"""Reads template.yaml, the single source of truth for the table schema, the functions and their
routes, for the local stack and the tests."""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from klantreis_local import iam

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that keeps CloudFormation short-form tags (!Ref, !Sub, ...) as plain maps."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
FOR_EACH = "Fn::ForEach::"


@cache
def load(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as CloudFormation hands it to the SAM transform: the language extensions'
    `Fn::ForEach` families expanded and their `Fn::FindInMap`s resolved."""
    with path.open() as handle:
        document: dict[str, Any] = yaml.load(handle, Loader=_CfnLoader)
    return expand_language_extensions(document)


def expand_language_extensions(document: dict[str, Any]) -> dict[str, Any]:
    """What the `AWS::LanguageExtensions` transform does with the parts we use: each
    `Fn::ForEach::<family>` of Resources/Outputs/Conditions becomes one entry per item, with
    `${Identifier}`/`&{Identifier}` replaced in names and strings and `Ref: Identifier` by the item;
    then every `Fn::FindInMap` over literals (with an optional `DefaultValue`) is looked up."""
    transforms = document.get("Transform")
    if not isinstance(transforms, list) or LANGUAGE_EXTENSIONS not in transforms:
        return document
    expanded = dict(document)
    remaining = [name for name in transforms if name != LANGUAGE_EXTENSIONS]
    expanded["Transform"] = remaining[0] if len(remaining) == 1 else remaining
    mappings = document.get("Mappings") or {}
    for section in ("Resources", "Outputs", "Conditions"):
        if section in document:
            expanded[section] = _find_in_map(_for_each(document[section]), mappings)
    return expanded


def _for_each(section: dict[str, Any]) -> dict[str, Any]:
    entries: dict[str, Any] = {}
    for name, value in section.items():
        if not name.startswith(FOR_EACH):
            entries[name] = value
            continue
        identifier, items, fragment = value
        for item in items:
            entries.update(_for_each(_replace(fragment, identifier, str(item))))
    return entries


def _replace(node: Any, identifier: str, item: str) -> Any:
    if isinstance(node, str):
        return node.replace(f"${{{identifier}}}", item).replace(f"&{{{identifier}}}", item)
    if isinstance(node, list):
        return [_replace(element, identifier, item) for element in node]
    if isinstance(node, dict):
        if node == {"Ref": identifier}:
            return item
        return {_replace(key, identifier, item): _replace(v, identifier, item) for key, v in node.items()}
    return node


def _find_in_map(node: Any, mappings: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_find_in_map(element, mappings) for element in node]
    if not isinstance(node, dict):
        return node
    arguments = node.get("Fn::FindInMap") if len(node) == 1 else None
    if isinstance(arguments, list) and all(isinstance(a, str) for a in arguments[:3]):
        name, top, second, *options = arguments
        row = mappings.get(name, {}).get(top, {})
        if second in row:
            return row[second]
        if options and "DefaultValue" in options[0]:
            return options[0]["DefaultValue"]
        raise ValueError(f"template.yaml: {name}.{top} has no {second} and no DefaultValue")
    return {key: _find_in_map(value, mappings) for key, value in node.items()}


def resources(kind: str, path: Path = TEMPLATE) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in load(path)["Resources"].items() if res.get("Type") == kind}


def table_definition(path: Path = TEMPLATE) -> dict[str, Any]:
    """CreateTable arguments for the template's one DynamoDB table (name left to the caller)."""
    tables = resources("AWS::DynamoDB::Table", path)
    if len(tables) != 1:
        raise ValueError(f"expected one table in the template, found {sorted(tables)}")
    props = next(iter(tables.values()))["Properties"]
    definition: dict[str, Any] = {
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        definition["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if props.get("StreamSpecification"):
        definition["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    return definition


def ttl_attribute(path: Path = TEMPLATE) -> str | None:
    props = next(iter(resources("AWS::DynamoDB::Table", path).values()))["Properties"]
    ttl = props.get("TimeToLiveSpecification") or {}
    return ttl.get("AttributeName") if ttl.get("Enabled") else None


def create_table(dynamodb: Any, table_name: str, path: Path = TEMPLATE) -> None:
    """Creates the table exactly as the template declares it (keys, GSIs, stream, TTL)."""
    dynamodb.create_table(TableName=table_name, **table_definition(path))
    dynamodb.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 0.2})
    attribute = ttl_attribute(path)
    if attribute:
        dynamodb.update_time_to_live(
            TableName=table_name, TimeToLiveSpecification={"AttributeName": attribute, "Enabled": True}
        )


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    authorized: bool
    """True where the template puts the Cognito authorizer in front (agent/operator routes)."""


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_uri: str
    handler: str
    routes: tuple[Route, ...] = ()
    environment: dict[str, Any] = field(default_factory=dict)
    stream_source: bool = False
    schedule_seconds: float | None = None
    """The period of a `Schedule` event (`rate(...)`), for the local stack's scheduler."""
    dynamodb_grants: frozenset[iam.Grant] = frozenset()
    """The DynamoDB actions its policy allows, on the table or an index (`iam.dynamodb_grants`)."""

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    def load_handler(self) -> Callable[[dict[str, Any], Any], Any]:
        """The handler as the local stack runs it: under the function's DynamoDB grants, so a
        call its policy does not allow fails here as it would deployed (`iam`)."""
        module_name, attribute = self.handler.rsplit(".", 1)
        handler: Callable[[dict[str, Any], Any], Any] = getattr(
            importlib.import_module(module_name), attribute
        )
        return iam.enforced(self.logical_id, self.dynamodb_grants, handler)


def functions(path: Path = TEMPLATE) -> list[FunctionSpec]:
    document = load(path)
    global_env = document.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    specs = []
    for name, resource in resources("AWS::Serverless::Function", path).items():
        props = resource["Properties"]
        routes = []
        stream = False
        schedule: float | None = None
        for event in (props.get("Events") or {}).values():
            if event["Type"] == "Api":
                event_props = event["Properties"]
                authorizer = (event_props.get("Auth") or {}).get("Authorizer")
                routes.append(
                    Route(
                        method=event_props["Method"].upper(),
                        path=event_props["Path"],
                        authorized=bool(authorizer) and authorizer != "NONE",
                    )
                )
            elif event["Type"] == "DynamoDB":
                stream = True
            elif event["Type"] == "Schedule":
                schedule = rate_seconds(str(event["Properties"]["Schedule"]))
        env = {**global_env, **(props.get("Environment") or {}).get("Variables", {})}
        specs.append(
            FunctionSpec(
                logical_id=name,
                code_uri=props["CodeUri"],
                handler=props["Handler"],
                routes=tuple(sorted(routes, key=lambda r: (r.path, r.method))),
                environment=env,
                stream_source=stream,
                schedule_seconds=schedule,
                dynamodb_grants=iam.dynamodb_grants(props),
            )
        )
    return sorted(specs, key=lambda spec: spec.logical_id)


def function(logical_id: str, path: Path = TEMPLATE) -> FunctionSpec:
    [spec] = [spec for spec in functions(path) if spec.logical_id == logical_id]
    return spec


def handler(logical_id: str, path: Path = TEMPLATE) -> Callable[[dict[str, Any], Any], Any]:
    """One function's handler as the local stack runs it (under its DynamoDB grants)."""
    return function(logical_id, path).load_handler()


RATE_UNITS = {"minute": 60, "minutes": 60, "hour": 3600, "hours": 3600, "day": 86_400, "days": 86_400}


def rate_seconds(expression: str) -> float:
    """`rate(1 minute)` as 60.0; cron expressions are not run locally (ValueError)."""
    match = re.fullmatch(r"rate\((\d+) (\w+)\)", expression.strip())
    if not match or match.group(2) not in RATE_UNITS:
        raise ValueError(f"the local stack runs rate(...) schedules only, not {expression!r}")
    return float(int(match.group(1)) * RATE_UNITS[match.group(2)])


def api_routes(path: Path = TEMPLATE) -> list[tuple[FunctionSpec, Route]]:
    return [(spec, route) for spec in functions(path) for route in spec.routes]


EXPANDED = ROOT / "template.expanded.json"
"""What `make package` hands `sam build`: SAM CLI cannot read `Fn::ForEach` itself (aws-sam-cli
#5647, serverless-application-model #3641), so it builds the expanded template (JSON, next to
template.yaml so code paths stay relative to the root)."""


def write_expanded(path: Path = TEMPLATE, out: Path = EXPANDED) -> Path:
    out.write_text(json.dumps(load(path), indent=1) + "\n")
    return out


if __name__ == "__main__":
    print(write_expanded())
