"""What the local stack and the tests share: the embedded (or external) DynamoDB with the
template's table, the stream pump that feeds the aggregation function, and the demo seed."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from klantreis_local import stream_delivery, template

log = logging.getLogger("klantreis_local")

DEFAULT_TABLE = "klantreis-local"
REGION = "eu-west-1"
LOCAL_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "POWERTOOLS_METRICS_NAMESPACE": "Klantreis",
    "POWERTOOLS_SERVICE_NAME": "klantreis-local",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "STAGE": "local",
    # The chat/survey token key of the local stack and the tests; deployed stacks use a secret.
    "TOKEN_KEY": "local-dev-token-key-not-secret",
}


def configure_environment(table_name: str = DEFAULT_TABLE, extra: Mapping[str, str] | None = None) -> None:
    """The variables the template sets on deployed functions, with local values."""
    os.environ.update(LOCAL_ENV)
    os.environ["TABLE_NAME"] = table_name
    # Credentials are needed by botocore's signer even against moto; never real ones.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.update(extra or {})
    reset_caches()


def reset_caches() -> None:
    """Forget cached settings, clients and services, so a new environment or moto context takes
    effect (`klantreis.services.forget`, the one reset point)."""
    from klantreis import services

    services.forget()


@contextmanager
def local_dynamodb(table_name: str = DEFAULT_TABLE) -> Iterator[Any]:
    """Yields a DynamoDB client with the template's table: in-process moto, or the server at
    AWS_ENDPOINT_URL_DYNAMODB (the table is created there if missing). In-process moto gets
    embedded_dynamodb's linear transactions and bounded stream."""
    import boto3

    from klantreis_local import embedded_dynamodb

    configure_environment(table_name)
    endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
    mock: AbstractContextManager[Any] | None = None
    if not endpoint:
        from moto import mock_aws

        embedded_dynamodb.install()
        mock = mock_aws()
        mock.__enter__()
    try:
        client = boto3.client("dynamodb", region_name=REGION)
        if table_name not in client.list_tables().get("TableNames", []):
            template.create_table(client, table_name)
        reset_caches()
        yield client
    finally:
        if mock is not None:
            mock.__exit__(None, None, None)
        reset_caches()


def streams_client() -> Any:
    """DynamoDB Streams client for the same place as the table. Newer botocore addresses streams
    by account-specific host names that moto does not know, so the classic host is named."""
    import boto3

    endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODBSTREAMS") or os.environ.get(
        "AWS_ENDPOINT_URL_DYNAMODB"
    )
    return boto3.client(
        "dynamodbstreams",
        region_name=REGION,
        endpoint_url=endpoint or f"https://streams.dynamodb.{REGION}.amazonaws.com",
    )


@dataclass
class _Shard:
    iterator: str | None
    last_delivered: str | None = None
    """The sequence number of the last record delivered: where a lost iterator picks up."""


_POSITION_LOST = {"ExpiredIteratorException", "TrimmedDataAccessException"}


