"""A small layer over moto's DynamoDB (5.2) that keeps the embedded table linear and its stream
whole, for `make dev`, the serial DynamoDB server and the tests alike.

moto's `transact_write_items` deep-copies every table a transaction names, once per transaction
item, as its rollback snapshot, and when the transaction fails it swaps the copy in, stream shard
included. That costs O(table) time and memory per transaction, and a reader of the stream (the
local stream pump, or anything holding a shard iterator) goes on reading the old, orphaned shard:
nothing written after the first failed transaction reaches it again.

Here a transaction remembers only the items it touches (a copy of each before its write) and
where each table's stream stood, and a failed one puts exactly those items back in the same
Table object and cuts the stream back to where it stood, so no record of a rolled-back write is
ever read. Everything else (checks, order, cancellation reasons) is moto's own code path.

A Query on the table (not an index) starts from the queried partition's items instead of
sorting every item of the table (moto then filters and sorts them as before), so its cost is
that of the partition, as in DynamoDB. Two unbounded growths are bounded the way DynamoDB bounds
them: stream records are kept for 24 hours, shard iterators for 15 minutes. The local stack
bounds the stream tighter (`drop_records_once_read`): a record every reader of the shard has
gone past is dropped, so the stream holds what is unread, however fast it is written. A third is moto's
own: every model object it ever creates is appended to its class's `instances_tracked` (for the
moto server's dashboard), so each item version, stream record and shard iterator stayed in memory
for the life of the process, trimmed or replaced or not; here items, stream records and shard
iterators are not tracked (the local stack's soak grew by ~32 KB per request from that alone).

`install()` patches moto's classes (idempotent); it must run in every process that serves moto.
"""

from __future__ import annotations

import copy
import functools
import inspect
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

STREAM_RETENTION = timedelta(hours=24)
"""How long DynamoDB Streams keeps a record."""
_retention = STREAM_RETENTION


def set_stream_retention(retention: timedelta) -> None:
    """How long this process keeps stream records. `make dev` keeps minutes, not DynamoDB's day:
    its only reader, the stream pump, reads every second, and each record holds an item's old
    and new image, so a day of them would grow with every request (docs/decisions.md)."""
    global _retention  # noqa: PLW0603 (one setting of the process, like install())
    _retention = retention


_drop_read = False


def drop_records_once_read(enabled: bool = True) -> None:
    """Whether this process drops the stream records every reader of the shard has gone past.
    A reader is a chain of shard iterators: it starts with GetShardIterator, and each GetRecords
    with an iterator of the chain says that the records before that iterator are done (Lambda's
    checkpoint), so the batch in hand stays until the next poll. A reader that has not polled for
    an iterator's lifetime no longer holds records back. Only for a process whose readers all
    start before they are needed (the local stack's stream pump): a reader that starts later
    from TRIM_HORIZON finds what the others have read gone, which DynamoDB would still hold."""
    global _drop_read  # noqa: PLW0603 (one setting of the process, like the retention)
    _drop_read = enabled


SHARD_ITERATOR_LIFETIME_SECONDS = 15 * 60
"""How long a DynamoDB Streams shard iterator stays valid."""

CONDITION_FAILED = "The conditional request failed"
"""moto's (and DynamoDB's) message of a ConditionalCheckFailed cancellation reason."""
_monotonic = time.monotonic


class _ConditionNotMet(Exception):
    """A transaction item's condition is false; the old item goes with the reason (ALL_OLD)."""

    def __init__(self, old_item: dict[str, Any] | None) -> None:
        super().__init__(CONDITION_FAILED)
        self.old_item = old_item


@dataclass
class _TouchedItem:
    table: Any
    hash_key: Any
    range_key: Any
    before: Any
    """A copy of the item as it was before the transaction wrote it; None if it did not exist."""


@dataclass
class _StreamMark:
    shard: Any
    records: list[Any]
    next_sequence: int
    """The sequence number the transaction's first record got: records are trimmed from the
    front while it writes, so a count of them would not say where its own begin."""


