"""Chats in the single table: one DynamoDB adapter per port of klantreis.conversations.ports,
sharing the item codec (klantreis.conversations.chat_items) and, through `ChatTable`, the client,
the translation of its errors and the transaction actions more than one concern writes.

Every state change that touches an agent's capacity is one TransactWriteItems whose agent update
carries the condition `#status = available AND active_chats < max_chats` (taking a chat) or
`contains(chat_ids, :chat)` (giving one back), so capacity is exact under any concurrency: a lost
race cancels the whole transaction and nothing is half-done (see docs/decisions.md).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ConnectionError as NetworkError
from botocore.exceptions import HTTPClientError
from pydantic import ValidationError

from klantreis import dynamo, keys
from klantreis.agents.dynamo_store import agent_key, stamp
from klantreis.agents.ports import AgentProfile
from klantreis.conversations.chat_items import (
    CHAT_INDEX_PREFIX,
    chat_from_item,
    chat_item,
    chat_key,
    discount_from_item,
    discount_item,
    feedback_item,
    message_from_item,
    message_item,
    queue_entry_from_item,
    queue_entry_item,
    routing_record_from_item,
    routing_record_item,
    survey_item,
)
from klantreis.conversations.models import (
    MAX_CHAT_MESSAGES,
    Chat,
    Message,
    RoutingRecord,
    SurveyAnswers,
    SurveySummary,
)
from klantreis.conversations.ports import MESSAGE_PAGE, Discount, QueueEntry, message_id
from klantreis.errors import ConcurrentUpdate, Conflict, Throttled
from klantreis.routing.performance import Performance, survey_counts
from klantreis.routing.stats import RoutingStats, queued_attribute, routing_stats_from_item


class ChatTable:
    """What the chat adapters share: the client and table, one translation of the client's errors,
    and the transaction actions of more than one concern."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def _get(self, key: Mapping[str, str]) -> dict[str, Any] | None:
        answer = self._call(
            self._db.get_item, TableName=self._table, Key=dynamo.to_item(key), ConsistentRead=True
        )
        item = answer.get("Item")
        return dynamo.from_item(item) if item else None

    def _transact(self, actions: list[dict[str, Any]], idempotency: str | None = None) -> None:
        """`idempotency`: DynamoDB's ClientRequestToken, so that the SDK's retry of a transaction
        that did go through (a timed-out answer) succeeds instead of failing its conditions."""
        request: dict[str, Any] = {"TransactItems": actions}
        if idempotency:
            request["ClientRequestToken"] = hashlib.sha256(idempotency.encode()).hexdigest()[:36]
        self._call(self._db.transact_write_items, **request)

    @staticmethod
    @staticmethod
    def _call(operation: Any, **request: Any) -> Any:
        try:
            with dynamo.translated():
                return operation(**request)
        except (NetworkError, HTTPClientError) as exc:
            # No answer even after botocore's retries: transient, and a write may still land.
            raise Throttled("the database did not answer in time; retry shortly") from exc

    def _chat_update(
        self, chat: Chat, update: str, condition: str, values: Mapping[str, Any]
    ) -> dict[str, Any]:
        """A transaction's conditional Update of the chat item (`#status`, `#agent` name those)."""
        action: dict[str, Any] = {
            "TableName": self._table,
            "Key": dynamo.to_item(chat_key(chat.site_id, chat.chat_id)),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": dynamo.to_item(values),
        }
        names = {name: name[1:] for name in ("#status", "#agent") if name in update + condition}
        if names:
            action["ExpressionAttributeNames"] = names
        return {"Update": action}

    def _put_new_chat(self, chat: Chat) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._table,
                "Item": dynamo.to_item(chat_item(chat)),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }

    def _agent_take(self, agent: AgentProfile, chat_id: str, at: datetime) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._table,
                "Key": agent_key(agent.site_id, agent.agent_id),
                "UpdateExpression": "SET last_assigned_at = :at ADD active_chats :one, chat_ids :chats",
                "ConditionExpression": "#status = :available AND active_chats < max_chats "
                "AND (attribute_not_exists(chat_ids) OR NOT contains(chat_ids, :chat))",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": dynamo.to_item(
                    {
                        ":at": stamp(at),
                        ":one": 1,
                        ":chats": {chat_id},
                        ":chat": chat_id,
                        ":available": "available",
                    }
                ),
            }
        }

    def _agent_release(self, site_id: str, agent_id: str, chat_id: str) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._table,
                "Key": agent_key(site_id, agent_id),
                "UpdateExpression": "ADD active_chats :minus_one DELETE chat_ids :chats",
                "ConditionExpression": "contains(chat_ids, :chat)",
                "ExpressionAttributeValues": dynamo.to_item(
                    {":minus_one": -1, ":chats": {chat_id}, ":chat": chat_id}
                ),
            }
        }

    def _put_record(self, chat: Chat, record: RoutingRecord) -> dict[str, Any]:
        plain = routing_record_item(chat, record, secrets.token_hex(3))
        return {"Put": {"TableName": self._table, "Item": dynamo.to_item(plain)}}

    def _perf_add(
        self, site_id: str, category: str | None, agent_id: str, counts: Mapping[str, float]
    ) -> dict[str, Any]:
        names = sorted(counts)
        return {
            "Update": {
                "TableName": self._table,
                "Key": dynamo.to_item({"PK": keys.site_pk(site_id), "SK": keys.perf_sk(category, agent_id)}),
                "UpdateExpression": "SET agent_id = :agent, category = :category ADD "
                + ", ".join(f"#c{i} :v{i}" for i in range(len(names))),
                "ExpressionAttributeNames": {f"#c{i}": name for i, name in enumerate(names)},
                "ExpressionAttributeValues": dynamo.to_item(
                    {
                        ":agent": agent_id,
                        ":category": category or keys.UNCATEGORIZED,
                        **{f":v{i}": counts[name] for i, name in enumerate(names)},
                    }
                ),
            }
        }

    def _stats_add(self, site_id: str, counts: Mapping[str, float]) -> dict[str, Any]:
        names = sorted(counts)
        return {
            "Update": {
                "TableName": self._table,
                "Key": dynamo.to_item({"PK": keys.site_pk(site_id), "SK": keys.ROUTING_STATS}),
                "UpdateExpression": "ADD " + ", ".join(f"#c{i} :v{i}" for i in range(len(names))),
                "ExpressionAttributeNames": {f"#c{i}": name for i, name in enumerate(names)},
                "ExpressionAttributeValues": dynamo.to_item(
                    {f":v{i}": counts[name] for i, name in enumerate(names)}
                ),
            }
        }

    def _put_queue_entry(self, chat: Chat, queue_key: str) -> dict[str, Any]:
        item = queue_entry_item(chat, queue_key)
        return {
            "Put": {
                "TableName": self._table,
                "Item": dynamo.to_item(item),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }

    def _delete_queue_entry(self, site_id: str, queue_key: str) -> dict[str, Any]:
        return {
            "Delete": {
                "TableName": self._table,
                "Key": dynamo.to_item({"PK": keys.queue_pk(site_id), "SK": queue_key}),
                "ConditionExpression": "attribute_exists(PK)",
            }
        }

    def _offer_accept(self, chat: Chat, offer_id: str) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self._table,
                "Key": dynamo.to_item({"PK": keys.offer_pk(chat.site_id, offer_id), "SK": keys.OFFER}),
                "UpdateExpression": "SET chat_id = :chat, #response = if_not_exists(#response, :accepted), "
                "responded_at = if_not_exists(responded_at, :at)",
                "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(chat_id) "
                "AND (attribute_not_exists(#response) OR #response = :accepted)",
                "ExpressionAttributeNames": {"#response": "response"},
                "ExpressionAttributeValues": dynamo.to_item(
                    {":chat": chat.chat_id, ":accepted": "accepted", ":at": chat.created_at.isoformat()}
                ),
            }
        }


