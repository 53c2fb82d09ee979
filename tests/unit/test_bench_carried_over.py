"""A partial bench run (`--only`) keeps the other parts of the last run: its summary must say which
figures were carried over and when they were measured, so an old figure is never read as new."""

from __future__ import annotations

from typing import Any

from bench.__main__ import carried_over

NOW = "2026-12-04T19:14:17+00:00"
CODE = {"head": "4ffa68b", "changed_since_head": []}


def results(**parts: Any) -> dict[str, Any]:
    return {"generated_at": NOW, "source": CODE, "machine": {"cpus": 2}, "sample": {"rows": 1}, **parts}


def test_parts_measured_now_are_not_named() -> None:
    assert carried_over(results(cold_start={"measured": {"at": NOW, "code": CODE}})) == []


def test_a_part_from_an_earlier_run_is_named_with_its_time_and_code() -> None:
    earlier = {"at": "2026-12-04T15:48:00+00:00", "code": {"head": "f6ed4c3", "changed_since_head": ["x.py"]}}

    lines = carried_over(
        results(cold_start={"measured": {"at": NOW, "code": CODE}}, soak={"measured": earlier})
    )

    assert lines == [
        "Carried over from earlier runs, not measured now: soak (2026-12-04T15:48:00+00:00, code at "
        "f6ed4c3 + changes)."
    ]


def test_a_part_written_before_parts_were_stamped_is_named_as_such() -> None:
    lines = carried_over(results(soak={"rss_growth_mb": 113.0}, seconds=12.5))

    assert lines == ["Carried over from earlier runs, not measured now: soak (an earlier run, not stamped)."]
