"""The engagement funnel counted from the stream: decisions when written, offers when answered, chats
when started and when converted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from klantreis.conversations.chat_items import chat_item
from klantreis.conversations.models import Chat
from klantreis.dynamo import to_item
from klantreis.engagement.records import Decision, Offer, decision_item, offer_item
from klantreis.projections.changes import decode
from klantreis.projections.day_counters import COUNTERS, FUNNEL_COUNTERS, deltas, funnel_deltas

AT = datetime(2026, 11, 22, 19, 0, tzinfo=UTC)


def decision(reason: str, **fields: Any) -> dict[str, Any]:
    return decision_item(
        Decision.model_validate(
            {"site_id": "demo", "visitor_id": "anna", "session_id": "s-1", "decision_id": f"d-{reason}",
             "at": AT, "day": "2026-11-22", "reason": reason, **fields}
        )
    )  # fmt: skip


def offer(**fields: Any) -> dict[str, Any]:
    return offer_item(
        Offer.model_validate(
            {"site_id": "demo", "offer_id": "o-1", "visitor_id": "anna", "session_id": "s-1", "rule_id": "r",
             "message": "hoi", "day": "2026-11-22", "created_at": AT, **fields}
        )
    )  # fmt: skip


def record(name: str, new: dict[str, Any], old: dict[str, Any] | None = None) -> dict[str, Any]:
    change: dict[str, Any] = {"Keys": to_item({"PK": new["PK"], "SK": new["SK"]}), "NewImage": to_item(new)}
    if old is not None:
        change["OldImage"] = to_item(old)
    return {"eventID": name, "eventName": "MODIFY" if old else "INSERT", "dynamodb": change}


def test_each_decision_counts_its_step_of_the_funnel() -> None:
    offered = decision("qualified", qualified=True, first_in_session=True)
    assert funnel_deltas(offered["SK"], None, offered) == {
        "decisions": 1, "qualified": 1, "offers": 1, "offered_sessions": 1,
    }  # fmt: skip
    assert funnel_deltas(decision("holdout")["SK"], None, decision("holdout", qualified=True)) == {
        "decisions": 1, "qualified": 1, "holdout_decisions": 1,
    }  # fmt: skip
    assert funnel_deltas(decision("capped")["SK"], None, decision("capped", qualified=True)) == {
        "decisions": 1, "qualified": 1, "blocked_capped": 1,
    }  # fmt: skip
    assert funnel_deltas(decision("bot")["SK"], None, decision("bot")) == {"decisions": 1, "blocked_bot": 1}


def test_a_batch_with_decisions_and_responses() -> None:
    records = [
        record("1", decision("qualified", qualified=True, first_in_session=True)),
        record("2", decision("holdout", qualified=True, first_in_session=True)),
        record("3", decision("not_qualified")),
        record("4", offer()),
        record("5", offer(response="rejected"), old=offer()),
        # the same response written again (a retry) is not a second rejection
        record("6", offer(response="rejected"), old=offer(response="rejected")),
    ]
    totals = deltas(decode(records))[("demo", "2026-11-22")]
    assert dict(totals) == {
        "decisions": 3, "qualified": 2, "offers": 1, "offered_sessions": 1, "holdout_decisions": 1,
        "holdout_sessions": 1, "blocked_not_qualified": 1, "offers_rejected": 1,
    }  # fmt: skip


def test_every_funnel_counter_is_reported_even_at_zero() -> None:
    assert set(FUNNEL_COUNTERS) <= set(COUNTERS)
    assert {"chats_started", "chats_converted", "offers_accepted", "offers_ignored"} <= set(FUNNEL_COUNTERS)


def chat(**fields: Any) -> dict[str, Any]:
    return chat_item(
        Chat.model_validate(
            {"site_id": "demo", "chat_id": "c-1", "visitor_id": "anna", "session_id": "s-1",
             "status": "assigned", "created_at": AT, "day": "2026-11-22", **fields}
        )
    )  # fmt: skip


def test_a_chat_counts_when_it_starts_and_when_it_first_converts() -> None:
    started = chat()
    assert funnel_deltas(started["SK"], None, started) == {"chats_started": 1}
    # messages, status changes and surveys count nothing
    busier = {**started, "message_count": 3, "status": "ended"}
    assert funnel_deltas(started["SK"], started, busier) == {}
    converted = {**busier, "converted_at": "2026-11-22T21:00:00+00:00", "conversion_value": 296.96}
    assert funnel_deltas(started["SK"], busier, converted) == {"chats_converted": 1}
    # a later change of a converted chat is not a second conversion
    assert funnel_deltas(started["SK"], converted, {**converted, "message_count": 4}) == {}


def test_chats_count_on_their_own_day_and_site_whenever_they_convert() -> None:
    # given a chat of the 21st (Amsterdam) that converts on the 22nd, and one of another site
    older = chat(chat_id="c-0", day="2026-11-21")
    elsewhere = {**chat(), "PK": "SITE#other-shop#CHAT#c-9"}
    # (a chat that is erased or expires counts nothing)
    removed = {"Keys": to_item({"PK": older["PK"], "SK": "CHAT"}), "OldImage": to_item(older)}
    records = [
        record("1", chat()),
        record("2", {**older, "converted_at": "2026-11-22T09:00:00+00:00"}, old=older),
        record("3", elsewhere),
        {"eventID": "4", "eventName": "REMOVE", "dynamodb": removed},
    ]
    # then each counts on its chat's day, of its own site
    totals = deltas(decode(records))
    assert {key: dict(value) for key, value in totals.items()} == {
        ("demo", "2026-11-22"): {"chats_started": 1},
        ("demo", "2026-11-21"): {"chats_converted": 1},
        ("other-shop", "2026-11-22"): {"chats_started": 1},
    }


def test_the_other_items_of_a_chat_count_nothing() -> None:
    started = chat()
    message = {"PK": started["PK"], "SK": "MSG#0001764000000000-ab", "text": "hoi", "day": "2026-11-22"}
    survey = {"PK": started["PK"], "SK": "SURVEY", "csat": 5, "day": "2026-11-22"}
    assert deltas(decode([record("1", message), record("2", survey)])) == {}
