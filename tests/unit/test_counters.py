"""Daily counter deltas from session changes: exact, and exactly what the final state implies."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from klantreis.dynamo import to_item
from klantreis.projections.changes import decode
from klantreis.projections.day_counters import (
    SESSION_COUNTERS,
    day_indicators,
    deltas,
    merge,
    session_deltas,
)
from klantreis.projections.exactly_once import batch_marker


def image(days: dict[str, dict[str, Any]], returning: bool = False) -> dict[str, Any]:
    return {"returning_visitor": returning, "days": days}


def test_a_new_session_counts_once_for_its_day() -> None:
    assert session_deltas("demo", None, image({"2026-11-22": {}})) == {
        ("demo", "2026-11-22"): {"sessions": 1, "new_visitor_sessions": 1}
    }


def test_a_returning_visitor_is_not_a_new_visitor_session() -> None:
    assert session_deltas("demo", None, image({"2026-11-22": {}}, returning=True)) == {
        ("demo", "2026-11-22"): {"sessions": 1}
    }


def test_a_cart_and_a_purchase_later_in_the_session() -> None:
    before = image({"2026-11-22": {}})
    with_cart = image({"2026-11-22": {"cart": True}})
    bought = image({"2026-11-22": {"cart": True, "purchases": 1, "revenue": 99.5}})
    assert session_deltas("demo", before, with_cart) == {("demo", "2026-11-22"): {"cart_sessions": 1}}
    assert session_deltas("demo", with_cart, bought) == {
        ("demo", "2026-11-22"): {
            "purchase_sessions": 1,
            "converted_cart_sessions": 1,
            "purchases": 1,
            "revenue": 99.5,
        }
    }


def test_nothing_new_is_no_delta() -> None:
    same = image({"2026-11-22": {"cart": True}})
    assert session_deltas("demo", same, same) == {}


def test_a_session_past_midnight_counts_on_both_days() -> None:
    before = image({"2026-11-22": {}})
    after = image({"2026-11-22": {}, "2026-11-23": {"cart": True}})
    assert session_deltas("demo", before, after) == {
        ("demo", "2026-11-23"): {"sessions": 1, "new_visitor_sessions": 1, "cart_sessions": 1}
    }


def test_erasure_and_expiry_change_no_counter() -> None:
    assert session_deltas("demo", image({"2026-11-22": {"cart": True}}), None) == {}


def stream_record(
    name: str, sort_key: str, old: dict[str, Any] | None, new: dict[str, Any] | None
) -> dict[str, Any]:
    change: dict[str, Any] = {"Keys": to_item({"PK": "SITE#demo#V#v", "SK": sort_key}), "SequenceNumber": "1"}
    if old is not None:
        change["OldImage"] = to_item(old)
    if new is not None:
        change["NewImage"] = to_item(new)
    return {"eventID": f"{name}-{sort_key}", "eventName": name, "dynamodb": change}


def test_only_session_inserts_and_modifications_count() -> None:
    records = [
        stream_record("INSERT", "SESSION#a", None, image({"2026-11-22": {}})),
        stream_record("INSERT", "SESSION#b", None, image({"2026-11-22": {"cart": True}})),
        stream_record("INSERT", "JOURNEY#a#00000#x", None, {"entries": []}),
        stream_record("REMOVE", "SESSION#c", image({"2026-11-22": {}}), None),
    ]
    assert deltas(decode(records)) == {
        ("demo", "2026-11-22"): {"sessions": 2, "new_visitor_sessions": 2, "cart_sessions": 1}
    }


def test_the_batch_marker_depends_on_the_records() -> None:
    one = [stream_record("INSERT", "SESSION#a", None, image({}))]
    two = [*one, stream_record("INSERT", "SESSION#b", None, image({}))]
    assert batch_marker(one) == batch_marker(list(one))
    assert batch_marker(one) != batch_marker(two)


tallies = st.fixed_dictionaries(
    {},
    optional={
        "cart": st.booleans(),
        "checkout": st.booleans(),
        "purchases": st.integers(0, 3),
        "revenue": st.integers(0, 10_000).map(lambda cents: cents / 100),
    },
)
histories = st.lists(
    st.dictionaries(st.sampled_from(["2026-11-21", "2026-11-22"]), tallies), min_size=1, max_size=6
)


def grow(history: list[dict[str, dict[str, Any]]]) -> list[dict[str, dict[str, Any]]]:
    """Session states only grow: days are added, flags set, purchases added."""
    states: list[dict[str, dict[str, Any]]] = []
    current: dict[str, dict[str, Any]] = {}
    for step in history:
        current = {day: dict(tally) for day, tally in current.items()}
        for day, tally in step.items():
            old = current.setdefault(day, {})
            old["cart"] = old.get("cart", False) or tally.get("cart", False)
            old["checkout"] = old.get("checkout", False) or tally.get("checkout", False)
            old["purchases"] = old.get("purchases", 0) + tally.get("purchases", 0)
            old["revenue"] = round(old.get("revenue", 0.0) + tally.get("revenue", 0.0), 2)
        states.append(current)
    return states


@given(histories, st.booleans())
def test_summed_deltas_equal_what_the_final_state_implies(
    history: list[dict[str, Any]], returning: bool
) -> None:
    # given a session's successive states, each seen by the stream as an old and a new image
    states = grow(history)
    total: dict[tuple[str, str], dict[str, float]] = {}
    previous = None
    for days in states:
        current = image(days, returning)
        merge(total, session_deltas("demo", previous, current))
        previous = current
    # then the counters add up to the indicators of the final state, day by day
    for day, tally in states[-1].items():
        expected = day_indicators(tally, returning)
        got = total.get(("demo", day), {})
        for name in SESSION_COUNTERS:
            assert abs(got.get(name, 0) - expected[name]) < 1e-6, name
