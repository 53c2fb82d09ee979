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
        # Like the adapter: a batch whose changes are all zero writes nothing, not even its marker.
        if marker in self.markers or not any(any(change.values()) for change in deltas.values()):
            return False
        self.markers[marker] = now
        for day_key, change in deltas.items():
            counted = self.days.setdefault(day_key, {})
            for name, value in change.items():
                counted[name] = counted.get(name, 0.0) + value
        return True

    def day_totals(self, site_id: str, day: str) -> dict[str, float]:
        counted = self.days.get((site_id, day), {})
        totals = {name: counted.get(name, 0.0) for name in COUNTERS}
        totals["revenue"] = round(totals["revenue"], 2)
        return totals
