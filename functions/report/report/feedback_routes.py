"""Survey feedback as it arrives: the site's for its operators (polled with `since`), and an
agent's own recent ratings and comments. The site is always the caller's own."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel

from klantreis.api import checked_first, current_principal, new_router, roles_first
from klantreis.auth import Principal
from klantreis.errors import Forbidden
from klantreis.keys import ID_PATTERN
from klantreis.observability import metrics
from klantreis.reports.feedback import Feedback
from klantreis.reports.ports import FeedbackReader
from klantreis.strict import IsoTime
from report import dependencies

router = new_router()

TAGS = ["feedback"]
DEFAULT_FEEDBACK = 50
MAX_FEEDBACK = 200
Since = Annotated[
    IsoTime | None,
    Query(description="Only surveys received after this ISO time (the newest `at` seen: polling)."),
]
Limit = Annotated[int, Query(ge=1, le=MAX_FEEDBACK, description="How many at most.")]
Reader = Annotated[FeedbackReader, Depends(dependencies.feedback_reader)]


def _require_self_or_operator(agent_id: str) -> Principal:
    principal = current_principal(router).require("agent", "operator")
    if principal.role == "agent" and principal.sub != agent_id:
        raise Forbidden("agents read their own feedback only")
    return principal


class FeedbackList(BaseModel):
    feedback: list[Feedback]
    """Newest first."""


@router.get(
    "/v1/feedback",
    summary="The site's survey feedback as it arrives (operator)",
    description="Each survey, newest first: CSAT, NPS, CES, the preferred channel, the comment, "
    "the chat's agent and category. Poll with `since` (the newest `at` seen) for what is new: a "
    "survey is listed as soon as it is stored.",
    tags=TAGS,
)
@checked_first(roles_first(router, "operator"))
def get_feedback(reader: Reader, since: Since = None, limit: Limit = DEFAULT_FEEDBACK) -> FeedbackList:
    principal = current_principal(router).require("operator")
    found = reader.recent(principal.site_id, since=since, agent_id=None, limit=limit)
    metrics.add_metric(name="FeedbackReads", unit="Count", value=1)
    return FeedbackList(feedback=found)


@router.get(
    "/v1/agents/<agent_id>/feedback",
    summary="An agent's recent ratings and comments (the agent, or an operator)",
    description="The surveys of the agent's chats, newest first, as in GET /v1/feedback.",
    tags=TAGS,
)
@checked_first(lambda path: _require_self_or_operator(path["agent_id"]))
def get_agent_feedback(
    agent_id: Annotated[str, Path(pattern=ID_PATTERN, max_length=100, description="The agent.")],
    reader: Reader,
    since: Since = None,
    limit: Limit = DEFAULT_FEEDBACK,
) -> FeedbackList:
    principal = _require_self_or_operator(agent_id)
    found = reader.recent(principal.site_id, since=since, agent_id=agent_id, limit=limit)
    return FeedbackList(feedback=found)