class DynamoChatReader(ChatTable):
    """ChatReader: a chat, several at once, and a visitor's chats (GSI1)."""

    def chat(self, site_id: str, chat_id: str) -> Chat | None:
        answer = self._get({"PK": keys.chat_pk(site_id, chat_id), "SK": keys.CHAT})
        return chat_from_item(answer) if answer else None

    def chats(self, site_id: str, chat_ids: Sequence[str]) -> dict[str, Chat]:
        """One BatchGetItem per 100 chats (consistent, as `chat`)."""
        wanted = [chat_key(site_id, chat_id) for chat_id in chat_ids]
        items = self._call(lambda: list(dynamo.batch_get(self._db, self._table, wanted, consistent=True)))
        chats = (chat_from_item(dynamo.from_item(item)) for item in items)
        return {chat.chat_id: chat for chat in chats}

    def chats_of_visitor(self, site_id: str, visitor_id: str) -> list[Chat]:
        items = dynamo.query_prefix(
            self._db, self._table, keys.visitor_pk(site_id, visitor_id), CHAT_INDEX_PREFIX, index="GSI1"
        )
        chats = []
        for item in items:
            try:
                chats.append(chat_from_item(dynamo.from_item(item)))
            except (ValidationError, ValueError):
                continue
        return chats


