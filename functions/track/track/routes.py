"""HTTP routes of the track function: thin, they authenticate, parse and call the domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Depends
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel, Field

from klantreis.api import checked_first, current_principal, new_router, roles_first
from klantreis.auth import authenticate_widget, header
from klantreis.errors import PayloadTooLarge, ValidationFailed
from klantreis.journey.events import Id, Rejection, TrackedEvent
from klantreis.journey.ports import VisitorEraser
from klantreis.journey.tracker import Limits, Tracker, parse_batch
from klantreis.keys import ID_PATTERN
from klantreis.observability import logger, metrics
from klantreis.sites import Consent, SiteDirectory
from klantreis.strict import STRICT_INPUT, IsoTime
from klantreis.useragent import describe_client
from track import dependencies

router = new_router()


class EventBatch(BaseModel):
    """The body of POST /v1/events, for the OpenAPI document: the route parses the body itself so
    that one bad event does not fail the others."""

    model_config = STRICT_INPUT

    visitor_id: Id
    session_id: Id
    sent_at: IsoTime
    events: list[TrackedEvent] = Field(max_length=100)
    consent: Consent = Field(
        None,
        description=(
            "The visitor's consent as the widget knows it (`true` = `granted`, `false` = `denied`). "
            "In the site's `required` mode only `granted` is stored, in `implied` mode anything "
            "but `denied`; absent, the sender vouches."
        ),
    )


REQUEST_BODIES: dict[tuple[str, str], type[BaseModel]] = {("POST", "/v1/events"): EventBatch}
"""Request bodies parsed inside the route, added to the OpenAPI document by its generator."""


class TrackResponse(BaseModel):
    accepted: int
    duplicates: int
    rejected: list[Rejection]


class ConsentRequiredResponse(TrackResponse):
    """The answer to a batch of a visitor without consent (by the site's consent mode)."""

    consent_required: int = Field(description="Events not stored for want of consent.")


class ErasureResponse(BaseModel):
    visitor_id: str
    erased_items: int


@router.post(
    "/v1/events",
    summary="Track a batch of journey events (widget, X-Site-Key)",
    description=(
        "At most 100 events and 500 KB per batch (413 above), 32 KB per event. A bad event is "
        "rejected alone with its index; an event id seen before is counted as a duplicate."
    ),
    responses={
        200: {"description": "what was accepted"},
        413: {"description": "over 100 events or 500 KB, or every event over 32 KB (code payload_too_large)"},
    },
    tags=["tracking"],
)
def post_events(
    directory: Annotated[SiteDirectory, Depends(dependencies.site_directory)],
    limits: Annotated[Limits, Depends(dependencies.limits)],
    tracker: Annotated[Tracker, Depends(dependencies.tracker)],
    now: Annotated[datetime, Depends(dependencies.now)],
) -> ConsentRequiredResponse | TrackResponse:
    event = router.current_event
    site = authenticate_widget(directory, event.headers)
    parsed = parse_batch(event.decoded_body, limits)
    if not site.has_consent(parsed.envelope.consent):
        # Not stored, not counted, never on the live board; a 200 so the widget does not retry.
        metrics.add_metric(name="EventsWithoutConsent", unit="Count", value=len(parsed.envelope.events))
        return ConsentRequiredResponse(
            accepted=0, duplicates=0, rejected=[], consent_required=len(parsed.envelope.events)
        )
    client = describe_client(
        header(event.headers, "User-Agent"),
        header(event.headers, "CloudFront-Viewer-Country"),
        header(event.headers, "CloudFront-Viewer-Country-Region"),
    )
    result = tracker.track(site, parsed.envelope, parsed.valid, now, client)
    rejected = sorted([*parsed.rejected, *result.rejected], key=lambda r: r["index"])
    metrics.add_metric(name="EventsAccepted", unit="Count", value=result.accepted)
    metrics.add_metric(name="EventsDuplicate", unit="Count", value=result.duplicates)
    metrics.add_metric(name="EventsRejected", unit="Count", value=len(rejected))
    logger.info(
        "batch tracked",
        extra={"site_id": site.site_id, "accepted": result.accepted, "duplicates": result.duplicates,
               "rejected": len(rejected)},
    )  # fmt: skip
    if rejected and not result.accepted and not result.duplicates:
        # Nothing of the batch could be kept: a clear 4xx, so the widget does not retry it.
        first = rejected[0]
        message = f"no event was kept; event {first['index']}: {first['error']}"
        if all(r["index"] in parsed.oversized for r in rejected):
            raise PayloadTooLarge(message, details={"rejected": rejected})
        raise ValidationFailed(message, details={"rejected": rejected})
    return TrackResponse(
        accepted=result.accepted,
        duplicates=result.duplicates,
        rejected=[Rejection.model_validate(r) for r in rejected],
    )


@router.delete(
    "/v1/visitors/<visitor_id>",
    summary="Erase everything held about one visitor (operator, GDPR art. 17)",
    tags=["privacy"],
)
@checked_first(roles_first(router, "operator"))
def delete_visitor(
    visitor_id: Annotated[str, Path(pattern=ID_PATTERN, max_length=100)],
    eraser: Annotated[VisitorEraser, Depends(dependencies.eraser)],
) -> ErasureResponse:
    principal = current_principal(router).require("operator")
    erased = eraser.erase(principal.site_id, visitor_id)
    logger.info("visitor erased", extra={"site_id": principal.site_id, "erased_items": erased})
    metrics.add_metric(name="VisitorsErased", unit="Count", value=1)
    return ErasureResponse(visitor_id=visitor_id, erased_items=erased)
