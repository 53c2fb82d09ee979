"""Each function's DynamoDB permissions from template.yaml, enforced on the local stack.

moto (and DynamoDB Local) accept every call, so a function that calls DynamoDB beyond the
statements its template policy grants would pass every local test and fail only when deployed,
with AccessDeniedException: a 5xx. Locally, each handler runs under its function's grants
(`enforced`): a DynamoDB call they do not cover is refused as IAM refuses it.

IAM's rules for DynamoDB, as applied here: a table's ARN does not cover its indexes (a Query on
GSI1 needs the index's ARN); transactions have no action of their own, each part needs the
action of its kind (Put → PutItem, Update → UpdateItem, Delete → DeleteItem, ConditionCheck →
ConditionCheckItem, Get → GetItem); BatchGetItem and BatchWriteItem are actions of their own.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

TABLE = "table"
"""The resource `!GetAtt Table.Arn` names; an index is `index/<name>`."""

Grant = tuple[str, str]
"""An action and the resource it is allowed on: ("dynamodb:Query", "index/GSI1")."""

Handler = Callable[[dict[str, Any], Any], Any]

_TRANSACTION_PARTS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}
_HOOK = "klantreis-local-iam"


@dataclass(frozen=True)
class Access:
    """What one call needs: an action on the table (or one of its indexes) of that name."""

    action: str
    table: str
    resource: str


@dataclass(frozen=True)
class _Acting:
    function: str
    grants: frozenset[Grant]


_acting: ContextVar[_Acting | None] = ContextVar("klantreis_local_iam", default=None)


def dynamodb_grants(properties: Mapping[str, Any]) -> frozenset[Grant]:
    """The DynamoDB actions a function's `Policies` allow, each on the table or an index of it
    (statements under `Fn::If` count as granted: the broader branch)."""
    grants: set[Grant] = set()
    for statement in _statements(properties.get("Policies") or []):
        actions = statement["Action"]
        resources = statement["Resource"]
        for action in [actions] if isinstance(actions, str) else actions:
            if not str(action).startswith("dynamodb:"):
                continue
            for resource in resources if isinstance(resources, list) else [resources]:
                named = _table_resource(resource)
                if named is not None:
                    grants.add((str(action), named))
    return frozenset(grants)


def _statements(node: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(node, Mapping):
        if node.get("Effect") == "Allow" and "Action" in node:
            yield node
            return
        for value in node.values():
            yield from _statements(value)
    elif isinstance(node, list):
        for value in node:
            yield from _statements(value)


def _table_resource(resource: Any) -> str | None:
    """`!GetAtt Table.Arn` is the table, `!Sub "${Table.Arn}/index/X"` its index X; anything else
    is not the table."""
    if isinstance(resource, Mapping):
        if resource.get("Fn::GetAtt") == ["Table", "Arn"]:
            return TABLE
        sub = resource.get("Fn::Sub")
        if isinstance(sub, str) and sub.startswith("${Table.Arn}/"):
            return sub.removeprefix("${Table.Arn}/")
    return None


def required(operation: str, params: Mapping[str, Any]) -> list[Access]:
    """The accesses IAM checks for one DynamoDB call."""
    if operation in ("TransactWriteItems", "TransactGetItems"):
        return [
            Access(f"dynamodb:{_TRANSACTION_PARTS[kind]}", part["TableName"], TABLE)
            for item in params.get("TransactItems", [])
            for kind, part in item.items()
        ]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [Access(f"dynamodb:{operation}", table, TABLE) for table in params.get("RequestItems", {})]
    index = params.get("IndexName")
    resource = f"index/{index}" if index else TABLE
    return [Access(f"dynamodb:{operation}", str(params.get("TableName", "")), resource)]


def _check(params: Mapping[str, Any], model: Any, **_: Any) -> None:
    """botocore's before-parameter-build hook (it sees the call's own parameters): refuses a
    call the acting function's grants do not cover."""
    acting = _acting.get()
    if acting is None:  # tests and the local stack's own seeding act as the account's owner
        return
    table = os.environ.get("TABLE_NAME", "")
    for access in required(model.name, params):
        grant = (access.action, access.resource)
        if access.table != table or grant not in acting.grants:
            from botocore.exceptions import ClientError

            message = (
                f"{acting.function} is not authorized to perform: {access.action} on resource: "
                f"table/{access.table}"
                + ("" if access.resource == TABLE else f"/{access.resource}")
                + " because no identity-based policy allows it (its policy in template.yaml)"
            )
            error = {"Error": {"Code": "AccessDeniedException", "Message": message}}
            raise ClientError(error, model.name)


def _guard_clients() -> None:
    """Puts the hook on the process's botocore session (clients created later copy it) and on
    the DynamoDB client already created, once each."""
    from klantreis import aws, dynamo

    aws.session().register("before-parameter-build.dynamodb", _check, unique_id=_HOOK)
    if dynamo.client.cache_info().currsize:
        dynamo.client().meta.events.register("before-parameter-build.dynamodb", _check, unique_id=_HOOK)


@contextmanager
def acting_as(function: str, grants: frozenset[Grant]) -> Iterator[None]:
    """DynamoDB calls in this block are the function's: refused beyond its grants."""
    _guard_clients()
    token = _acting.set(_Acting(function, grants))
    try:
        yield
    finally:
        _acting.reset(token)


def enforced(function: str, grants: frozenset[Grant], handler: Handler) -> Handler:
    """The handler, run under the function's grants."""

    def run(event: dict[str, Any], context: Any) -> Any:
        with acting_as(function, grants):
            return handler(event, context)

    return run
