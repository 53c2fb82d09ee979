"""Widget routes of the engage function: the proactive-chat decision and the visitor's answer to
an offer. Both authenticate the widget (X-Site-Key, Origin) and call the domain's Decider."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

from engage import dependencies
from klantreis.api import checked_first, new_router, widget_first
from klantreis.auth import authenticate_widget, header
from klantreis.engagement.decide import Decider, DecideRequest
from klantreis.engagement.records import OfferResponse, Reason
from klantreis.journey.events import Id
from klantreis.keys import ID_PATTERN
from klantreis.observability import logger, metrics
from klantreis.sites import Consent, SiteDirectory
from klantreis.strict import STRICT_INPUT
from klantreis.useragent import describe_client

router = new_router()

TAGS = ["engagement"]
WIDGET = checked_first(widget_first(router, dependencies.site_directory))
Directory = Annotated[SiteDirectory, Depends(dependencies.site_directory)]
DeciderDependency = Annotated[Decider, Depends(dependencies.decider)]


class DecideBody(BaseModel):
    model_config = STRICT_INPUT

    visitor_id: Id
    session_id: Id
    idle_seconds: int = Field(0, ge=0, le=86_400, description="Seconds since the visitor's last action.")
    url: str | None = Field(None, max_length=2_048, description="The page the visitor is on.")
    consent: Consent = Field(
        None,
        description=(
            "The visitor's consent as the widget knows it (`true` = `granted`, `false` = `denied`). "
            "In the site's `required` mode only `granted` counts, in `implied` mode anything but "
            "`denied`; absent, the sender vouches."
        ),
    )


class DecideAnswerModel(BaseModel):
    offer: bool
    offer_id: str | None = None
    action: Literal["chat"] | None = None
    message: str | None = None
    reason: Reason
    score: float = Field(ge=0.0, le=1.0, description="Purchase intent of the session.")

    @model_serializer(mode="wrap")
    def _without_absent(self, serialize: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # `offer_id`, `action` and `message` are left out of a refusal rather than sent as null.
        plain: dict[str, Any] = serialize(self)
        return {key: value for key, value in plain.items() if value is not None}


class OfferResponseBody(BaseModel):
    model_config = STRICT_INPUT

    response: OfferResponse


class OfferResponseAnswer(BaseModel):
    offer_id: str
    response: OfferResponse


@router.post(
    "/v1/engagement/decide",
    summary="Should the widget offer this visitor a chat now? (widget, X-Site-Key)",
    description=(
        "`reason` is `qualified` when offered, else the first gate that said no: `no_consent`, "
        "`bot`, `not_qualified`, `outside_hours`, `no_agent`, `capped` or `holdout`."
    ),
    tags=TAGS,
)
@WIDGET
def post_decide(body: DecideBody, directory: Directory, decider: DeciderDependency) -> DecideAnswerModel:
    event = router.current_event
    site = authenticate_widget(directory, event.headers)
    ask = DecideRequest(
        visitor_id=body.visitor_id,
        session_id=body.session_id,
        idle_seconds=body.idle_seconds,
        url=body.url,
        consent=site.has_consent(body.consent),
        bot_client=describe_client(header(event.headers, "User-Agent")).bot,
    )
    answer = decider.decide(site, ask)
    metrics.add_metric(name="EngagementDecisions", unit="Count", value=1)
    if answer.offer:
        metrics.add_metric(name="EngagementOffers", unit="Count", value=1)
    logger.info("engagement decided", extra={"site_id": site.site_id, "reason": answer.reason})
    return DecideAnswerModel(
        offer=answer.offer,
        offer_id=answer.offer_id,
        action="chat" if answer.offer else None,
        message=answer.message,
        reason=answer.reason,
        score=answer.score,
    )


@router.post(
    "/v1/engagement/offers/<offer_id>/response",
    summary="The visitor's answer to a chat offer (widget, X-Site-Key)",
    description="404 for an unknown offer or another site's; 409 for a second, different answer.",
    responses={
        200: {"description": "the answer as recorded"},
        409: {"description": "the offer was answered differently already (code conflict)"},
    },
    tags=TAGS,
)
@WIDGET
def post_offer_response(
    offer_id: Annotated[str, Path(pattern=ID_PATTERN, max_length=100)],
    body: OfferResponseBody,
    directory: Directory,
    decider: DeciderDependency,
) -> OfferResponseAnswer:
    site = authenticate_widget(directory, router.current_event.headers)
    offer = decider.respond(site, offer_id, body.response)
    metrics.add_metric(name=f"EngagementOffers{body.response.capitalize()}", unit="Count", value=1)
    logger.info("offer answered", extra={"site_id": site.site_id, "response": body.response})
    return OfferResponseAnswer(offer_id=offer.offer_id, response=body.response)