class DynamoQueueReader(ChatTable):
    """QueueReader: the site's queue in service order and its routing statistics."""

    def queue(self, site_id: str, limit: int = 50, after: str | None = None) -> list[QueueEntry]:
        values = {":pk": dynamo.to_value(keys.queue_pk(site_id))}
        condition = "PK = :pk"
        if after is not None:
            values[":after"] = dynamo.to_value(after)
            condition += " AND SK > :after"
        answer = self._call(
            self._db.query,
            TableName=self._table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ConsistentRead=True,
            Limit=limit,
        )
        return [queue_entry_from_item(dynamo.from_item(item)) for item in answer.get("Items", [])]

    def routing_stats(self, site_id: str) -> RoutingStats:
        plain = self._get({"PK": keys.site_pk(site_id), "SK": keys.ROUTING_STATS})
        return routing_stats_from_item(plain or {})


class DynamoChatPlacement(DynamoQueueReader):
    """ChatPlacement: chats created with an agent or in the queue, taken from the queue, given back
    to it; the performance counters and routing records routing reads."""

    def create_assigned(
        self, chat: Chat, agent: AgentProfile, record: RoutingRecord, offer_id: str | None
    ) -> None:
        assert chat.agent is not None
        assert chat.assigned_at is not None
        actions = [
            self._put_new_chat(chat),
            self._agent_take(agent, chat.chat_id, chat.assigned_at),
            self._put_record(chat, record),
            self._perf_add(chat.site_id, chat.category, agent.agent_id, {"chats": 1}),
        ]
        if offer_id:
            actions.append(self._offer_accept(chat, offer_id))
        self._transact(actions, idempotency=f"assign-{chat.chat_id}-{agent.agent_id}-{record.at.isoformat()}")

    def create_queued(self, chat: Chat, record: RoutingRecord, offer_id: str | None) -> None:
        assert chat.queue_key is not None
        actions = [
            self._put_new_chat(chat),
            self._put_queue_entry(chat, chat.queue_key),
            self._stats_add(chat.site_id, {queued_attribute(chat.category): 1}),
            self._put_record(chat, record),
        ]
        if offer_id:
            actions.append(self._offer_accept(chat, offer_id))
        self._transact(actions, idempotency=f"queue-{chat.chat_id}")

    def assign_queued(self, chat: Chat, entry_key: str, agent: AgentProfile, record: RoutingRecord) -> None:
        """The queued `chat` (as stored) to `agent`; ConcurrentUpdate if another instance was faster."""
        at = record.at
        wait = chat.wait_seconds if chat.wait_seconds is not None else (at - chat.created_at).total_seconds()
        chat_update = self._chat_update(
            chat,
            "SET #status = :assigned, #agent = :agent, assigned_at = :at, wait_seconds = :wait "
            "REMOVE queue_key",
            "#status = :queued",
            {
                ":assigned": "assigned",
                ":queued": "queued",
                ":agent": {"agent_id": agent.agent_id, "display_name": agent.display_name},
                ":at": at.isoformat(),
                ":wait": round(max(wait, 0.0), 3),
            },
        )
        self._transact(
            [
                chat_update,
                self._delete_queue_entry(chat.site_id, entry_key),
                self._stats_add(chat.site_id, {queued_attribute(chat.category): -1}),
                self._agent_take(agent, chat.chat_id, at),
                self._put_record(chat, record),
                self._perf_add(chat.site_id, chat.category, agent.agent_id, {"chats": 1}),
            ]
        )

    def requeue(self, chat: Chat, queue_key: str, record: RoutingRecord) -> None:
        """Takes an assigned chat back from its agent (who went offline) into the queue."""
        assert chat.agent is not None
        chat_update = self._chat_update(
            chat,
            "SET #status = :queued, queue_key = :key REMOVE #agent ADD reassignments :one",
            "#status = :assigned AND #agent.agent_id = :agent",
            {
                ":queued": "queued",
                ":assigned": "assigned",
                ":key": queue_key,
                ":agent": chat.agent.agent_id,
                ":one": 1,
            },
        )
        self._transact(
            [
                chat_update,
                self._agent_release(chat.site_id, chat.agent.agent_id, chat.chat_id),
                self._put_queue_entry(chat, queue_key),
                self._stats_add(chat.site_id, {queued_attribute(chat.category): 1}),
                self._put_record(chat, record),
            ]
        )

    def performance(self, site_id: str, category: str | None) -> dict[str, Performance]:
        items = dynamo.query_prefix(
            self._db,
            self._table,
            keys.site_pk(site_id),
            keys.perf_prefix(category),
            ConsistentRead=True,
        )
        found = {}
        for item in items:
            plain = dynamo.from_item(item)
            agent_id = str(plain["SK"]).removeprefix(keys.perf_prefix(category))
            found[agent_id] = Performance.from_counts(plain)
        return found

    def routing_records(self, site_id: str, chat_id: str) -> list[RoutingRecord]:
        items = dynamo.query_prefix(
            self._db,
            self._table,
            keys.chat_pk(site_id, chat_id),
            keys.ROUTING_PREFIX,
        )
        return [routing_record_from_item(dynamo.from_item(item)) for item in items]


