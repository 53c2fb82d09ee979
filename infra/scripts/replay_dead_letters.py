"""Operator tool: replay the counter aggregation's dead-letter queue once the cause is fixed.

    python infra/scripts/replay_dead_letters.py --queue-url <klantreis-prod-aggregate-dlq URL> \\
        --function klantreis-prod-aggregate [--dry-run]

Each message is Lambda's record of a stream batch it gave up on (`DDBStreamBatchInfo`: stream,
shard, first and last sequence number; no records). For each, this reads exactly that range of
the shard, invokes the function once with those records as one batch, and deletes the message
when the function counted them all. The same records make the same exactly-once markers, so
the parts of a half-written batch that were counted are skipped (docs/operations.md, "The
counters' dead-letter queue"). The stream keeps records for 24 hours: a message whose range is
gone is left in the queue and reported. Credentials and region come from the usual AWS
configuration.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from klantreis_local.runtime import lambda_stream_record

Invoke = Callable[[dict[str, Any]], Any]
"""Calls the aggregation with a Lambda event; returns its answer, raises if it failed."""

EMPTY_READS = 5
"""Reads of an open shard that return nothing before the range counts as read to its end."""


@dataclass(frozen=True)
class BatchInfo:
    stream_arn: str
    shard_id: str
    first: str
    last: str


@dataclass
class Replay:
    replayed: list[str] = field(default_factory=list)
    """Message ids whose batch was counted, and deleted."""
    failed: dict[str, str] = field(default_factory=dict)
    """Message id -> why it was left in the queue."""


def batch_info(body: str) -> BatchInfo:
    info = json.loads(body)["DDBStreamBatchInfo"]
    return BatchInfo(
        info["streamArn"], info["shardId"], info["startSequenceNumber"], info["endSequenceNumber"]
    )


def read_range(streams: Any, info: BatchInfo) -> list[dict[str, Any]]:
    """The shard's records from `first` to `last`, in Lambda's event format."""
    iterator = streams.get_shard_iterator(
        StreamArn=info.stream_arn,
        ShardId=info.shard_id,
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=info.first,
    )["ShardIterator"]
    records: list[dict[str, Any]] = []
    empty = 0
    while iterator and empty < EMPTY_READS:
        answer = streams.get_records(ShardIterator=iterator)
        iterator = answer.get("NextShardIterator")
        page = answer.get("Records", [])
        empty = 0 if page else empty + 1
        for record in page:
            if int(record["dynamodb"]["SequenceNumber"]) > int(info.last):
                return records
            records.append(lambda_stream_record(record, info.stream_arn))
        if records and records[-1]["dynamodb"]["SequenceNumber"] == info.last:
            return records
    return records


def replay(sqs: Any, streams: Any, invoke: Invoke, queue_url: str, *, dry_run: bool = False) -> Replay:
    """Replays every message in the queue (until a receive comes back empty)."""
    done = Replay()
    seen: set[str] = set()
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=300).get(
            "Messages", []
        )
        fresh = [m for m in messages if m["MessageId"] not in seen]
        if not fresh:
            return done
        for message in fresh:
            seen.add(message["MessageId"])
            reason = _replay_one(message, streams, invoke, dry_run)
            if reason:
                done.failed[message["MessageId"]] = reason
                continue
            if not dry_run:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            done.replayed.append(message["MessageId"])


def _replay_one(message: dict[str, Any], streams: Any, invoke: Invoke, dry_run: bool) -> str | None:
    """Why the message's batch was not counted, or None when it was."""
    try:
        info = batch_info(message["Body"])
    except (ValueError, KeyError, TypeError) as exc:
        return f"not a stream batch record: {exc}"
    try:
        records = read_range(streams, info)
    except Exception as exc:  # the range expired (TrimmedDataAccessException) or the shard is gone
        return f"range {info.first}..{info.last} of {info.shard_id} cannot be read: {exc}"
    if not records or records[0]["dynamodb"]["SequenceNumber"] != info.first:
        return f"range {info.first}..{info.last} of {info.shard_id} is no longer in the stream"
    if dry_run:
        return None
    try:
        answer = invoke({"Records": records})
    except Exception as exc:
        return f"the function failed: {exc}"
    failures = answer.get("batchItemFailures") if isinstance(answer, dict) else None
    if failures:
        return f"the function did not count every record (from {failures[0].get('itemIdentifier')})"
    return None


def lambda_invoker(function_name: str) -> Invoke:
    import boto3

    client = boto3.client("lambda")

    def invoke(event: dict[str, Any]) -> Any:
        answer = client.invoke(FunctionName=function_name, Payload=json.dumps(event).encode())
        payload = json.loads(answer["Payload"].read() or b"null")
        if answer.get("FunctionError"):
            raise RuntimeError(json.dumps(payload)[:500])
        return payload

    return invoke


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--queue-url", required=True, help="the aggregation's dead-letter queue")
    parser.add_argument("--function", required=True, help="the aggregation function's name")
    parser.add_argument("--dry-run", action="store_true", help="read the ranges, invoke and delete nothing")
    options = parser.parse_args(argv)
    import boto3

    done = replay(
        boto3.client("sqs"),
        boto3.client("dynamodbstreams"),
        lambda_invoker(options.function),
        options.queue_url,
        dry_run=options.dry_run,
    )
    print(json.dumps({"replayed": len(done.replayed), "left": done.failed}, indent=2))
    return 1 if done.failed else 0


if __name__ == "__main__":
    sys.exit(main())