class StreamPump:
    """Plays Lambda's part for the DynamoDB stream event source: reads new stream records of the
    table and calls the stream functions of the template with them, in Lambda's event format."""

    def __init__(
        self,
        dynamodb: Any,
        table_name: str,
        consumers: list[Callable[[dict[str, Any], Any], Any]] | None = None,
        batch_size: int = 500,
    ) -> None:
        self._db = dynamodb
        self._table = table_name
        self._streams = streams_client()
        self._consumers = (
            [(consumer, stream_delivery.DEFAULT_SETTINGS) for consumer in consumers]
            if consumers is not None
            else _stream_consumers()
        )
        self._batch_size = batch_size
        self._arn = dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
        self._shards: dict[str, _Shard] = {}
        self._lock = threading.Lock()
        self.records_delivered = 0
        self.invocations = 0
        """Batches read from the stream, each handed to every stream function."""
        self.dead_letters: list[dict[str, Any]] = []
        """Records a stream function gave up on after its retries (deployed: its DLQ)."""

    def drain(self) -> int:
        """Delivers every record written so far; returns how many. A batch counts as done (its
        shard moves on) only once it is delivered, as Lambda's checkpoint: a batch that fails
        here is read again on the next drain."""
        delivered = 0
        with self._lock:
            while True:
                read = self._next_batch()
                if read is None:
                    return delivered
                state, batch, next_iterator = read
                event = {"Records": [lambda_stream_record(r, self._arn) for r in batch]}
                for consumer, settings in self._consumers:
                    # Lambda's retries, bisection and dead-letter queue, as the template sets them.
                    delivery = stream_delivery.deliver(event["Records"], consumer, _StreamContext(), settings)
                    self.dead_letters.extend(delivery.dead_records)
                state.iterator = next_iterator
                state.last_delivered = batch[-1]["dynamodb"]["SequenceNumber"]
                delivered += len(batch)
                self.invocations += 1
                self.records_delivered += len(batch)

    def _next_batch(self) -> tuple[_Shard, list[dict[str, Any]], str | None] | None:
        """The next records of a shard, the shard, and its iterator after them (None: nothing new)."""
        description = self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"]
        for shard in description.get("Shards", []):
            shard_id = shard["ShardId"]
            if shard_id not in self._shards:
                self._shards[shard_id] = _Shard(self._iterator(shard_id, None))
        for shard_id, state in self._shards.items():
            if not state.iterator:
                continue
            answer = self._records(shard_id, state)
            if answer.get("Records"):
                return state, list(answer["Records"]), answer.get("NextShardIterator")
            state.iterator = answer.get("NextShardIterator")
        return None

    def _records(self, shard_id: str, state: _Shard) -> dict[str, Any]:
        """GetRecords from where the shard stands. An iterator that expired (a pump held up past
        its 15 minutes) picks up after the last record delivered; one whose records were trimmed
        (past the stream's retention) starts again from the oldest record kept."""
        from botocore.exceptions import ClientError

        lost: set[str] = set()
        while True:
            try:
                return dict(self._streams.get_records(ShardIterator=state.iterator, Limit=self._batch_size))
            except ClientError as error:
                code = str(error.response["Error"]["Code"])
                if code not in _POSITION_LOST or code in lost:
                    raise
                lost.add(code)
            if code == "TrimmedDataAccessException":
                log.error("stream records after %s were trimmed before they were read", state.last_delivered)
            after = state.last_delivered if code == "ExpiredIteratorException" else None
            state.iterator = self._iterator(shard_id, after)

    def _iterator(self, shard_id: str, after: str | None) -> str:
        """An iterator after the given sequence number, or at the oldest record kept."""
        position: dict[str, str] = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
            if after is not None
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        answer = self._streams.get_shard_iterator(StreamArn=self._arn, ShardId=shard_id, **position)
        return str(answer["ShardIterator"])


def lambda_stream_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A record as DynamoDB Streams' GetRecords gives it, as Lambda's event holds it."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if created is not None and hasattr(created, "timestamp"):
        change["ApproximateCreationDateTime"] = int(created.timestamp())
    for image in ("Keys", "NewImage", "OldImage"):
        if image in change:
            change[image] = {name: _as_lambda_json(value) for name, value in change[image].items()}
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", REGION),
        "dynamodb": change,
        "eventSourceARN": stream_arn,
    }


def _as_lambda_json(value: Any) -> Any:
    """An attribute as Lambda's event JSON has it: binary base64-encoded (the SDK gives bytes)."""
    import base64

    [(kind, inner)] = value.items()
    if kind == "B":
        return {"B": base64.b64encode(bytes(inner)).decode()}
    if kind == "BS":
        return {"BS": [base64.b64encode(bytes(v)).decode() for v in inner]}
    if kind == "M":
        return {"M": {k: _as_lambda_json(v) for k, v in inner.items()}}
    if kind == "L":
        return {"L": [_as_lambda_json(v) for v in inner]}
    return value


class _StreamContext:
    function_name = "klantreis-local-aggregate"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:000000000000:function:klantreis-local-aggregate"
    aws_request_id = "local-stream"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def _stream_consumers() -> list[
    tuple[Callable[[dict[str, Any], Any], Any], stream_delivery.StreamSourceSettings]
]:
    return [
        (spec.load_handler(), stream_delivery.settings_of(spec.logical_id))
        for spec in template.functions()
        if spec.stream_source
    ]


# --------------------------------------------------------------------------- seed
DEMO_SITE = "demo"
DEMO_SITE_KEY = "demo-site-key"
DEMO_AGENTS = ("mirjam", "sven")
DEMO_HEARTBEAT_SECONDS = 30.0