class DynamoChatEnding(ChatTable):
    """ChatEnding: a chat's end (with its agent's slot and counters), and a slot freed alone."""

    def end(self, chat: Chat, at: datetime, resolved: bool | None, release: bool) -> None:
        """Ends `chat` (as stored); ConcurrentUpdate if its status changed meanwhile. `release`
        gives the agent's slot back (False when the agent item no longer counts this chat)."""
        values: dict[str, Any] = {":ended": "ended", ":at": at.isoformat(), ":current": chat.status}
        expression = "SET #status = :ended, ended_at = :at"
        if resolved is not None:
            expression += ", resolved = :resolved"
            values[":resolved"] = resolved
        actions = [self._chat_update(chat, expression + " REMOVE queue_key", "#status = :current", values)]
        if chat.status == "queued" and chat.queue_key:
            actions.append(self._delete_queue_entry(chat.site_id, chat.queue_key))
            actions.append(self._stats_add(chat.site_id, {queued_attribute(chat.category): -1}))
        if chat.status == "assigned" and chat.agent is not None:
            handled = max(0.0, (at - (chat.assigned_at or at)).total_seconds())
            counts: dict[str, float] = {"ended": 1, "handle_seconds": round(handled, 3)}
            if resolved:
                counts["resolved"] = 1
            actions.append(self._perf_add(chat.site_id, chat.category, chat.agent.agent_id, counts))
            actions.append(self._stats_add(chat.site_id, {"ended": 1, "handle_seconds": round(handled, 3)}))
            if release:
                actions.append(self._agent_release(chat.site_id, chat.agent.agent_id, chat.chat_id))
        self._transact(actions, idempotency=f"end-{chat.chat_id}-{at.isoformat()}")

    def release(self, site_id: str, agent_id: str, chat_id: str) -> bool:
        """Frees the agent's slot held for a chat that is gone or no longer theirs (an erased
        visitor's chat); True if the agent still counted it."""
        # A transaction's Update action holds exactly UpdateItem's parameters.
        update = self._agent_release(site_id, agent_id, chat_id)["Update"]
        return dynamo.conditional(self._db.update_item, **update) is not None


