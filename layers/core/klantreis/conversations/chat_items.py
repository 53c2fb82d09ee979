"""The chat items of the single table, both ways: a chat, its messages, routing records, survey,
feedback line, queue entry and discount code as stored, and back. Pure functions, no client: every
chat adapter (`klantreis.conversations.dynamo_store`) and the stream's readers share them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from klantreis import keys
from klantreis.conversations.models import (
    CHAT_TTL_SECONDS,
    Chat,
    Message,
    RoutingRecord,
    SurveyAnswers,
)
from klantreis.conversations.ports import Discount, QueueEntry

CHAT_INDEX_PREFIX = "CHAT#"
QUEUE_INDEX_PREFIX = "QUEUE#"
_STORAGE_FIELDS = ("PK", "SK", "expires_at")


def expires_at(chat: Chat) -> int:
    """Every item of a chat expires with it."""
    return int(chat.created_at.timestamp()) + CHAT_TTL_SECONDS


def chat_key(site_id: str, chat_id: str) -> dict[str, str]:
    return {"PK": keys.chat_pk(site_id, chat_id), "SK": keys.CHAT}


def chat_item(chat: Chat) -> dict[str, Any]:
    plain = chat.model_dump(
        mode="json", exclude={"site_id", "chat_id"}, exclude_none=True, exclude_defaults=True
    )
    plain.update(
        chat_key(chat.site_id, chat.chat_id),
        status=chat.status,
        visitor_id=chat.visitor_id,
        session_id=chat.session_id,
        created_at=chat.created_at.isoformat(),
        day=chat.day,
        GSI1PK=keys.visitor_pk(chat.site_id, chat.visitor_id),
        GSI1SK=f"{CHAT_INDEX_PREFIX}{chat.created_at.isoformat()}#{chat.chat_id}",
        expires_at=expires_at(chat),
    )
    return plain


def chat_from_item(plain: Mapping[str, Any]) -> Chat:
    site_id, chat_id = keys.parse_chat_pk(str(plain["PK"]))
    skip = ("PK", "SK", "GSI1PK", "GSI1SK", "expires_at", "message_count")
    fields = {k: v for k, v in plain.items() if k not in skip}
    return Chat.model_validate({**fields, "site_id": site_id, "chat_id": chat_id})


def message_item(chat: Chat, message: Message) -> dict[str, Any]:
    item = message.model_dump(mode="json", exclude={"message_id"}, exclude_none=True, exclude_defaults=True)
    item.update(
        PK=keys.chat_pk(chat.site_id, chat.chat_id),
        SK=keys.message_sk(message.message_id),
        author=message.author,
        text=message.text,
        at=message.at.isoformat(),
        expires_at=expires_at(chat),
    )
    return item


def message_from_item(plain: Mapping[str, Any]) -> Message:
    message_id = str(plain["SK"]).removeprefix(keys.MESSAGE_PREFIX)
    fields = {k: v for k, v in plain.items() if k not in _STORAGE_FIELDS}
    return Message.model_validate({**fields, "message_id": message_id})


def routing_record_item(chat: Chat, record: RoutingRecord, suffix: str) -> dict[str, Any]:
    """`suffix` keeps two records of the same moment apart."""
    plain = record.model_dump(mode="json", exclude_none=True)
    plain.update(
        PK=keys.chat_pk(chat.site_id, chat.chat_id),
        SK=f"{keys.ROUTING_PREFIX}{record.at.isoformat()}#{suffix}",
        expires_at=expires_at(chat),
    )
    return plain


def routing_record_from_item(plain: Mapping[str, Any]) -> RoutingRecord:
    return RoutingRecord.model_validate({k: v for k, v in plain.items() if k not in _STORAGE_FIELDS})


def queue_entry_item(chat: Chat, queue_key: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "PK": keys.queue_pk(chat.site_id),
        "SK": queue_key,
        "chat_id": chat.chat_id,
        "GSI1PK": keys.visitor_pk(chat.site_id, chat.visitor_id),
        "GSI1SK": f"{QUEUE_INDEX_PREFIX}{chat.chat_id}",
        "expires_at": expires_at(chat),
    }
    if chat.category:
        item["category"] = chat.category
    if chat.skills:
        item["skills"] = list(chat.skills)
    return item


def queue_entry_from_item(plain: Mapping[str, Any]) -> QueueEntry:
    return QueueEntry(
        queue_key=str(plain["SK"]),
        chat_id=str(plain["chat_id"]),
        category=plain.get("category"),
        skills=tuple(sorted(plain.get("skills") or ())),
    )


def discount_item(chat: Chat, discount: Discount) -> dict[str, Any]:
    item: dict[str, Any] = {
        "PK": keys.discount_pk(chat.site_id, discount.code),
        "SK": keys.DISCOUNT,
        "chat_id": chat.chat_id,
        "percent": discount.percent,
        "visitor_id": chat.visitor_id,
        "session_id": chat.session_id,
        "created_at": discount.created_at.isoformat(),
        "GSI1PK": keys.visitor_pk(chat.site_id, chat.visitor_id),
        "GSI1SK": f"{keys.DISCOUNT}#{discount.code}",
        "expires_at": int(discount.created_at.timestamp()) + CHAT_TTL_SECONDS,
    }
    if discount.agent_id:
        item["agent_id"] = discount.agent_id
    return item


def discount_from_item(site_id: str, code: str, plain: Mapping[str, Any]) -> Discount:
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


def survey_item(chat: Chat, answers: SurveyAnswers, at: datetime, day: str) -> dict[str, Any]:
    survey = answers.model_dump(mode="json", exclude_none=True)
    survey.update(
        PK=keys.chat_pk(chat.site_id, chat.chat_id),
        SK=keys.SURVEY,
        at=at.isoformat(),
        day=day,
        category=chat.category or keys.UNCATEGORIZED,
        expires_at=expires_at(chat),
    )
    if chat.agent is not None:
        survey["agent_id"] = chat.agent.agent_id
    return survey


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
        expires_at=expires_at(chat),
    )
    if chat.category is not None:
        plain["category"] = chat.category
    if chat.agent is not None:
        plain["agent_id"] = chat.agent.agent_id
        plain["agent_name"] = chat.agent.display_name
    return plain
