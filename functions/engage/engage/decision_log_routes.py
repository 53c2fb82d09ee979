"""The operator's decision log: every `decide` answer for a visitor (or one of their sessions),
with its reason, the rule that matched, the scores and the features that weighed most."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel

from engage import dependencies
from klantreis.api import checked_first, current_principal, new_router, roles_first
from klantreis.engagement.records import Decision, Policy, Reason, WeighingFeature
from klantreis.engagement.records_dynamo_store import DynamoDecisionLog
from klantreis.keys import ID_PATTERN

router = new_router()

TAGS = ["engagement"]
DEFAULT_DECISIONS = 50
MAX_DECISIONS = 200


class LoggedDecision(BaseModel):
    decision_id: str
    session_id: str
    at: datetime
    reason: Reason
    """Why an offer was made or not: `offer`, `holdout`, or the `blocked_*`/`no_*` gate."""
    rule_id: str | None = None
    score: float | None = None
    """Purchase intent of the session."""
    abandonment_risk: float | None = None
    top_features: list[WeighingFeature]
    """The features that moved the score most, with their values and effects."""
    qualified: bool
    """A rule matched, whatever a later gate decided."""
    would_have_offered: bool
    offer_id: str | None = None
    policy: Policy = "rules"
    """Who chose among rule-eligible visitors: `rules` (the rules and scores) or `gain` (the
    site's uplift model: offers by expected gain)."""
    uplift_model: str | None = None
    """The uplift model's version, for a `gain` decision."""
    estimated_uplift: float | None = None
    """For a `gain` decision: P(buy | offered) - P(buy | not offered), as the model estimates it."""
    expected_gain: float | None = None
    """For a `gain` decision: estimated uplift x cart value minus the offer's cost (site currency)."""
    min_gain: float | None = None
    """For a `gain` decision: the gain an offer had to bring at the agents' load then."""
    policy_offer: bool | None = None
    """For a `gain` decision: the policy's verdict (on a holdout decision: it would have offered)."""
    cart_value: float | None = None

    @classmethod
    def of(cls, decision: Decision) -> LoggedDecision:
        return cls(**decision.model_dump(include=set(cls.model_fields)))


class DecisionLog(BaseModel):
    visitor_id: str
    session_id: str | None = None
    decisions: list[LoggedDecision]
    """Newest first."""


@router.get(
    "/v1/visitors/<visitor_id>/decisions",
    summary="The engagement decisions of a visitor or one session (operator)",
    description="Every `decide` answer still held (decisions expire with the decision TTL), newest "
    "first: reason, rule, scores, top features, and the offer policy (`rules` or `gain`, with the "
    "estimated uplift and expected gain behind a `gain` decision). `session_id` keeps one session's.",
    tags=TAGS,
)
@checked_first(roles_first(router, "operator"))
def get_decisions(
    visitor_id: Annotated[str, Path(pattern=ID_PATTERN, max_length=100, description="The visitor.")],
    log: Annotated[DynamoDecisionLog, Depends(dependencies.decision_log)],
    session_id: Annotated[
        str | None, Query(pattern=ID_PATTERN, max_length=100, description="Only this session's.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_DECISIONS, description="How many at most.")] = DEFAULT_DECISIONS,
) -> DecisionLog:
    principal = current_principal(router).require("operator")
    found = log.decisions(principal.site_id, visitor_id, session_id, limit)
    return DecisionLog(
        visitor_id=visitor_id, session_id=session_id, decisions=[LoggedDecision.of(d) for d in found]
    )