class DynamoChatMessages(ChatTable):
    """ChatMessages: a chat's messages, numbered by the chat item's counter."""

    def messages(
        self, site_id: str, chat_id: str, since: str | None, limit: int = MESSAGE_PAGE
    ) -> list[Message]:
        low = keys.message_sk(since) if since else keys.MESSAGE_PREFIX
        answer = self._call(
            self._db.query,
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND SK BETWEEN :low AND :high",
            ExpressionAttributeValues={
                ":pk": dynamo.to_value(keys.chat_pk(site_id, chat_id)),
                ":low": dynamo.to_value(low),
                ":high": dynamo.to_value(keys.MESSAGE_PREFIX + "\uffff"),
            },
            ConsistentRead=True,
            Limit=limit + 1,
        )
        messages = []
        for item in answer.get("Items", []):
            message = message_from_item(dynamo.from_item(item))
            if message.message_id != since:
                messages.append(message)
        return messages[:limit]

    def latest_messages(self, site_id: str, chat_id: str, limit: int) -> list[Message]:
        answer = self._call(
            self._db.query,
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
            ExpressionAttributeValues={
                ":pk": dynamo.to_value(keys.chat_pk(site_id, chat_id)),
                ":prefix": dynamo.to_value(keys.MESSAGE_PREFIX),
            },
            ScanIndexForward=False,
            Limit=limit,
        )
        latest = [message_from_item(dynamo.from_item(item)) for item in answer.get("Items", [])]
        return latest[::-1]

    def add_message(self, chat: Chat, message: Message) -> Message:
        """Numbers the message (the chat's next sequence number: its id and cursor) and stores
        it; Conflict when the chat ended or is full. Numbers from the chat item's counter keep
        the order in which messages were accepted, whatever the writers' clocks say."""
        ended_or_full = "this chat has ended or holds its maximum of messages"
        with dynamo.translated(on_conflict=lambda: Conflict(ended_or_full)):
            answer = self._db.update_item(
                TableName=self._table,
                Key=dynamo.to_item(chat_key(chat.site_id, chat.chat_id)),
                UpdateExpression="ADD message_count :one",
                ConditionExpression="attribute_exists(PK) AND #status <> :ended "
                "AND (attribute_not_exists(message_count) OR message_count < :max)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=dynamo.to_item(
                    {":one": 1, ":ended": "ended", ":max": MAX_CHAT_MESSAGES}
                ),
                ReturnValues="UPDATED_NEW",
            )
        number = int(dynamo.from_item(answer["Attributes"])["message_count"])
        numbered = message.model_copy(update={"message_id": message_id(number)})
        self._call(
            self._db.put_item, TableName=self._table, Item=dynamo.to_item(message_item(chat, numbered))
        )
        return numbered

    def add_transcript(self, chat: Chat, messages: list[Message]) -> list[Message]:
        """The chat's first messages (a chatbot's transcript, the visitor's opening line), numbered
        1..n, written right after the chat itself."""
        numbered = [m.model_copy(update={"message_id": message_id(n)}) for n, m in enumerate(messages, 1)]
        self._call(
            self._db.update_item,
            TableName=self._table,
            Key=dynamo.to_item(chat_key(chat.site_id, chat.chat_id)),
            UpdateExpression="SET message_count = :count",
            ExpressionAttributeValues=dynamo.to_item({":count": len(numbered)}),
        )
        for start in range(0, len(numbered), 25):
            pending = {
                self._table: [
                    {"PutRequest": {"Item": dynamo.to_item(message_item(chat, m))}}
                    for m in numbered[start : start + 25]
                ]
            }
            for attempt in range(8):
                answer = self._call(self._db.batch_write_item, RequestItems=pending)
                pending = answer.get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(min(0.02 * 2**attempt, 0.5))
            else:
                raise Throttled("the database is busy; retry shortly")
        return numbered