@dataclass
class TransactionJournal:
    """What a transaction changed, so that it can be undone in place."""

    touched: list[_TouchedItem] = field(default_factory=list)
    streams: dict[str, _StreamMark] = field(default_factory=dict)

    def before_write(self, backend: Any, table_name: str, key: dict[str, Any]) -> None:
        table = backend.get_table(table_name)
        hash_key, range_key = backend.get_keys_value(table, key)
        current = table.get_item(hash_key, range_key)
        # moto updates items in place, so the item object itself is not a snapshot.
        self.touched.append(_TouchedItem(table, hash_key, range_key, copy.deepcopy(current)))
        shard = table.stream_shard
        if shard is not None and table.name not in self.streams:
            next_sequence = shard.starting_sequence_number + len(shard.items)
            self.streams[table.name] = _StreamMark(shard, shard.items, next_sequence)

    def roll_back(self) -> None:
        for touched in reversed(self.touched):
            _restore(touched)
        for mark in self.streams.values():
            # A shard that handed its records to a Lambda event source mapping starts a new list;
            # what it delivered cannot be taken back (moto's own rollback did not either).
            if mark.shard.items is mark.records:
                del mark.records[max(0, mark.next_sequence - mark.shard.starting_sequence_number) :]


def _restore(touched: _TouchedItem) -> None:
    items = touched.table.items
    if touched.range_key is None:
        if touched.before is None:
            items.pop(touched.hash_key, None)
        else:
            items[touched.hash_key] = touched.before
        return
    partition = items[touched.hash_key]
    if touched.before is None:
        partition.pop(touched.range_key, None)
        if not partition:
            del items[touched.hash_key]
    else:
        partition[touched.range_key] = touched.before


def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
    """moto 5.2's DynamoDBBackend.transact_write_items with the journal above in place of the
    table copies; otherwise the same steps, checks and errors."""
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    journal = TransactionJournal()
    target_items: set[tuple[str, str]] = set()
    errors: list[tuple[str, str, dict[str, Any] | None] | tuple[None, None, None]] = []
    for item in transact_items:
        if len(list(item.keys())) > 1:
            raise TransactWriteSingleOpException
        try:
            _write(self, item, target_items, journal)
            errors.append((None, None, None))
        except (MultipleTransactionsException, MockValidationException):
            journal.roll_back()
            raise
        except _ConditionNotMet as failed:
            errors.append(("ConditionalCheckFailed", CONDITION_FAILED, failed.old_item))
        except ConditionalCheckFailed as failed:
            errors.append(("ConditionalCheckFailed", str(failed.message), None))
        except Exception as failed:  # moto reports any other failure as the item's reason
            errors.append((type(failed).__name__, str(failed), None))
    if any(code is not None for code, _, _ in errors):
        journal.roll_back()
        raise TransactionCanceledException(errors)


def _write(
    backend: Any, item: dict[str, Any], target_items: set[tuple[str, str]], journal: TransactionJournal
) -> None:
    """One transaction item: moto's checks, then the journal, then moto's write."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import MultipleTransactionsException

    op_type, op = next(iter(item.items()))
    if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
        raise ValueError("Unsupported transaction operation")
    table_name = op["TableName"]
    condition_expression = op.get("ConditionExpression")
    names = op.get("ExpressionAttributeNames")
    values = op.get("ExpressionAttributeValues")
    if op_type == "Put":
        attrs = op["Item"]
        table = backend.get_table(table_name)
        key = {table.hash_key_attr: attrs[table.hash_key_attr]}
        if table.range_key_attr is not None:
            key[table.range_key_attr] = attrs[table.range_key_attr]
    else:
        key = op["Key"]
    target = (str(table_name), str(dict(sorted(key.items()))))
    if target in target_items:
        raise MultipleTransactionsException()
    target_items.add(target)
    current = backend.get_item(table_name, key)
    if condition_expression is not None:
        condition = get_filter_expression(condition_expression, names, values)
        if not condition.expr(current):
            wants_old = op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
            raise _ConditionNotMet(current.to_json()["Attributes"] if wants_old and current else None)
    if op_type == "ConditionCheck":
        return
    journal.before_write(backend, table_name, key)
    conditions = {
        "condition_expression": condition_expression,
        "expression_attribute_names": names,
        "expression_attribute_values": values,
    }
    if op_type == "Put":
        backend.put_item(table_name, op["Item"], **conditions)
    elif op_type == "Delete":
        backend.delete_item(table_name, key, **conditions)
    else:
        backend.update_item(table_name, key, update_expression=op["UpdateExpression"], **conditions)


@dataclass(eq=False)
class _Reader:
    """One reader of a shard: a chain of iterators, each GetRecords' next one continuing it."""

    position: int
    """The sequence number it reads next: everything before it is done."""
    polled_at: float


