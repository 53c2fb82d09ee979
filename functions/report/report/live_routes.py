"""`GET /v1/visitors/live`: the caller's site's visitors active in the last five minutes, with
stage, cart value, score and whether they were offered a chat. For the site's agents and
operators; the site is always the caller's own, so no request can name another site's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Depends

from klantreis.api import current_principal, new_router
from klantreis.observability import metrics
from klantreis.projections.live_board import LiveBoardStore, LiveVisitors, live_visitors
from report import dependencies

router = new_router()

TAGS = ["live view"]


@router.get(
    "/v1/visitors/live",
    summary="Visitors active in the last five minutes (agent, operator)",
    description="The caller's site's visitors with a tracked event, decision or chat change in the "
    "last five minutes: stage, cart value, last page, purchase intent and abandonment risk of the "
    "session's latest decision, whether it offered a chat, and the chat's status. Ordered by "
    "cart value x purchase intent (0.5 while unscored), then most recent first. Fed by the table's "
    "stream, so a change shows within seconds.",
    tags=TAGS,
)
def get_live_visitors(boards: Annotated[LiveBoardStore, Depends(dependencies.board_store)]) -> LiveVisitors:
    principal = current_principal(router).require("agent", "operator")
    board = boards.get(principal.site_id)
    view = live_visitors(board, datetime.now(UTC))
    metrics.add_metric(name="LiveViewReads", unit="Count", value=1)
    return view
