"""The report's counters from stream images (klantreis.projections.report_counters): each chat transition,
survey, new session and first purchase counts once, on its own day and hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from klantreis.conversations.chat_items import chat_item
from klantreis.conversations.models import Chat, ChatAgent
from klantreis.dynamo import to_item
from klantreis.projections.changes import decode
from klantreis.projections.counters_dynamo_store import DynamoCounterStore
from klantreis.projections.day_counters import MAX_NAMES_PER_UPDATE
from klantreis.projections.exactly_once import MAX_TRANSACTION_ITEMS, transaction_parts
from klantreis.projections.report_counters import (
    ArmDecision,
    FirstPurchase,
    chat_counts,
    first_purchases,
    session_arm,
    session_hour_counts,
    survey_item_counts,
    uplift_deltas,
)
from klantreis.projections.report_counters import deltas as report_deltas
from klantreis.reports.names import WAIT_BUCKET_EDGES, wait_bucket, wait_bucket_of

AT = datetime(2026, 11, 22, 19, 0, tzinfo=UTC)
"""20:00 in Amsterdam."""
DAY = "2026-11-22"
MIRJAM = ChatAgent(agent_id="mirjam", display_name="Mirjam")
SVEN = ChatAgent(agent_id="sven", display_name="Sven")


def chat(**fields: Any) -> dict[str, Any]:
    """A chat item as the store writes it: queued, created at AT (local hour 20)."""
    values: dict[str, Any] = {
        "site_id": "demo", "chat_id": "c-1", "visitor_id": "anna", "session_id": "s-1",
        "category": "dameslaarzen", "status": "queued", "created_at": AT, "day": DAY, "hour": 20,
    }  # fmt: skip
    values.update(fields)
    return chat_item(Chat.model_validate(values))


def assigned(agent: ChatAgent = MIRJAM, after: float = 42.0, **fields: Any) -> dict[str, Any]:
    at = AT + timedelta(seconds=after)
    values: dict[str, Any] = {"status": "assigned", "agent": agent, "assigned_at": at, "wait_seconds": after}
    return chat(**(values | fields))


def ended(resolved: bool | None = True, handled: float = 300.0, **fields: Any) -> dict[str, Any]:
    at = AT + timedelta(seconds=42 + handled)
    return assigned(status="ended", ended_at=at, resolved=resolved, **fields)


def survey(**fields: Any) -> dict[str, Any]:
    """A survey item as the store writes it."""
    return {
        "PK": "SITE#demo#CHAT#c-1", "SK": "SURVEY", "at": AT.isoformat(), "day": DAY,
        "category": "dameslaarzen", "agent_id": "mirjam", **fields,
    }  # fmt: skip


def session(purchases: int = 0, **fields: Any) -> dict[str, Any]:
    """A session item's stored form (times in epoch milliseconds)."""
    item: dict[str, Any] = {
        "PK": "SITE#demo#V#anna", "SK": "SESSION#s-1", "version": 1, "first_at": ms(AT),
        "last_at": ms(AT + timedelta(minutes=5)), "first_local_hour": 20, "days": {DAY: {}}, **fields,
    }  # fmt: skip
    if purchases:
        item["purchases"] = purchases
        item["last_purchase_at"] = ms(AT + timedelta(minutes=5))
    return item


def ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def breakdowns(agent: str, category: str, metrics: dict[str, float]) -> dict[str, float]:
    """The same metrics counted for the agent, the category and the agent x category cell."""
    prefixes = (f"agent#{agent}#", f"category#{category}#", f"agent_category#{agent}#{category}#")
    return {prefix + metric: value for prefix in prefixes for metric, value in metrics.items()}


def record(name: str, new: dict[str, Any] | None, old: dict[str, Any] | None = None) -> dict[str, Any]:
    image = new or old
    assert image is not None
    change: dict[str, Any] = {"Keys": to_item({"PK": image["PK"], "SK": image["SK"]})}
    if new is not None:
        change["NewImage"] = to_item(new)
    if old is not None:
        change["OldImage"] = to_item(old)
    event = "REMOVE" if new is None else "MODIFY" if old else "INSERT"
    return {"eventID": name, "eventName": event, "dynamodb": change}


# ------------------------------------------------------------------------------- assignment
def test_a_chat_created_in_the_queue_counts_as_an_arrival_of_its_local_hour() -> None:
    assert chat_counts(None, chat()) == {"h20#chats": 1}