_READER = "_klantreis_reader"
_SHARD_READERS = "_klantreis_readers"


def _readers(shard: Any) -> list[_Reader]:
    readers: list[_Reader] = shard.__dict__.setdefault(_SHARD_READERS, [])
    return readers


def trim_stream(shard: Any, now: Any) -> None:
    """Drops from the front of a moto stream shard the records older than the retention and,
    with `drop_records_once_read`, those every live reader has gone past. moto numbers a record
    `starting_sequence_number + its index`, so the start moves up by what is dropped and every
    sequence number (and iterator) stays valid."""
    horizon = now - _retention
    dropped = 0
    for record in shard.items:
        if record.record["dynamodb"]["ApproximateCreationDateTime"] >= horizon:
            break
        dropped += 1
    # A reader that has not polled for an iterator's lifetime, or whose position is trimmed (it
    # can only start again), holds nothing back.
    readers = _readers(shard)
    alive_since = _monotonic() - SHARD_ITERATOR_LIFETIME_SECONDS
    start = shard.starting_sequence_number
    readers[:] = [reader for reader in readers if reader.polled_at > alive_since and reader.position >= start]
    if _drop_read and readers:
        read = min(reader.position for reader in readers) - start
        dropped = max(dropped, min(read, len(shard.items)))
    if dropped:
        del shard.items[:dropped]
        shard.starting_sequence_number += dropped


def _stream_add_with_retention(add: Callable[..., None]) -> Callable[..., None]:
    def stream_add(self: Any, old: Any, new: Any) -> None:
        from moto.core.utils import utcnow

        add(self, old, new)
        trim_stream(self, utcnow())

    return stream_add


