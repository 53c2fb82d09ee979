"""klantreis.projections.day_counters.CounterStore in memory (held to the port's contract with the
DynamoDB adapter:
tests/integration/test_counter_store_contract.py)."""

from __future__ import annotations

from collections.abc import Mapping

from klantreis.projections.day_counters import COUNTERS, DayKey


class InMemoryCounterStore:
    """klantreis.projections.day_counters.CounterStore in memory: a batch's deltas count once per marker."""

    def __init__(self) -> None:
        self.days: dict[DayKey, dict[str, float]] = {}
        self.markers: dict[str, int] = {}

    def add_once(self, marker: str, deltas: Mapping[DayKey, Mapping[str, float]], now: int) -> bool:
        if not deltas or marker in self.markers:
            return False
        self.markers[marker] = now
        for day_key, change in deltas.items():
            totals = self.days.setdefault(day_key, dict.fromkeys(COUNTERS, 0.0))
            for name, value in change.items():
                totals[name] = totals.get(name, 0.0) + value
        return True

    def day_totals(self, site_id: str, day: str) -> dict[str, float]:
        totals = dict(self.days.get((site_id, day), dict.fromkeys(COUNTERS, 0.0)))
        totals["revenue"] = round(totals.get("revenue", 0.0), 2)
        return totals
