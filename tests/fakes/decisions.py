"""klantreis.conversations.context.DecisionReader in memory (held to the port's contract with the
DynamoDB adapter: tests/integration/test_decision_reader_contract.py)."""

from __future__ import annotations

from klantreis.engagement.records import Decision


class InMemoryDecisionReader:
    """klantreis.conversations.context.DecisionReader in memory: like the adapter, it looks at the
    visitor's `limit` newest decisions only."""

    def __init__(self, decisions: list[Decision] | None = None, *, limit: int = 20) -> None:
        self.decisions: list[Decision] = list(decisions or [])
        self.limit = limit
        self.reads = 0

    def latest_decision(self, site_id: str, visitor_id: str, session_id: str) -> Decision | None:
        self.reads += 1
        of_visitor = sorted(
            (d for d in self.decisions if (d.site_id, d.visitor_id) == (site_id, visitor_id)),
            key=lambda d: (d.at, d.decision_id),
            reverse=True,
        )[: self.limit]
        return next((d for d in of_visitor if d.session_id == session_id), None)
