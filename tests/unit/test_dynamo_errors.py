"""ClientError → domain error translation shared by every DynamoDB adapter (klantreis.dynamo)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from klantreis import dynamo
from klantreis.errors import ConcurrentUpdate, Conflict, Throttled


def client_error(code: str, reasons: list[dict[str, str]] | None = None) -> ClientError:
    response: dict[str, Any] = {"Error": {"Code": code, "Message": code}}
    if reasons is not None:
        response["CancellationReasons"] = reasons
    return ClientError(response, "PutItem")  # type: ignore[arg-type]


def failing(error: BaseException) -> Any:
    def operation(**_: Any) -> Any:
        raise error

    return operation


def test_a_failed_condition_is_a_concurrent_update() -> None:
    # given / when / then
    with pytest.raises(ConcurrentUpdate), dynamo.translated():
        raise client_error("ConditionalCheckFailedException")


def test_a_failed_condition_raises_the_callers_conflict() -> None:
    # given a transaction cancelled by a condition
    reasons = [{"Code": "None"}, {"Code": "ConditionalCheckFailed"}]
    cancelled = client_error("TransactionCanceledException", reasons)
    # when / then
    with pytest.raises(Conflict, match="taken"), dynamo.translated(on_conflict=lambda: Conflict("taken")):
        raise cancelled


def test_throttling_is_retryable_even_with_a_conflict_handler() -> None:
    with pytest.raises(Throttled), dynamo.translated(on_conflict=lambda: Conflict("taken")):
        raise client_error("ProvisionedThroughputExceededException")


def test_an_error_without_domain_meaning_is_raised_unchanged() -> None:
    error = client_error("ValidationException")
    with pytest.raises(ClientError) as raised, dynamo.translated():
        raise error
    assert raised.value is error


def test_a_conditional_write_answers_none_when_its_condition_fails() -> None:
    assert dynamo.conditional(failing(client_error("ConditionalCheckFailedException"))) is None
    assert dynamo.conditional(lambda **request: {"Attributes": request}, Key=1) == {"Attributes": {"Key": 1}}
    with pytest.raises(Throttled):
        dynamo.conditional(failing(client_error("ThrottlingException")))