@dataclass
class DemoPresence:
    """Which demo agents the local stack still keeps present. The stack beats for them so the
    demo shop's offers have an agent without a console open; once an agent's own console beats
    (or sets a status), the agent is the console's: the stack never beats for them again, so the
    console's heartbeat, its failure and its sign-out count as they would deployed."""

    beaten: dict[str, datetime] = field(default_factory=dict)
    """Each agent's `last_seen_at` as the stack's last beat left it."""
    owned_by_console: set[str] = field(default_factory=set)


def keep_demo_agents_present(dynamodb: Any, table_name: str, presence: DemoPresence | None = None) -> None:
    """The heartbeat the demo agents' consoles would send: they stay present (not available:
    their status is still theirs to set). With `presence`, an agent seen by someone else since
    the last beat (a signed-in console) is left to that console from then on."""
    from klantreis.agents.dynamo_store import DynamoAgentStore
    from klantreis.errors import NotFound

    agents = DynamoAgentStore(dynamodb, table_name)
    for agent_id in DEMO_AGENTS:
        if presence is not None:
            if agent_id in presence.owned_by_console:
                continue
            if agent_id in presence.beaten:
                current = agents.get(DEMO_SITE, agent_id)
                if current is not None and current.last_seen_at != presence.beaten[agent_id]:
                    presence.owned_by_console.add(agent_id)
                    continue
        try:
            beaten = agents.heartbeat(DEMO_SITE, agent_id, datetime.now(UTC))
        except NotFound:
            continue
        if presence is not None and beaten.last_seen_at is not None:
            presence.beaten[agent_id] = beaten.last_seen_at


def seed_demo(dynamodb: Any, table_name: str, port: int = 3000) -> None:
    """The contract's demo: site `demo` with key `demo-site-key`, its local origin, and the agents
    mirjam and sven (the operator `ops` exists as a token subject only), and the shop's knowledge
    base (sizes, delivery, returns, payment, discounts). Its opening hours are
    open all week, its holdout share is 10%, and its rules (the web-shop defaults) offer a chat to
    a visitor like Anna."""
    from klantreis.agents.dynamo_store import DynamoAgentStore
    from klantreis.agents.ports import AgentProfile
    from klantreis.engagement.config import EngagementConfig, OpeningHours
    from klantreis.engagement.settings_dynamo_store import DynamoEngagementSettingsStore
    from klantreis.knowledge.dynamo_store import DynamoKnowledgeStore
    from klantreis.sites import Site
    from klantreis.sites.dynamo_store import DynamoSiteStore
    from klantreis_local.demo_knowledge import DEMO_ENTRIES

    sites = DynamoSiteStore(dynamodb, table_name)
    sites.put(
        Site(
            site_id=DEMO_SITE,
            name="Demo schoenenwinkel",
            timezone="Europe/Amsterdam",
            currency="EUR",
            allowed_origins=[f"http://127.0.0.1:{port}", f"http://localhost:{port}"],
            consent_mode="required",  # the EU default: the demo shop's banner asks first
        )
    )
    sites.add_key(DEMO_SITE, DEMO_SITE_KEY)
    engagement = DynamoEngagementSettingsStore(dynamodb, table_name)
    engagement.put_hours(DEMO_SITE, OpeningHours.always_open("Europe/Amsterdam"))
    demo_rules = EngagementConfig.webshop_default().model_copy(update={"holdout_share": 0.10})
    engagement.put_config(DEMO_SITE, demo_rules)
    agents = DynamoAgentStore(dynamodb, table_name)
    now = datetime.now(UTC)  # present: the local stack's presence keeper heartbeats them on
    agents.put(
        AgentProfile(
            site_id=DEMO_SITE, agent_id="mirjam", display_name="Mirjam",
            categories=["dameslaarzen", "herenschoenen"], max_chats=2, status="available",
            discount_mandate_percent=15, last_seen_at=now, status_changed_at=now,
        )
    )  # fmt: skip
    agents.put(
        AgentProfile(
            site_id=DEMO_SITE, agent_id="sven", display_name="Sven",
            categories=["herenschoenen", "sneakers"], max_chats=2, status="available",
            discount_mandate_percent=10, last_seen_at=now, status_changed_at=now,
        )
    )  # fmt: skip
    knowledge = DynamoKnowledgeStore(dynamodb, table_name)
    for entry_id, entry in DEMO_ENTRIES.items():
        knowledge.put(DEMO_SITE, entry_id, entry, now)