def test_its_first_assignment_counts_the_wait_the_agent_and_the_category() -> None:
    # given a queued chat, when an agent takes it after 42 s
    change = chat_counts(chat(), assigned())
    # then
    assert change == {
        "chats_assigned": 1, "wait_seconds_sum": 42.0, "wait_b06": 1,
        "agent#mirjam#chats": 1, "category#dameslaarzen#chats": 1,
        "agent_category#mirjam#dameslaarzen#chats": 1,
        **breakdowns("mirjam", "dameslaarzen", {"waits": 1, "wait_seconds_sum": 42.0}),
    }  # fmt: skip


def test_a_chat_created_assigned_counts_its_arrival_and_assignment_at_once() -> None:
    change = chat_counts(None, assigned(after=0.0))
    assert change == {
        "h20#chats": 1, "chats_assigned": 1, "wait_b00": 1,
        "agent#mirjam#chats": 1, "category#dameslaarzen#chats": 1,
        "agent_category#mirjam#dameslaarzen#chats": 1,
        **breakdowns("mirjam", "dameslaarzen", {"waits": 1, "answered_in_time": 1}),
    }  # fmt: skip


def test_a_requeued_and_reassigned_chat_is_assigned_once_but_a_chat_of_both_agents() -> None:
    # given a chat mirjam had, taken back into the queue (her console went silent)
    first = assigned()
    requeued = {k: v for k, v in first.items() if k != "agent"} | {"status": "queued", "reassignments": 1}
    # when sven takes it (the store keeps the first wait and sets a new assigned_at)
    again = assigned(SVEN, reassignments=1) | {"assigned_at": (AT + timedelta(minutes=5)).isoformat()}
    # then the requeue counts nothing, and the reassignment only sven's chat
    assert chat_counts(first, requeued) == {}
    assert chat_counts(requeued, again) == {
        "agent#sven#chats": 1, "agent_category#sven#dameslaarzen#chats": 1,
    }  # fmt: skip


def test_other_changes_of_an_assigned_chat_count_nothing() -> None:
    busier = assigned() | {"message_count": 7, "discount_code": "KR-X", "discount_percent": 10}
    assert chat_counts(assigned(), busier) == {}


def test_a_chat_without_category_counts_under_the_uncategorized_category() -> None:
    assert chat_counts(chat(category=None), assigned(category=None))["category#*#chats"] == 1


def test_waits_fall_in_the_histogram_bucket_of_their_upper_edge() -> None:
    assert wait_bucket_of(0) == wait_bucket_of(1) == "wait_b00"  # answered at once
    assert wait_bucket_of(5) == "wait_b01"
    assert wait_bucket_of(5.001) == "wait_b02"
    assert wait_bucket_of(30) == "wait_b05"  # the service level (within 30 s) is exact
    assert wait_bucket_of(30.5) == "wait_b06"
    assert wait_bucket_of(1800) == wait_bucket(len(WAIT_BUCKET_EDGES) - 1)
    assert wait_bucket_of(1801) == wait_bucket(len(WAIT_BUCKET_EDGES)) == "wait_b14"


# ------------------------------------------------------------------------------------- end
def test_an_ended_chat_counts_its_handle_time_and_resolution_in_its_creation_hour() -> None:
    assert chat_counts(assigned(), ended(resolved=True, handled=300.5)) == {
        "chats_ended": 1, "chats_resolved": 1, "chats_handled": 1, "handle_seconds_sum": 300.5,
        "h20#ended": 1, "h20#handle_seconds": 300.5,
        **breakdowns("mirjam", "dameslaarzen", {"handled": 1, "handled_resolved": 1}),
    }  # fmt: skip
    assert "chats_resolved" not in chat_counts(assigned(), ended(resolved=False))
    assert "chats_resolved" not in chat_counts(assigned(), ended(resolved=None))


def test_a_chat_ended_in_the_queue_has_no_handle_time() -> None:
    gave_up = chat(status="ended", ended_at=AT + timedelta(minutes=3))
    assert chat_counts(chat(), gave_up) == {"chats_ended": 1}


def test_an_ended_chat_changed_later_is_not_ended_again() -> None:
    done = ended()
    assert chat_counts(done, done | {"survey": {"csat": 5, "at": AT.isoformat()}}) == {}


def test_a_chat_stored_without_its_local_hour_counts_in_its_utc_hour() -> None:
    old_style = {k: v for k, v in chat().items() if k != "hour"}
    assert chat_counts(None, old_style) == {"h19#chats": 1}


