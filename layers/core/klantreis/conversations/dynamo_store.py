"""Chats in the single table: the DynamoDB adapter of every port in klantreis.conversations.ports.

Every state change that touches an agent's capacity is one TransactWriteItems whose agent update
carries the condition `#status = available AND active_chats < max_chats` (taking a chat) or
`contains(chat_ids, :chat)` (giving one back), so capacity is exact under any concurrency: a lost
race cancels the whole transaction and nothing is half-done (see docs/decisions.md).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import ConnectionError as NetworkError
from botocore.exceptions import HTTPClientError
from pydantic import ValidationError

from klantreis import dynamo, keys
from klantreis.agents.dynamo_store import agent_key, stamp
from klantreis.agents.ports import AgentProfile
from klantreis.conversations.models import (
    CHAT_TTL_SECONDS,
    MAX_CHAT_MESSAGES,
    Chat,
    ChatAgent,
    Message,
    RoutingRecord,
    SurveyAnswers,
    SurveySummary,
)
from klantreis.conversations.ports import MESSAGE_PAGE, Discount, QueueEntry, message_id
from klantreis.errors import ConcurrentUpdate, Conflict, Throttled
from klantreis.routing.performance import Performance
from klantreis.routing.stats import RoutingStats, queued_attribute, routing_stats_from_item

CHAT_INDEX_PREFIX = "CHAT#"
QUEUE_INDEX_PREFIX = "QUEUE#"


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def chat_item(chat: Chat) -> dict[str, Any]:
    plain = chat.model_dump(
        mode="json", exclude={"site_id", "chat_id"}, exclude_none=True, exclude_defaults=True
    )
    plain.update(
        PK=keys.chat_pk(chat.site_id, chat.chat_id),
        SK=keys.CHAT,
        status=chat.status,
        visitor_id=chat.visitor_id,
        session_id=chat.session_id,
        created_at=chat.created_at.isoformat(),
        day=chat.day,
        GSI1PK=keys.visitor_pk(chat.site_id, chat.visitor_id),
        GSI1SK=f"{CHAT_INDEX_PREFIX}{chat.created_at.isoformat()}#{chat.chat_id}",
        expires_at=_epoch(chat.created_at) + CHAT_TTL_SECONDS,
    )
    return plain


def chat_from_item(plain: Mapping[str, Any]) -> Chat:
    site_id, chat_id = keys.parse_chat_pk(str(plain["PK"]))
    skip = ("PK", "SK", "GSI1PK", "GSI1SK", "expires_at", "message_count")
    fields = {k: v for k, v in plain.items() if k not in skip}
    return Chat.model_validate({**fields, "site_id": site_id, "chat_id": chat_id})


def feedback_item(chat: Chat, answers: SurveyAnswers, at: datetime) -> dict[str, Any]:
    """A survey as the site's feedback stream lists it (written with the survey, erased with the
    visitor through GSI1, expiring with the chat)."""
    plain = answers.model_dump(mode="json", exclude_none=True)
    plain.update(
        PK=keys.feedback_pk(chat.site_id),
        SK=f"{at.isoformat()}#{chat.chat_id}",
        chat_id=chat.chat_id,
        at=at.isoformat(),
        GSI1PK=keys.visitor_pk(chat.site_id, chat.visitor_id),
        GSI1SK=f"{keys.FEEDBACK_INDEX_PREFIX}{at.isoformat()}#{chat.chat_id}",
        expires_at=_epoch(chat.created_at) + CHAT_TTL_SECONDS,
    )
    if chat.category is not None:
        plain["category"] = chat.category
    if chat.agent is not None:
        plain["agent_id"] = chat.agent.agent_id
        plain["agent_name"] = chat.agent.display_name
    return plain


class DynamoChatStore:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    # ------------------------------------------------------------------ reads
    def chat(self, site_id: str, chat_id: str) -> Chat | None:
        answer = self._get({"PK": keys.chat_pk(site_id, chat_id), "SK": keys.CHAT})
        return chat_from_item(answer) if answer else None

    def chats_of_visitor(self, site_id: str, visitor_id: str) -> list[Chat]:
        items = dynamo.query_all(
            self._db,
            TableName=self._table,
            IndexName="GSI1",
            KeyConditionExpression="GSI1PK = :pk AND begins_with(GSI1SK, :prefix)",
            ExpressionAttributeValues={
                ":pk": dynamo.to_value(keys.visitor_pk(site_id, visitor_id)),
                ":prefix": dynamo.to_value(CHAT_INDEX_PREFIX),
            },
        )
        chats = []
        for item in items:
            try:
                chats.append(chat_from_item(dynamo.from_item(item)))
            except (ValidationError, ValueError):
                continue
        return chats

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
        entries = []
        for item in answer.get("Items", []):
            plain = dynamo.from_item(item)
            entries.append(
                QueueEntry(
                    queue_key=str(plain["SK"]),
                    chat_id=str(plain["chat_id"]),
                    category=plain.get("category"),
                    skills=tuple(sorted(plain.get("skills") or ())),
                )
            )
        return entries

    def routing_stats(self, site_id: str) -> RoutingStats:
        plain = self._get({"PK": keys.site_pk(site_id), "SK": keys.ROUTING_STATS})
        return routing_stats_from_item(plain or {})

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
            plain = dynamo.from_item(item)
            message_id = str(plain["SK"]).removeprefix(keys.MESSAGE_PREFIX)
            if message_id == since:
                continue
            fields = {k: v for k, v in plain.items() if k not in ("PK", "SK", "expires_at")}
            messages.append(Message.model_validate({**fields, "message_id": message_id}))
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
        latest = []
        for item in answer.get("Items", []):
            plain = dynamo.from_item(item)
            message_id = str(plain["SK"]).removeprefix(keys.MESSAGE_PREFIX)
            fields = {k: v for k, v in plain.items() if k not in ("PK", "SK", "expires_at")}
            latest.append(Message.model_validate({**fields, "message_id": message_id}))
        return latest[::-1]

    def routing_records(self, site_id: str, chat_id: str) -> list[RoutingRecord]:
        items = dynamo.query_prefix(
            self._db,
            self._table,
            keys.chat_pk(site_id, chat_id),
            keys.ROUTING_PREFIX,
        )
        skip = ("PK", "SK", "expires_at")
        return [
            RoutingRecord.model_validate({k: v for k, v in dynamo.from_item(item).items() if k not in skip})
            for item in items
        ]

    def discount(self, site_id: str, code: str) -> Discount | None:
        plain = self._get({"PK": keys.discount_pk(site_id, code), "SK": keys.DISCOUNT})
        if not plain:
            return None
        return Discount(
            site_id=site_id,
            code=code,
            chat_id=str(plain["chat_id"]),
            agent_id=plain.get("agent_id"),
            percent=float(plain["percent"]),
            visitor_id=str(plain["visitor_id"]),
            created_at=datetime.fromisoformat(str(plain["created_at"])),
            used_at=datetime.fromisoformat(str(plain["used_at"])) if plain.get("used_at") else None,
        )

    # ------------------------------------------------------------------ writes
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
        chat_update = {
            "Update": {
                "TableName": self._table,
                "Key": dynamo.to_item({"PK": keys.chat_pk(chat.site_id, chat.chat_id), "SK": keys.CHAT}),
                "UpdateExpression": "SET #status = :assigned, #agent = :agent, assigned_at = :at, "
                "wait_seconds = :wait REMOVE queue_key",
                "ConditionExpression": "#status = :queued",
                "ExpressionAttributeNames": {"#status": "status", "#agent": "agent"},
                "ExpressionAttributeValues": dynamo.to_item(
                    {
                        ":assigned": "assigned",
                        ":queued": "queued",
                        ":agent": {"agent_id": agent.agent_id, "display_name": agent.display_name},
                        ":at": at.isoformat(),
                        ":wait": round(max(wait, 0.0), 3),
                    }
                ),
            }
        }
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
        chat_update = {
            "Update": {
                "TableName": self._table,
                "Key": dynamo.to_item({"PK": keys.chat_pk(chat.site_id, chat.chat_id), "SK": keys.CHAT}),
                "UpdateExpression": "SET #status = :queued, queue_key = :key REMOVE #agent "
                "ADD reassignments :one",
                "ConditionExpression": "#status = :assigned AND #agent.agent_id = :agent",
                "ExpressionAttributeNames": {"#status": "status", "#agent": "agent"},
                "ExpressionAttributeValues": dynamo.to_item(
                    {
                        ":queued": "queued",
                        ":assigned": "assigned",
                        ":key": queue_key,
                        ":agent": chat.agent.agent_id,
                        ":one": 1,
                    }
                ),
            }
        }
        self._transact(
            [
                chat_update,
                self._agent_release(chat.site_id, chat.agent.agent_id, chat.chat_id),
                self._put_queue_entry(chat, queue_key),
                self._stats_add(chat.site_id, {queued_attribute(chat.category): 1}),
                self._put_record(chat, record),
            ]
        )

    def end(self, chat: Chat, at: datetime, resolved: bool | None, release: bool) -> None:
        """Ends `chat` (as stored); ConcurrentUpdate if its status changed meanwhile. `release`
        gives the agent's slot back (False when the agent item no longer counts this chat)."""
        values: dict[str, Any] = {":ended": "ended", ":at": at.isoformat(), ":current": chat.status}
        expression = "SET #status = :ended, ended_at = :at"
        if resolved is not None:
            expression += ", resolved = :resolved"
            values[":resolved"] = resolved
        actions: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": dynamo.to_item({"PK": keys.chat_pk(chat.site_id, chat.chat_id), "SK": keys.CHAT}),
                    "UpdateExpression": expression + " REMOVE queue_key",
                    "ConditionExpression": "#status = :current",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": dynamo.to_item(values),
                }
            }
        ]
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

    def add_message(self, chat: Chat, message: Message) -> Message:
        """Numbers the message (the chat's next sequence number: its id and cursor) and stores
        it; Conflict when the chat ended or is full. Numbers from the chat item's counter keep
        the order in which messages were accepted, whatever the writers' clocks say."""
        ended_or_full = "this chat has ended or holds its maximum of messages"
        with dynamo.translated(on_conflict=lambda: Conflict(ended_or_full)):
            answer = self._db.update_item(
                TableName=self._table,
                Key=dynamo.to_item({"PK": keys.chat_pk(chat.site_id, chat.chat_id), "SK": keys.CHAT}),
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
            self._db.put_item, TableName=self._table, Item=dynamo.to_item(self._message_item(chat, numbered))
        )
        return numbered

    def add_transcript(self, chat: Chat, messages: list[Message]) -> list[Message]:
        """The chat's first messages (a chatbot's transcript, the visitor's opening line), numbered
        1..n, written right after the chat itself."""
        numbered = [m.model_copy(update={"message_id": message_id(n)}) for n, m in enumerate(messages, 1)]
        self._call(
            self._db.update_item,
            TableName=self._table,
            Key=dynamo.to_item({"PK": keys.chat_pk(chat.site_id, chat.chat_id), "SK": keys.CHAT}),
            UpdateExpression="SET message_count = :count",
            ExpressionAttributeValues=dynamo.to_item({":count": len(numbered)}),
        )
        for start in range(0, len(numbered), 25):
            pending = {
                self._table: [
                    {"PutRequest": {"Item": dynamo.to_item(self._message_item(chat, m))}}
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

    def release(self, site_id: str, agent_id: str, chat_id: str) -> bool:
        """Frees the agent's slot held for a chat that is gone or no longer theirs (an erased
        visitor's chat); True if the agent still counted it."""
        # A transaction's Update action holds exactly UpdateItem's parameters.
        update = self._agent_release(site_id, agent_id, chat_id)["Update"]
        return dynamo.conditional(self._db.update_item, **update) is not None

    @staticmethod
    def _message_item(chat: Chat, message: Message) -> dict[str, Any]:
        item = message.model_dump(
            mode="json", exclude={"message_id"}, exclude_none=True, exclude_defaults=True
        )
        item.update(
            PK=keys.chat_pk(chat.site_id, chat.chat_id),
            SK=keys.message_sk(message.message_id),
            author=message.author,
            text=message.text,
            at=message.at.isoformat(),
            expires_at=_epoch(chat.created_at) + CHAT_TTL_SECONDS,
        )
        return item

    def add_discount(self, chat: Chat, discount: Discount) -> None:
        """Conflict when the chat has a code already (or ended, or changed agent)."""
        item = {
            "PK": keys.discount_pk(chat.site_id, discount.code),
            "SK": keys.DISCOUNT,
            "chat_id": chat.chat_id,
            "percent": discount.percent,
            "visitor_id": chat.visitor_id,
            "session_id": chat.session_id,
            "created_at": discount.created_at.isoformat(),
            "GSI1PK": keys.visitor_pk(chat.site_id, chat.visitor_id),
            "GSI1SK": f"{keys.DISCOUNT}#{discount.code}",
            "expires_at": _epoch(discount.created_at) + CHAT_TTL_SECONDS,
        }
        if discount.agent_id:
            item["agent_id"] = discount.agent_id
        chat_update = {
            "Update": {
                "TableName": self._table,
                "Key": dynamo.to_item({"PK": keys.chat_pk(chat.site_id, chat.chat_id), "SK": keys.CHAT}),
                "UpdateExpression": "SET discount_code = :code, discount_percent = :percent",
                "ConditionExpression": "#status = :assigned AND attribute_not_exists(discount_code) "
                "AND #agent.agent_id = :agent",
                "ExpressionAttributeNames": {"#status": "status", "#agent": "agent"},
                "ExpressionAttributeValues": dynamo.to_item(
                    {
                        ":code": discount.code,
                        ":percent": discount.percent,
                        ":assigned": "assigned",
                        ":agent": discount.agent_id or "",
                    }
                ),
            }
        }
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

    def add_survey(self, chat: Chat, answers: SurveyAnswers, at: datetime, day: str) -> None:
        """Conflict when the chat has its survey already."""
        from klantreis.routing.performance import survey_counts

        survey = answers.model_dump(mode="json", exclude_none=True)
        survey.update(
            PK=keys.chat_pk(chat.site_id, chat.chat_id),
            SK=keys.SURVEY,
            at=at.isoformat(),
            day=day,
            category=chat.category or keys.UNCATEGORIZED,
            expires_at=_epoch(chat.created_at) + CHAT_TTL_SECONDS,
        )
        if chat.agent is not None:
            survey["agent_id"] = chat.agent.agent_id
        summary = SurveySummary(csat=answers.csat, nps=answers.nps, ces=answers.ces, at=at)
        actions: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": dynamo.to_item(survey),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            {
                "Update": {
                    "TableName": self._table,
                    "Key": dynamo.to_item({"PK": keys.chat_pk(chat.site_id, chat.chat_id), "SK": keys.CHAT}),
                    "UpdateExpression": "SET survey = :survey",
                    "ConditionExpression": "attribute_exists(PK)",
                    "ExpressionAttributeValues": dynamo.to_item(
                        {":survey": summary.model_dump(mode="json", exclude_none=True)}
                    ),
                }
            },
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
            Key=dynamo.to_item({"PK": keys.chat_pk(earlier.site_id, earlier.chat_id), "SK": keys.CHAT}),
            UpdateExpression="SET follow_up_chat_id = :chat",
            ConditionExpression="attribute_exists(PK) AND attribute_not_exists(follow_up_chat_id)",
            ExpressionAttributeValues=dynamo.to_item({":chat": chat_id}),
        )

    def mark_converted(self, chat: Chat, at: datetime, value: float, code: str | None = None) -> bool:
        """Attributes a purchase to the chat (and its agent) once; True if it was not yet."""
        actions: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": dynamo.to_item({"PK": keys.chat_pk(chat.site_id, chat.chat_id), "SK": keys.CHAT}),
                    "UpdateExpression": "SET converted_at = :at, conversion_value = :value",
                    "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(converted_at)",
                    "ExpressionAttributeValues": dynamo.to_item({":at": at.isoformat(), ":value": value}),
                }
            }
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

    # ------------------------------------------------------------------ actions
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
        plain = record.model_dump(mode="json", exclude_none=True)
        plain.update(
            PK=keys.chat_pk(chat.site_id, chat.chat_id),
            SK=f"{keys.ROUTING_PREFIX}{record.at.isoformat()}#{secrets.token_hex(3)}",
            expires_at=_epoch(chat.created_at) + CHAT_TTL_SECONDS,
        )
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
        item: dict[str, Any] = {
            "PK": keys.queue_pk(chat.site_id),
            "SK": queue_key,
            "chat_id": chat.chat_id,
            "GSI1PK": keys.visitor_pk(chat.site_id, chat.visitor_id),
            "GSI1SK": f"{QUEUE_INDEX_PREFIX}{chat.chat_id}",
            "expires_at": _epoch(chat.created_at) + CHAT_TTL_SECONDS,
        }
        if chat.category:
            item["category"] = chat.category
        if chat.skills:
            item["skills"] = list(chat.skills)
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

    # ------------------------------------------------------------------ plumbing
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
    def _call(operation: Any, **request: Any) -> Any:
        try:
            with dynamo.translated():
                return operation(**request)
        except (NetworkError, HTTPClientError) as exc:
            # No answer even after botocore's retries: transient, and a write may still land.
            raise Throttled("the database did not answer in time; retry shortly") from exc


def chat_agent(agent: AgentProfile) -> ChatAgent:
    return ChatAgent(agent_id=agent.agent_id, display_name=agent.display_name)
