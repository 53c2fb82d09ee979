"""DynamoDB access shared by every adapter: the cached client, item (de)serialisation,
ClientError translation, and paging/batching helpers.

Uses the low-level client (not the resource API): it is what moto and botocore's Stubber see,
and it imports less on a cold start.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from functools import cache
from typing import Any

from klantreis import dynamo_types
from klantreis.errors import ConcurrentUpdate, StoreUnavailable, Throttled, ValidationFailed

Item = dict[str, Any]
"""A DynamoDB item in wire format ({"attr": {"S": "..."}})."""

_THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "LimitExceededException",
    }
)
_SERVER_FAULT_CODES = frozenset({"InternalServerError", "ServiceUnavailable", "InternalFailure"})
"""DynamoDB's own 5xx answers, left after botocore's retries: transient, never the request's fault."""


@cache
def client() -> Any:
    """The process-wide DynamoDB client, created on first use from the one botocore session
    (`klantreis.aws.session`; honours AWS_ENDPOINT_URL_DYNAMODB)."""
    from botocore.config import Config

    from klantreis import aws

    return aws.session().create_client(
        "dynamodb",
        config=Config(
            retries={"max_attempts": 4, "mode": "standard"},
            connect_timeout=2,
            read_timeout=5,
            tcp_keepalive=True,
        ),
    )