# ----------------------------------------------------------------------------- follow-ups
def test_a_follow_up_of_a_resolved_chat_counts_once_when_it_is_marked_after_the_end() -> None:
    done = ended(resolved=True)
    followed = done | {"follow_up_chat_id": "c-2"}
    assert chat_counts(done, followed) == {
        "chats_resolved_followed_up": 1,
        **breakdowns("mirjam", "dameslaarzen", {"handled_resolved_followed_up": 1}),
    }
    assert chat_counts(followed, followed | {"message_count": 3}) == {}


def test_a_follow_up_marked_while_the_chat_is_open_counts_when_it_ends_resolved() -> None:
    # given the visitor opened a new chat about the same category while this one was open
    open_chat = assigned()
    followed = open_chat | {"follow_up_chat_id": "c-2"}
    assert chat_counts(open_chat, followed) == {}
    # when it ends resolved, then it counts as resolved and as followed up, once
    change = chat_counts(followed, ended(resolved=True, follow_up_chat_id="c-2"))
    assert change["chats_resolved"] == change["chats_resolved_followed_up"] == 1


def test_a_follow_up_of_an_unresolved_chat_is_no_failed_resolution() -> None:
    unresolved = ended(resolved=False)
    assert chat_counts(unresolved, unresolved | {"follow_up_chat_id": "c-2"}) == {}
    assert "chats_resolved_followed_up" not in chat_counts(
        assigned(follow_up_chat_id="c-2"), ended(resolved=False, follow_up_chat_id="c-2")
    )


# ---------------------------------------------------------------------------- conversions
def test_a_conversion_counts_for_the_chats_agent_and_category_once() -> None:
    done = ended()
    converted = done | {"converted_at": (AT + timedelta(hours=1)).isoformat(), "conversion_value": 296.96}
    assert chat_counts(done, converted) == {
        "chat_revenue": 296.96,
        **breakdowns("mirjam", "dameslaarzen", {"conversions": 1, "revenue": 296.96}),
    }
    assert chat_counts(converted, converted | {"message_count": 9}) == {}


def test_a_conversion_of_a_chat_that_never_had_an_agent_counts_for_its_category() -> None:
    gave_up = chat(status="ended", ended_at=AT)
    converted = gave_up | {"converted_at": (AT + timedelta(hours=1)).isoformat()}
    assert chat_counts(gave_up, converted) == {"category#dameslaarzen#conversions": 1}


# --------------------------------------------------------------------------------- surveys
def test_a_survey_counts_its_answers_in_total_per_agent_and_per_category() -> None:
    assert survey_item_counts(survey(csat=5, nps=6, ces=2)) == {
        "surveys": 1, "csat_n": 1, "csat_good": 1, "csat_sum": 5, "nps_n": 1, "nps_detractors": 1,
        "ces_n": 1, "ces_sum": 2,
        **breakdowns("mirjam", "dameslaarzen", {
            "csat_n": 1, "csat_good": 1, "nps_n": 1, "nps_detractors": 1, "ces_n": 1, "ces_sum": 2,
        }),
    }  # fmt: skip


def test_a_survey_without_agent_or_scores() -> None:
    # a chat that ended in the queue: no agent to rate; a comment only: no scores
    no_agent = {k: v for k, v in survey(nps=10, category="*").items() if k != "agent_id"}
    assert survey_item_counts(no_agent) == {
        "surveys": 1, "nps_n": 1, "nps_promoters": 1, "category#*#nps_n": 1, "category#*#nps_promoters": 1,
    }  # fmt: skip
    assert survey_item_counts(survey(comment="top")) == {"surveys": 1}
    # a score out of range (never stored through the API) counts the survey, not the score
    assert survey_item_counts(survey(csat=9)) == {"surveys": 1}


def test_a_named_preferred_channel_counts_overall_and_for_the_chats_category() -> None:
    assert survey_item_counts(survey(preferred_channel="whatsapp", category="wol#zijde")) == {
        "surveys": 1, "preferred_channel_answers": 1, "channel#whatsapp": 1,
        "category_channel#wol#zijde#whatsapp": 1,
    }  # fmt: skip


def test_a_survey_of_a_category_with_a_hash_counts_in_its_agent_by_category_cell() -> None:
    change = survey_item_counts(survey(ces=6, category="wol#zijde"))
    assert change["agent_category#mirjam#wol#zijde#ces_sum"] == 6
    assert change["category#wol#zijde#ces_n"] == 1


