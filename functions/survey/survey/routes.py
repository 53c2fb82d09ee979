"""Widget route of the survey function: the visitor's survey of a chat, authenticated by the
widget's site key (and Origin) and the chat's survey token.

The site key and Origin are checked first (`checked_first`); then Powertools validates the body
(bad JSON 400; an answer out of range, an unknown channel, a comment over 2,000 characters 422),
before the survey token or any stored data is looked at.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Depends

from klantreis.api import checked_first, new_router, widget_first
from klantreis.auth import authenticate_widget
from klantreis.conversations.surveys import SurveyReceipt, SurveySubmission
from klantreis.observability import logger, metrics
from klantreis.sites import SiteDirectory
from survey import dependencies

router = new_router()

TAGS = ["surveys"]
ANSWERS = {"csat", "nps", "ces", "preferred_channel", "comment"}


@router.post(
    "/v1/surveys",
    summary="The visitor's survey of a chat (widget, X-Site-Key and the chat's survey token)",
    description=(
        "Any subset of CSAT 1-5, NPS 0-10, CES 1-7, the preferred channel and a comment (at most "
        "2,000 characters), at least one. `token` is the chat's `survey_token` (valid 7 days): "
        "401 forged or expired (`invalid_token`, `token_expired`), 403 for another chat or site; "
        "404 unknown chat; 409 while the chat has not ended, or when it has its survey already. "
        "The answers update the chat's agent's performance in its category, which routing reads."
    ),
    tags=TAGS,
    status_code=HTTPStatus.CREATED,
    responses={
        201: {"description": "the survey as stored"},
        404: {"description": "no such chat (code not_found)"},
        409: {"description": "the chat has its survey already (code conflict)"},
    },
)
@checked_first(widget_first(router, dependencies.site_directory))
def post_survey(
    submission: SurveySubmission,
    directory: Annotated[SiteDirectory, Depends(dependencies.site_directory)],
) -> SurveyReceipt:
    site = authenticate_widget(directory, router.current_event.headers)
    # Built in the body, not by Depends: it reads the token key (a secret), whose failure must
    # reach the resolver's error mapping rather than Powertools' dependency error.
    receipt = dependencies.survey_service().submit(site, submission)
    metrics.add_metric(name="SurveysReceived", unit="Count", value=1)
    answered = [name for name, value in receipt.model_dump(include=ANSWERS).items() if value is not None]
    # Never the comment itself in the logs: it is the visitor's free text.
    logger.info(
        "survey received", extra={"site_id": site.site_id, "chat_id": receipt.chat_id, "answered": answered}
    )
    return receipt
