"""The providers of the aggregate λ (handler.py): each reads the instance's services
(`klantreis.services`), built on first use (no client is created and no environment read at import
time). The live λ has its own (live_dependencies.py), so neither imports what only the other uses."""

from __future__ import annotations

from klantreis import services
from klantreis.projections.attribution import AttributionStore
from klantreis.projections.day_counters import CounterStore
from klantreis.projections.dynamo_store import DynamoChunkReader, DynamoPageStatsWriter
from klantreis.projections.report_counters import DecisionLookup


def counter_store() -> CounterStore:
    return services.current().counter_store


def decision_lookup() -> DecisionLookup:
    return services.current().decision_lookup()


def chunk_reader() -> DynamoChunkReader:
    # One per batch: it holds the batch's prefetched chunks.
    return services.current().chunk_reader()


def page_writer() -> DynamoPageStatsWriter:
    return services.current().page_writer()


def chat_store() -> AttributionStore:
    return services.current().attribution_store()