def test_a_quick_first_answer_is_within_the_service_level_for_its_agent_and_category() -> None:
    change = chat_counts(chat(), assigned(after=30.0))
    assert change["agent#mirjam#answered_in_time"] == change["category#dameslaarzen#waits"] == 1
    assert "agent#mirjam#answered_in_time" not in chat_counts(chat(), assigned(after=30.5))


def test_a_follow_up_of_a_chat_never_handled_is_no_agents_failed_resolution() -> None:
    gave_up = chat(status="ended", ended_at=AT, resolved=True)
    assert chat_counts(gave_up, gave_up | {"follow_up_chat_id": "c-2"}) == {"chats_resolved_followed_up": 1}


def test_surveys_count_when_written_on_their_own_day() -> None:
    later = survey(csat=4, day="2026-11-24")
    records = [record("1", later), record("2", later | {"comment": "x"}, old=later)]
    assert report_deltas(decode(records)) == {
        ("demo", "2026-11-24"): {
            "surveys": 1, "csat_n": 1, "csat_good": 1, "csat_sum": 4,
            **breakdowns("mirjam", "dameslaarzen", {"csat_n": 1, "csat_good": 1}),
        }
    }  # fmt: skip


# -------------------------------------------------------------------------------- sessions
def test_a_new_session_counts_in_the_local_hour_of_its_first_event_once() -> None:
    new = session()
    assert session_hour_counts(None, new) == (DAY, {"h20#sessions": 1})
    assert session_hour_counts(new, new | {"version": 2}) is None


def test_a_session_stored_without_its_local_hour_counts_in_its_utc_hour() -> None:
    old_style = {k: v for k, v in session().items() if k != "first_local_hour"}
    assert session_hour_counts(None, old_style) == (DAY, {"h19#sessions": 1})


def test_a_session_counts_on_its_first_day() -> None:
    late = session(first_local_hour=23, days={"2026-11-23": {}, DAY: {}})
    assert session_hour_counts(None, late) == (DAY, {"h23#sessions": 1})


def test_a_batch_sums_by_site_and_day_and_ignores_removals_and_other_items() -> None:
    other_site = chat() | {"PK": "SITE#other#CHAT#c-9"}
    records = [
        record("1", session()),
        record("2", chat()),
        record("3", assigned(), old=chat()),
        record("4", other_site),
        record("5", None, old=ended()),
        record("6", {"PK": "SITE#demo#V#anna", "SK": "JOURNEY#s-1#00000#x", "entries": []}),
        record("7", ended(), old=assigned()),
    ]
    assert report_deltas(decode(records)) == {
        ("demo", DAY): {
            "h20#sessions": 1, "h20#chats": 1, "chats_assigned": 1, "wait_seconds_sum": 42,
            "wait_b06": 1, "agent#mirjam#chats": 1, "category#dameslaarzen#chats": 1,
            "agent_category#mirjam#dameslaarzen#chats": 1,
            "chats_ended": 1, "chats_resolved": 1, "chats_handled": 1, "handle_seconds_sum": 300,
            "h20#ended": 1,
            "h20#handle_seconds": 300,
            **breakdowns("mirjam", "dameslaarzen", {
                "waits": 1, "wait_seconds_sum": 42, "handled": 1, "handled_resolved": 1,
            }),
        },
        ("other", DAY): {"h20#chats": 1},
    }  # fmt: skip


# ---------------------------------------------------------------------------------- uplift
def decision(reason: str, minutes: float, first: bool = True, day: str = DAY) -> ArmDecision:
    return ArmDecision(at=AT + timedelta(minutes=minutes), day=day, reason=reason, first_in_session=first)


def test_only_a_sessions_first_purchase_is_a_first_purchase() -> None:
    records = [
        record("1", session(purchases=1), old=session()),
        record("2", session(purchases=2), old=session(purchases=1)),  # a second purchase
        record("3", session(purchases=1) | {"SK": "SESSION#s-2"}),  # bought in its first batch
        record("4", session() | {"SK": "SESSION#s-3", "version": 2}, old=session() | {"SK": "SESSION#s-3"}),
    ]
    assert first_purchases(decode(records)) == [
        FirstPurchase("demo", "anna", "s-1", AT, AT + timedelta(minutes=5)),
        FirstPurchase("demo", "anna", "s-2", AT, AT + timedelta(minutes=5)),
    ]