def _to_wire_value(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        # Through repr, so 329.95 is stored as 329.95 and not as its binary expansion.
        return _storable(Decimal(repr(value)))
    if isinstance(value, Mapping):
        return {str(k): _to_wire_value(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_to_wire_value(v) for v in value]
    return value


_SMALLEST = Decimal("1E-130")
_TOO_LARGE = Decimal("1E+126")


def _storable(number: Decimal) -> Decimal:
    """A number as DynamoDB can hold it (magnitudes 1E-130 to below 1E+126): a smaller magnitude
    is 0; a larger one, or one that is not finite, is refused rather than crash the serializer."""
    if not number.is_finite() or abs(number) >= _TOO_LARGE:
        raise ValidationFailed(f"the number {number} is outside the range that can be stored")
    return number if abs(number) >= _SMALLEST else Decimal(0)


def _from_wire_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _from_wire_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_wire_value(v) for v in value]
    if isinstance(value, set):
        return {_from_wire_value(v) for v in value}
    if isinstance(value, bytearray):
        return bytes(value)
    return value


def to_item(data: Mapping[str, Any]) -> Item:
    """Plain Python (str, int, float, bool, bytes, dict, list) to wire format; None is dropped."""
    return {k: dynamo_types.serialize(_to_wire_value(v)) for k, v in data.items() if v is not None}


def to_value(value: Any) -> Any:
    """One plain value in wire format (for ExpressionAttributeValues)."""
    return dynamo_types.serialize(_to_wire_value(value))


def _binary_as_bytes(raw: Any) -> Any:
    """Lambda's stream events carry binary attributes base64-encoded (the SDK hands bytes)."""
    if not isinstance(raw, dict) or len(raw) != 1:
        return raw
    [(kind, value)] = raw.items()
    if kind == "B" and isinstance(value, str):
        return {"B": base64.b64decode(value)}
    if kind == "BS" and any(isinstance(v, str) for v in value):
        return {"BS": [base64.b64decode(v) if isinstance(v, str) else v for v in value]}
    if kind == "M":
        return {"M": {k: _binary_as_bytes(v) for k, v in value.items()}}
    if kind == "L":
        return {"L": [_binary_as_bytes(v) for v in value]}
    return raw


def from_item(item: Item) -> dict[str, Any]:
    """Wire format to plain Python: integral numbers become int, others float, binary bytes. Items
    from a stream event (binary base64-encoded) are read alike."""
    return {
        key: _from_wire_value(dynamo_types.deserialize(_binary_as_bytes(raw))) for key, raw in item.items()
    }


def error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def translate(exc: BaseException) -> BaseException:
    """Maps a botocore ClientError to the domain error it stands for (or returns it unchanged)."""
    code = error_code(exc)
    if code == "ConditionalCheckFailedException":
        return ConcurrentUpdate(str(exc))
    if code == "TransactionCanceledException":
        reasons = getattr(exc, "response", {}).get("CancellationReasons", [])
        if any(r.get("Code") == "ConditionalCheckFailed" for r in reasons):
            return ConcurrentUpdate(str(exc))
        return Throttled("the database is busy; retry shortly")
    if code in _THROTTLING_CODES:
        return Throttled("the database is busy; retry shortly")
    if code in _SERVER_FAULT_CODES:
        return StoreUnavailable("the database is unavailable for a moment; retry shortly")
    return exc


@contextmanager
def translated(*, on_conflict: Callable[[], BaseException] | None = None) -> Iterator[None]:
    """Runs the block with a botocore ClientError raised as the domain error it stands for. A
    failed condition (a conditional write, or a transaction cancelled by one) raises
    `on_conflict()` when given, else ConcurrentUpdate; an error with no domain meaning is
    raised unchanged."""
    from botocore.exceptions import ClientError

    try:
        yield
    except ClientError as exc:
        error = translate(exc)
        if on_conflict is not None and isinstance(error, ConcurrentUpdate):
            raise on_conflict() from exc
        if error is exc:
            raise
        raise error from exc


def conditional(operation: Callable[..., Any], **request: Any) -> dict[str, Any] | None:
    """The answer of a conditional write, or None when its condition did not hold (another
    failure is raised as its domain error, as `translated` does)."""
    try:
        with translated():
            answer: dict[str, Any] = operation(**request)
            return answer
    except ConcurrentUpdate:
        return None


def transient(exc: BaseException) -> Throttled | None:
    """The retryable domain error a store failure stands for: throttling, a DynamoDB 5xx, or a
    connection failure or timeout after botocore's retries. None for anything else (a bug)."""
    from botocore.exceptions import ConnectionError as NetworkError
    from botocore.exceptions import HTTPClientError

    if isinstance(exc, Throttled):
        return exc
    if isinstance(exc, NetworkError | HTTPClientError):
        return StoreUnavailable("the database did not answer in time; retry shortly")
    translated = translate(exc)
    return translated if isinstance(translated, Throttled) else None


def query_all(dynamodb: Any, **kwargs: Any) -> Iterator[Item]:
    """Every item of a Query, following LastEvaluatedKey."""
    while True:
        page = dynamodb.query(**kwargs)
        yield from page.get("Items", [])
        last = page.get("LastEvaluatedKey")
        if not last:
            return
        kwargs["ExclusiveStartKey"] = last


def query_prefix(
    dynamodb: Any, table: str, pk: str, sk_prefix: str, *, index: str | None = None, **kwargs: Any
) -> Iterator[Item]:
    """Every item of partition `pk` whose sort key starts with `sk_prefix`, in the table or in
    the global secondary `index` (whose keys are named `{index}PK`/`{index}SK`, as GSI1's are).
    More Query parameters, such as ConsistentRead, a projection or a filter with its own values,
    go in `kwargs`. Pages are read as the items are taken."""
    filter_values = kwargs.pop("ExpressionAttributeValues", {})
    values = {":pk": to_value(pk), ":prefix": to_value(sk_prefix), **filter_values}
    partition, sort = (f"{index}PK", f"{index}SK") if index else ("PK", "SK")
    if index:
        kwargs["IndexName"] = index
    return query_all(
        dynamodb,
        TableName=table,
        KeyConditionExpression=f"{partition} = :pk AND begins_with({sort}, :prefix)",
        ExpressionAttributeValues=values,
        **kwargs,
    )


BATCH_GET_KEYS = 100
"""BatchGetItem's limit of keys per call."""


def batch_get(
    dynamodb: Any,
    table: str,
    keys: Iterable[Mapping[str, str]],
    *,
    consistent: bool = False,
    projection: str | None = None,
    max_rounds: int = 8,
) -> Iterator[Item]:
    """The items of `keys` that exist (plain key attributes, each asked once), one BatchGetItem
    per 100 keys, unprocessed keys retried with backoff; `projection` names the attributes read."""
    wanted = list({tuple(sorted(key.items())): key for key in keys}.values())
    for start in range(0, len(wanted), BATCH_GET_KEYS):
        asked: dict[str, Any] = {
            "Keys": [to_item(k) for k in wanted[start : start + BATCH_GET_KEYS]],
            "ConsistentRead": consistent,
        }
        if projection:
            asked["ProjectionExpression"] = projection
        request: dict[str, Any] = {table: asked}
        for attempt in range(max_rounds):
            answer = dynamodb.batch_get_item(RequestItems=request)
            yield from answer.get("Responses", {}).get(table, [])
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
            time.sleep(min(0.02 * 2**attempt, 0.5))
        else:
            raise Throttled("the database is busy; retry shortly")


def delete_keys(dynamodb: Any, table: str, keys: Iterable[Item], *, max_rounds: int = 8) -> int:
    """Deletes items by key in batches of 25, retrying unprocessed ones with backoff."""
    deleted = 0
    pending = [{"DeleteRequest": {"Key": key}} for key in keys]
    for start in range(0, len(pending), 25):
        batch = pending[start : start + 25]
        for attempt in range(max_rounds):
            answer = dynamodb.batch_write_item(RequestItems={table: batch})
            unprocessed = answer.get("UnprocessedItems", {}).get(table, [])
            deleted += len(batch) - len(unprocessed)
            if not unprocessed:
                break
            batch = unprocessed
            time.sleep(min(0.05 * 2**attempt, 1.0))
        else:
            raise Throttled("the database is busy; some items were not deleted, retry")
    return deleted