def _expiring_iterators(method: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps a streams-backend method that issues shard iterators so that iterators older than
    their lifetime are forgotten (moto keeps every one it ever issued)."""

    def issuing(self: Any, *args: Any, **kwargs: Any) -> Any:
        issued: dict[str, float] = self.__dict__.setdefault("_klantreis_issued", {})
        result = method(self, *args, **kwargs)
        now = _monotonic()
        for arn in self.shard_iterators.keys() - issued.keys():
            issued[arn] = now
        for arn, at in list(issued.items()):  # oldest first: dicts keep insertion order
            if now - at < SHARD_ITERATOR_LIFETIME_SECONDS:
                break
            del issued[arn]
            self.shard_iterators.pop(arn, None)
        return result

    return issuing


def _stream_error(error_type: str, message: str) -> Exception:
    """An error of the DynamoDB Streams API, as its clients get it (a 400 with its type)."""
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(error_type, message)


def _starting_a_reader(get_shard_iterator: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps the streams backend's GetShardIterator: each new iterator starts a reader."""

    def starting(self: Any, *args: Any, **kwargs: Any) -> Any:
        iterator = get_shard_iterator(self, *args, **kwargs)
        reader = _Reader(iterator.sequence_number, _monotonic())
        setattr(iterator, _READER, reader)
        _readers(iterator.stream_shard).append(reader)
        return iterator

    return starting


def _reading_on(get_records: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps the streams backend's GetRecords: the iterator's reader is done with what lies before
    the iterator, and the next iterator continues it. An iterator this backend no longer holds or
    whose records were trimmed gets DynamoDB's error, not moto's KeyError or failed assertion."""

    def reading(self: Any, iterator_arn: str, limit: int) -> Any:
        from moto.core.utils import utcnow

        iterator = self.shard_iterators.get(iterator_arn)
        if iterator is None:
            raise _stream_error("ExpiredIteratorException", "The shard iterator has expired")
        shard = iterator.stream_shard
        if iterator.sequence_number < shard.starting_sequence_number:
            raise _stream_error(
                "TrimmedDataAccessException", "The records the iterator points at are trimmed"
            )
        reader: _Reader | None = getattr(iterator, _READER, None)
        if reader is not None and reader not in _readers(shard):
            _readers(shard).append(reader)  # polled again after it was given up: it holds again
        answer = get_records(self, iterator_arn, limit)
        if reader is not None:
            reader.position = iterator.sequence_number
            reader.polled_at = _monotonic()
            setattr(self.shard_iterators[answer["NextShardIterator"]], _READER, reader)
        trim_stream(shard, utcnow())
        return answer

    return reading


_QUERY_LOCK = threading.Lock()


def _partition_query(generic_query: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps moto's Table.query so that a query reads only the items of the queried partition:
    moto's `all_items()` sorts the whole table on every query, which made each query slower as
    the table grew (a soak's p99 climbed with it). A query of the table reads its partition; a
    query of an index the items whose index key attributes match, found without the sort (moto
    sorts the results by the index's keys itself)."""
    signature = inspect.signature(generic_query)

    @functools.wraps(generic_query)
    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        arguments = signature.bind(self, *args, **kwargs).arguments
        hash_key = arguments.get("hash_key")
        index_name = arguments.get("index_name")
        if index_name:
            # moto hands an index query its key's (attribute, value) pairs; it filters by them alone
            conditions = arguments.get("hash_key_conditions")
            if not conditions:
                return generic_query(self, *args, **kwargs)
            candidates = [item for item in _every_item(self) if _matches(item, conditions)]
        elif hash_key is None:
            return generic_query(self, *args, **kwargs)
        else:
            partition = self.items.get(hash_key)
            if partition is None:
                candidates = []
            elif self.range_key_attr:
                candidates = list(partition.values())
            else:
                candidates = [partition]
        # The table's `all_items` is swapped for the call: one query at a time may do that (a
        # handler's thread pool reads several days at once).
        with _QUERY_LOCK:
            self.all_items = lambda: candidates
            try:
                return generic_query(self, *args, **kwargs)
            finally:
                del self.all_items

    return query


def _every_item(table: Any) -> Iterator[Any]:
    for partition in table.items.values():
        yield from partition.values() if table.range_key_attr else [partition]


def _matches(item: Any, conditions: list[tuple[str, Any]]) -> bool:
    for name, value in conditions:
        found = item.attrs.get(name)
        if found is None or found != value:
            return False
    return True


def _untracked_new(cls: type, *args: Any, **kwargs: Any) -> Any:
    """moto's BaseModel.__new__ without appending the object to `cls.instances_tracked`."""
    return object.__new__(cls)


def untracked_models() -> tuple[type, ...]:
    """moto's model classes made once per write or read (an item version, a stream record, a
    shard iterator): the ones whose instance tracking grows with every request."""
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import StreamRecord
    from moto.dynamodbstreams.models import ShardIterator

    return (Item, StreamRecord, ShardIterator)


def install() -> None:
    """Patches moto's DynamoDB and DynamoDB Streams backends in this process (idempotent)."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import StreamShard, Table
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    if DynamoDBBackend.transact_write_items is transact_write_items:
        return

    for model in untracked_models():
        model.__new__ = staticmethod(_untracked_new)  # type: ignore[assignment]
        model.instances_tracked.clear()  # type: ignore[attr-defined]

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    Table.query = _partition_query(Table.query)  # type: ignore[method-assign]
    StreamShard.add = _stream_add_with_retention(StreamShard.add)  # type: ignore[method-assign]
    DynamoDBStreamsBackend.get_shard_iterator = _starting_a_reader(  # type: ignore[method-assign]
        _expiring_iterators(DynamoDBStreamsBackend.get_shard_iterator)
    )
    DynamoDBStreamsBackend.get_records = _reading_on(  # type: ignore[method-assign]
        _expiring_iterators(DynamoDBStreamsBackend.get_records)
    )
