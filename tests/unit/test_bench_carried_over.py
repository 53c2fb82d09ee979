"""A partial bench run (`--only`) keeps the other parts of the last run: its summary must say which
figures were carried over and when they were measured, so an old figure is never read as new."""

from __future__ import annotations

from typing import Any

from bench.__main__ import STAMPS, carried_over, stamps_of, summary
from bench.scenarios import template_window

NOW = "2026-12-04T19:14:17+00:00"
CODE = {"head": "4ffa68b", "changed_since_head": []}


def results(stamps: dict[str, Any] | None = None, **parts: Any) -> dict[str, Any]:
    machine = {"cpus": 2, "python": "3.12.1", "moto": "5"}
    base = {"generated_at": NOW, "source": CODE, "machine": machine, "sample": {"rows": 1}}
    return {**base, **parts, **({STAMPS: stamps} if stamps is not None else {})}


def test_parts_measured_now_are_not_named() -> None:
    assert carried_over(results({"cold_start": {"at": NOW, "code": CODE}}, cold_start={})) == []


def test_a_part_from_an_earlier_run_is_named_with_its_time_and_code() -> None:
    earlier = {"at": "2026-12-04T15:48:00+00:00", "code": {"head": "f6ed4c3", "changed_since_head": ["x.py"]}}

    lines = carried_over(
        results({"cold_start": {"at": NOW, "code": CODE}, "soak": earlier}, cold_start={}, soak={})
    )

    assert lines == [
        "Carried over from earlier runs, not measured now: soak (2026-12-04T15:48:00+00:00, code at "
        "f6ed4c3 + changes)."
    ]


def test_a_part_written_before_parts_were_stamped_is_named_as_such() -> None:
    lines = carried_over(results(soak={"rss_growth_mb": 113.0}, seconds=12.5))

    assert lines == ["Carried over from earlier runs, not measured now: soak (an earlier run, not stamped)."]


def test_a_stamp_is_not_read_as_one_of_a_parts_labels() -> None:
    # given a capacity part keyed by its batching labels, stamped as measured now
    run = {
        "events_per_batch": 1.05,
        "total": {"requests_per_event": 2.38, "wcu_per_event": 1.067, "rcu_per_event": 0.719},
        "handler": {"wcu_per_event": 1.044},
        "aggregation": {"wcu_per_event": 0.023},
        "floor_wcu_per_event": 0.95,
        "aggregation_paced": [
            {"window_seconds": w, "total_wcu_per_event": 1.0} for w in (5, 60, 300, template_window())
        ],
    }
    stamped = results({"capacity": {"at": NOW, "code": CODE}}, capacity={"10 s widget batches": run})
    # when the summary is written, then it reads only the labels
    assert "DynamoDB per event, 10 s widget batches" in summary(stamped)


def test_a_stamp_kept_inside_its_part_by_an_older_run_is_moved_beside_it() -> None:
    stamp = {"at": NOW, "code": CODE}
    earlier = {"generated_at": NOW, "capacity": {"10 s widget batches": {}, STAMPS: stamp}}

    assert stamps_of(earlier) == {"capacity": stamp}
    assert earlier["capacity"] == {"10 s widget batches": {}}