class DynamoChatDiscounts(ChatTable):
    """ChatDiscounts: single-use codes given in a chat, and a purchase credited to the chat."""

    def add_discount(self, chat: Chat, discount: Discount) -> None:
        """Conflict when the chat has a code already (or ended, or changed agent)."""
        item = discount_item(chat, discount)
        chat_update = self._chat_update(
            chat,
            "SET discount_code = :code, discount_percent = :percent",
            "#status = :assigned AND attribute_not_exists(discount_code) AND #agent.agent_id = :agent",
            {
                ":code": discount.code,
                ":percent": discount.percent,
                ":assigned": "assigned",
                ":agent": discount.agent_id or "",
            },
        )
        put = {
            "Put": {
                "TableName": self._table,
                "Item": dynamo.to_item(item),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }
        try:
            self._transact([chat_update, put])
        except ConcurrentUpdate as exc:
            raise Conflict("this chat has a discount code already, or is no longer yours") from exc

    def discount(self, site_id: str, code: str) -> Discount | None:
        plain = self._get({"PK": keys.discount_pk(site_id, code), "SK": keys.DISCOUNT})
        if not plain:
            return None
        return discount_from_item(site_id, code, plain)

    def mark_converted(self, chat: Chat, at: datetime, value: float, code: str | None = None) -> bool:
        """Attributes a purchase to the chat (and its agent) once; True if it was not yet."""
        actions = [
            self._chat_update(
                chat,
                "SET converted_at = :at, conversion_value = :value",
                "attribute_exists(PK) AND attribute_not_exists(converted_at)",
                {":at": at.isoformat(), ":value": value},
            )
        ]
        if chat.agent is not None:
            actions.append(
                self._perf_add(chat.site_id, chat.category, chat.agent.agent_id, {"conversions": 1})
            )
        if code:
            actions.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": dynamo.to_item(
                            {"PK": keys.discount_pk(chat.site_id, code), "SK": keys.DISCOUNT}
                        ),
                        "UpdateExpression": "SET used_at = :at",
                        "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(used_at)",
                        "ExpressionAttributeValues": dynamo.to_item({":at": at.isoformat()}),
                    }
                }
            )
        try:
            self._transact(actions)
        except ConcurrentUpdate:
            return False
        return True


class DynamoChatSurveys(ChatTable):
    """ChatSurveys: a chat's survey (with the feedback line and counters), and follow-up marks."""

    def add_survey(self, chat: Chat, answers: SurveyAnswers, at: datetime, day: str) -> None:
        """Conflict when the chat has its survey already."""
        survey = survey_item(chat, answers, at, day)
        summary = SurveySummary(csat=answers.csat, nps=answers.nps, ces=answers.ces, at=at)
        actions: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": dynamo.to_item(survey),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            self._chat_update(
                chat,
                "SET survey = :survey",
                "attribute_exists(PK)",
                {":survey": summary.model_dump(mode="json", exclude_none=True)},
            ),
        ]
        actions.append(
            {"Put": {"TableName": self._table, "Item": dynamo.to_item(feedback_item(chat, answers, at))}}
        )
        counts = survey_counts(answers.csat, answers.nps, answers.ces)
        if chat.agent is not None and counts:
            actions.append(self._perf_add(chat.site_id, chat.category, chat.agent.agent_id, counts))
        try:
            self._transact(actions)
        except ConcurrentUpdate as exc:
            raise Conflict("this chat has its survey already") from exc

    def mark_follow_up(self, earlier: Chat, chat_id: str) -> None:
        # A chat keeps the first follow-up it had: a failed condition is no error.
        dynamo.conditional(
            self._db.update_item,
            TableName=self._table,
            Key=dynamo.to_item(chat_key(earlier.site_id, earlier.chat_id)),
            UpdateExpression="SET follow_up_chat_id = :chat",
            ConditionExpression="attribute_exists(PK) AND attribute_not_exists(follow_up_chat_id)",
            ExpressionAttributeValues=dynamo.to_item({":chat": chat_id}),
        )


class DynamoAttributionStore(DynamoChatReader, DynamoChatDiscounts):
    """What purchase attribution reads and writes (klantreis.projections.attribution.AttributionStore)."""


class DynamoSurveyChats(DynamoChatReader, DynamoChatSurveys):
    """What surveys read and write (klantreis.conversations.surveys.SurveyChats)."""