def test_the_sessions_first_offer_or_holdout_before_the_purchase_is_its_arm() -> None:
    bought = AT + timedelta(minutes=5)
    assert session_arm([decision("qualified", 2)], bought) == ("offered", DAY)
    assert session_arm([decision("holdout", 2, day="2026-11-21")], bought) == ("holdout", "2026-11-21")
    # the first of the session counts, not a later offer, and not one that was not its first
    assert session_arm([decision("qualified", 4), decision("holdout", 1)], bought) == ("holdout", DAY)
    assert session_arm([decision("qualified", 2, first=False)], bought) is None
    # nor decisions that kept the offer back for another reason, or came after the purchase
    assert session_arm([decision("capped", 1), decision("not_qualified", 2)], bought) is None
    assert session_arm([decision("qualified", 6)], bought) is None
    assert session_arm([], bought) is None


class FakeDecisions:
    def __init__(self, decisions: dict[str, list[ArmDecision]]) -> None:
        self.decisions = decisions
        self.asked: list[tuple[str, datetime, datetime]] = []

    def session_decisions(
        self, site_id: str, visitor_id: str, session_id: str, since: datetime, until: datetime
    ) -> list[ArmDecision]:
        self.asked.append((session_id, since, until))
        return self.decisions.get(session_id, [])


def test_converted_sessions_count_in_their_arm_on_the_decisions_day() -> None:
    # given an offered session, a holdout session of the day before, and one never decided on
    bought = AT + timedelta(minutes=5)
    lookup = FakeDecisions(
        {"s-1": [decision("qualified", 1)], "s-2": [decision("holdout", 1, day="2026-11-21")]}
    )
    purchases = [FirstPurchase("demo", "anna", s, AT, bought) for s in ("s-1", "s-2", "s-3")]
    # when they buy, then
    assert uplift_deltas(purchases, lookup) == {
        ("demo", DAY): {"offered_converted_sessions": 1},
        ("demo", "2026-11-21"): {"holdout_converted_sessions": 1},
    }
    # the lookup covers the session with a margin
    assert lookup.asked[0] == ("s-1", AT - timedelta(days=1), bought + timedelta(days=1))


def test_the_gain_policys_converted_sessions_are_counted_like_with_like() -> None:
    # given sessions first offered by the gain policy, held out where it would have offered, held
    # out where it would not have, and offered by the rules
    bought = AT + timedelta(minutes=5)

    def gain(reason: str, policy_offer: bool | None) -> ArmDecision:
        return ArmDecision(
            at=AT, day=DAY, reason=reason, first_in_session=True, policy="gain", policy_offer=policy_offer
        )

    lookup = FakeDecisions(
        {
            "s-1": [gain("qualified", True)],
            "s-2": [gain("holdout", True)],
            "s-3": [gain("holdout", False)],
            "s-4": [decision("qualified", 1)],
        }
    )
    purchases = [FirstPurchase("demo", "anna", f"s-{n}", AT, bought) for n in range(1, 5)]
    # when they all buy, then each counts in its arm, and only the first two also like with like
    assert uplift_deltas(purchases, lookup) == {
        ("demo", DAY): {
            "offered_converted_sessions": 2, "holdout_converted_sessions": 2,
            "gain_offered_converted_sessions": 1, "gain_holdout_converted_sessions": 1,
        }
    }  # fmt: skip


# ------------------------------------------------------------------------- counter writes
def test_a_day_with_many_counters_is_written_in_parts_to_distinct_slots() -> None:
    # given a day's change of 250 counters (many agents and categories)
    store = DynamoCounterStore(None, "t")
    change = {f"agent#a{n:03d}#chats": 1.0 for n in range(250)}
    # then it is three updates of at most MAX_NAMES_PER_UPDATE names, each to another slot, the
    # same on every attempt of the batch
    parts = store._slotted("marker", "demo", DAY, change)
    assert [len(names) for _, names in parts] == [MAX_NAMES_PER_UPDATE, MAX_NAMES_PER_UPDATE, 50]
    assert len({slot for slot, _ in parts}) == 3
    assert parts == store._slotted("marker", "demo", DAY, change)


def test_a_transaction_never_writes_an_item_twice_nor_more_than_99() -> None:
    def update(pk: str, sk: str) -> dict[str, Any]:
        return {"Update": {"TableName": "t", "Key": to_item({"PK": pk, "SK": sk})}}

    # given five updates of a day's four slots, and many days
    day = [update("D", f"COUNTER#{n % 4}") for n in range(5)]
    many = [update(f"D{n}", "COUNTER#0") for n in range(150)]
    # then the fifth starts a new transaction, and 150 items take two
    assert [len(part) for part in transaction_parts(day)] == [4, 1]
    assert [len(part) for part in transaction_parts(many)] == [MAX_TRANSACTION_ITEMS - 1, 51]
