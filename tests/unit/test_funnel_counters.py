"""The engagement funnel counted from the stream: decisions when written, offers when answered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from klantreis.dynamo import to_item
from klantreis.engagement.records import Decision, Offer, decision_item, offer_item
from klantreis.journey.counters import COUNTERS, FUNNEL_COUNTERS, deltas_from_stream, funnel_deltas

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
    totals = deltas_from_stream(records)[("demo", "2026-11-22")]
    assert dict(totals) == {
        "decisions": 3, "qualified": 2, "offers": 1, "offered_sessions": 1, "holdout_decisions": 1,
        "holdout_sessions": 1, "blocked_not_qualified": 1, "offers_rejected": 1,
    }  # fmt: skip


def test_every_funnel_counter_is_reported_even_at_zero() -> None:
    assert set(FUNNEL_COUNTERS) <= set(COUNTERS)
    assert {"chats_started", "chats_converted", "offers_accepted", "offers_ignored"} <= set(FUNNEL_COUNTERS)
