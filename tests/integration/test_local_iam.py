"""The local stack runs each function under its template policy's DynamoDB grants, as IAM would:
moto accepts every call, so without this a call beyond the policy passes every local test and
fails only deployed (it did: the agent's inbox read its chats with BatchGetItem, which the route
function was not granted)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from botocore.exceptions import ClientError

from klantreis import dynamo, keys
from klantreis.projections.counters_dynamo_store import DynamoCounterStore
from klantreis.reports.days import read_days
from klantreis_local import iam, template

TABLE = iam.TABLE
INDEX = "index/GSI1"


def refused(error: pytest.ExceptionInfo[ClientError]) -> str:
    assert error.value.response["Error"]["Code"] == "AccessDeniedException"
    return str(error.value)


def test_a_transaction_needs_the_action_of_each_part() -> None:
    parts = [
        {"Put": {"TableName": "t", "Item": {}}},
        {"Update": {"TableName": "t", "Key": {}}},
        {"Delete": {"TableName": "t", "Key": {}}},
        {"ConditionCheck": {"TableName": "t", "Key": {}}},
    ]
    needed = iam.required("TransactWriteItems", {"TransactItems": parts})
    assert [(a.action, a.table, a.resource) for a in needed] == [
        ("dynamodb:PutItem", "t", TABLE),
        ("dynamodb:UpdateItem", "t", TABLE),
        ("dynamodb:DeleteItem", "t", TABLE),
        ("dynamodb:ConditionCheckItem", "t", TABLE),
    ]


def test_a_query_on_an_index_needs_the_index_and_a_batch_its_own_action() -> None:
    [query] = iam.required("Query", {"TableName": "t", "IndexName": "GSI1"})
    assert (query.action, query.resource) == ("dynamodb:Query", INDEX)
    [batch] = iam.required("BatchGetItem", {"RequestItems": {"t": {"Keys": []}}})
    assert (batch.action, batch.table, batch.resource) == ("dynamodb:BatchGetItem", "t", TABLE)


def test_grants_are_read_from_the_statements_on_the_table_and_its_indexes() -> None:
    properties = {
        "Policies": [
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
                        "Resource": {"Fn::GetAtt": ["Table", "Arn"]},
                    },
                    {
                        "Effect": "Allow",
                        "Action": "dynamodb:Query",
                        "Resource": {"Fn::Sub": "${Table.Arn}/index/GSI1"},
                    },
                    {
                        "Effect": "Allow",
                        "Action": ["s3:PutObject"],
                        "Resource": {"Fn::Sub": "${Bucket.Arn}/*"},
                    },
                    {
                        "Fn::If": [
                            "HasWebhook",
                            {"Effect": "Allow", "Action": "dynamodb:Scan", "Resource": "arn:other"},
                            {"Ref": "AWS::NoValue"},
                        ]
                    },
                ]
            },
            {"SQSSendMessagePolicy": {"QueueName": "q"}},
        ]
    }
    assert iam.dynamodb_grants(properties) == {
        ("dynamodb:GetItem", TABLE),
        ("dynamodb:PutItem", TABLE),
        ("dynamodb:Query", INDEX),
    }


def test_a_function_is_refused_what_its_grants_leave_out(dynamodb: Any, table_name: str) -> None:
    key = dynamo.to_item({"PK": "SITE#s", "SK": "X"})
    grants = frozenset({("dynamodb:GetItem", TABLE), ("dynamodb:Query", TABLE)})
    client = dynamo.client()
    with iam.acting_as("ReadingFunction", grants):
        client.get_item(TableName=table_name, Key=key)
        client.query(
            TableName=table_name,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": "SITE#s"}},
        )
        with pytest.raises(ClientError) as put:
            client.put_item(TableName=table_name, Item=key)
        with pytest.raises(ClientError) as on_index:
            client.query(
                TableName=table_name,
                IndexName="GSI1",
                KeyConditionExpression="GSI1PK = :pk",
                ExpressionAttributeValues={":pk": {"S": "x"}},
            )
        with pytest.raises(ClientError) as other_table:
            client.get_item(TableName="another-table", Key=key)
    assert "ReadingFunction is not authorized to perform: dynamodb:PutItem" in refused(put)
    assert "dynamodb:Query on resource: table/klantreis-test/index/GSI1" in refused(on_index)
    assert "table/another-table" in refused(other_table)
    # outside a function (the tests' and the stack's own set-up) every call goes through
    client.put_item(TableName=table_name, Item=key)


def test_a_transaction_is_refused_for_the_one_part_not_granted(dynamodb: Any, table_name: str) -> None:
    grants = frozenset({("dynamodb:PutItem", TABLE), ("dynamodb:UpdateItem", TABLE)})
    parts = [
        {"Put": {"TableName": table_name, "Item": dynamo.to_item({"PK": "a", "SK": "1"})}},
        {"Delete": {"TableName": table_name, "Key": dynamo.to_item({"PK": "b", "SK": "1"})}},
    ]
    with iam.acting_as("WritingFunction", grants), pytest.raises(ClientError) as error:
        dynamo.client().transact_write_items(TransactItems=parts)
    assert "dynamodb:DeleteItem" in refused(error)
    assert (
        dynamo.client().get_item(TableName=table_name, Key=dynamo.to_item({"PK": "a", "SK": "1"})).get("Item")
        is None
    )


def test_reads_in_worker_threads_are_the_functions_too(dynamodb: Any, table_name: str) -> None:
    # given a function granted GetItem only, and a report reading several days in worker threads
    counters = DynamoCounterStore(dynamo.client(), table_name)
    get_only = frozenset({("dynamodb:GetItem", TABLE)})
    # then the threads' Queries are checked as the function's (not let through as nobody's)
    with iam.acting_as("GetOnlyFunction", get_only), pytest.raises(ClientError) as error:
        read_days(counters, "s", ["2026-12-01", "2026-12-02", "2026-12-03"])
    assert "dynamodb:Query" in refused(error)


def test_the_template_grants_an_index_nothing_but_query() -> None:
    on_index = {
        (spec.logical_id, action)
        for spec in template.functions()
        for action, resource in spec.dynamodb_grants
        if resource != TABLE
    }
    assert {action for _, action in on_index} == {"dynamodb:Query"}


def test_every_function_the_local_stack_loads_runs_under_its_grants(
    dynamodb: Any, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the report function (granted reads only) whose handler writes
    module, attribute = template.function("ReportFunction").handler.rsplit(".", 1)
    key = dynamo.to_item({"PK": keys.site_pk("demo"), "SK": "PROFILE"})

    def writes(event: dict[str, Any], context: Any) -> None:
        dynamo.client().put_item(TableName=table_name, Item=key)

    monkeypatch.setattr(importlib.import_module(module), attribute, writes)
    # when the local stack loads and runs it
    with pytest.raises(ClientError) as error:
        template.handler("ReportFunction")({}, None)
    # then the write is refused, as deployed
    assert "ReportFunction is not authorized to perform: dynamodb:PutItem" in refused(error)
