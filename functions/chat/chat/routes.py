"""The chat routes the widget calls: start a chat, read it and write in it. The chat's agent
reads and writes through the same routes with a bearer token, so they have no gateway authorizer:
the function checks the widget's site key and chat token, or verifies the agent's Cognito token.

Who may do what with a chat: the widget that started it (X-Site-Key plus the chat's X-Chat-Token);
the agent it is assigned to; an operator of the site (read). Another site's chat does not exist for
the caller (404); another agent's chat is refused (403). The console's other chat routes (context,
discounts, end, routing, suggestions) are the route function's (route/chat_routes.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Depends, Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, Field

from chat import dependencies
from klantreis.api import checked_first, new_router, request_principal, widget_first
from klantreis.auth import Principal, authenticate_widget, header
from klantreis.conversations.inbox import ChatLookup
from klantreis.conversations.messages import MessageService
from klantreis.conversations.models import NOT_BLANK, Chat, ChatAgent, ChatStatus, Message
from klantreis.dispatch.placement import ChatStarter, NewChat
from klantreis.dispatch.queue import QueueDrainer
from klantreis.errors import Forbidden, Unauthorized
from klantreis.keys import ID_PATTERN
from klantreis.observability import logger, metrics
from klantreis.sites import Site, SiteDirectory
from klantreis.strict import STRICT_INPUT, IsoTime
from klantreis.tokens import CHAT_TOKEN_SECONDS, SURVEY_TOKEN_SECONDS

router = new_router()

ChatPath = Annotated[str, Path(pattern=ID_PATTERN, max_length=100, description="The chat.")]
TAGS = ["chats"]
AGENTS_TOO = {"x-klantreis-agents-too": True}
"""The widget (site key and chat token) and the chat's agent (bearer token) share the route."""
MessageId = Annotated[int, Field(ge=0, le=999_999_999)]
"""A message's id: the chat's sequence number of the message."""
Directory = Annotated[SiteDirectory, Depends(dependencies.site_directory)]
Lookup = Annotated[ChatLookup, Depends(dependencies.chat_lookup)]
Starter = Annotated[ChatStarter, Depends(dependencies.chat_starter)]
Messages = Annotated[MessageService, Depends(dependencies.message_service)]
Queue = Annotated[QueueDrainer, Depends(dependencies.queue_drainer)]


class ChatStarted(BaseModel):
    chat_id: str
    status: ChatStatus
    agent: ChatAgent | None = None
    chat_token: str = Field(
        description="Send as X-Chat-Token (with the site key) to read and write this chat."
    )
    survey_token: str = Field(description="The `token` of this chat's survey (valid 7 days).")
    queue_position: int | None = None
    expected_wait_seconds: int | None = None


class ChatView(BaseModel):
    chat_id: str
    status: ChatStatus
    agent: ChatAgent | None
    messages: list[Message]
    next_since: str | None = Field(description="Pass as `since` to get only newer messages.")
    category: str | None = None
    created_at: datetime
    queue_position: int | None = None
    expected_wait_seconds: int | None = None
    discount_code: str | None = None
    discount_percent: float | None = None
    resolved: bool | None = None


class MessageBody(BaseModel):
    model_config = STRICT_INPUT

    text: str = Field(min_length=1, pattern=NOT_BLANK, description="At most 4,000 characters (413 above).")


@dataclass(frozen=True)
class Caller:
    site: Site
    principal: Principal | None
    """None for the widget."""

    @property
    def author(self) -> Literal["visitor", "agent"]:
        return "visitor" if self.principal is None else "agent"


def _chat_credentials(chat_id: str, directory: SiteDirectory) -> Principal | Site:
    """An agent's or operator's claims, or the widget's site once its chat token for this chat
    verified; checked without reading the chat."""
    principal = request_principal(router, dependencies.bearer_verifier)
    if principal is not None:
        return principal
    headers = router.current_event.headers
    site = authenticate_widget(directory, headers)
    token = header(headers, "X-Chat-Token")
    if not token:
        raise Unauthorized("the X-Chat-Token header is required")
    dependencies.token_signer().verify(token, "chat", site.site_id, chat_id)
    return site


def _writer_credentials(chat_id: str) -> Principal | Site:
    credentials = _chat_credentials(chat_id, dependencies.site_directory())
    if isinstance(credentials, Principal) and credentials.role != "agent":
        raise Forbidden("only the chat's agent and visitor write in it")
    return credentials


def _caller_of(chat_id: str, directory: SiteDirectory, lookup: ChatLookup) -> tuple[Caller, Chat]:
    """The caller and the chat, after checking the caller may see it."""
    credentials = _chat_credentials(chat_id, directory)
    if isinstance(credentials, Site):
        return Caller(credentials, None), lookup.chat(credentials, chat_id)
    caller = Caller(directory.existing(credentials.site_id), credentials)
    chat = lookup.chat(caller.site, chat_id)
    if credentials.role == "agent" and chat.agent_id != credentials.sub:
        raise Forbidden("this chat is another agent's")
    return caller, chat


@router.post(
    "/v1/chats",
    summary="Start a chat (widget, X-Site-Key)",
    description="Routes at once to the best available agent for the category, or queues the chat "
    "(the answer then carries the queue position and expected wait). From an offer, the offer "
    "counts as accepted. A chatbot's `transcript` is handed over to the agent. 409 when the "
    "session has an open chat or the offer was used or declined.",
    responses={
        201: {"description": "the chat, its tokens, and where it went"},
        404: {"description": "no such offer (code not_found)"},
        409: {
            "description": "the session has an open chat, or the offer was used or declined (code conflict)"
        },
    },
    tags=TAGS,
)
@checked_first(widget_first(router, dependencies.site_directory))
def post_chat(body: NewChat, directory: Directory, starter: Starter) -> Response[ChatStarted]:
    site = authenticate_widget(directory, router.current_event.headers)
    started = starter.start(site, body)
    chat = started.chat
    signer = dependencies.token_signer()
    answer = ChatStarted(
        chat_id=chat.chat_id,
        status=chat.status,
        agent=chat.agent,
        chat_token=signer.issue("chat", site.site_id, chat.chat_id, seconds=CHAT_TOKEN_SECONDS),
        survey_token=signer.issue("survey", site.site_id, chat.chat_id, seconds=SURVEY_TOKEN_SECONDS),
        queue_position=started.queue_position,
        expected_wait_seconds=started.expected_wait_seconds,
    )
    metrics.add_metric(name="ChatsStarted", unit="Count", value=1)
    metrics.add_metric(
        name="ChatsQueued" if chat.status == "queued" else "ChatsAssigned", unit="Count", value=1
    )
    if started.queue_position is not None:
        # The queue's length as this chat joined it; the dashboard shows its maximum per minute.
        metrics.add_metric(name="QueueLength", unit="Count", value=started.queue_position)
    logger.info(
        "chat started", extra={"site_id": site.site_id, "chat_id": chat.chat_id, "status": chat.status}
    )
    return Response(status_code=201, content_type="application/json", body=answer)


@router.get(
    "/v1/chats/<chat_id>",
    summary="A chat and its messages (widget with X-Chat-Token, or its agent)",
    description="`since`: a message id (`next_since` of an earlier answer) or an ISO time; only "
    "newer messages are returned, at most 200 per answer.",
    tags=TAGS,
    openapi_extensions=AGENTS_TOO,
)
@checked_first(lambda path: _chat_credentials(path["chat_id"], dependencies.site_directory()))
def get_chat(
    chat_id: ChatPath,
    *,
    directory: Directory,
    lookup: Lookup,
    chat_messages: Messages,
    queue: Queue,
    since: Annotated[
        MessageId | IsoTime | None,
        Query(description="A message id (`next_since` of an earlier answer) or an ISO time with a zone."),
    ] = None,
) -> ChatView:
    caller, chat = _caller_of(chat_id, directory, lookup)
    sent_since = router.current_event.get_query_string_value("since")
    messages = chat_messages.messages(chat, since)
    place = queue.queue_place(caller.site, chat) if chat.status == "queued" else None
    return ChatView(
        chat_id=chat.chat_id,
        status=chat.status,
        agent=chat.agent,
        messages=messages,
        # No newer message: the cursor stays as the caller sent it (`000003` stays `000003`).
        next_since=messages[-1].message_id if messages else sent_since,
        category=chat.category,
        created_at=chat.created_at,
        queue_position=place.position if place else None,
        expected_wait_seconds=place.expected_wait_seconds if place else None,
        discount_code=chat.discount_code,
        discount_percent=chat.discount_percent,
        resolved=chat.resolved,
    )


@router.post(
    "/v1/chats/<chat_id>/messages",
    summary="Write in a chat (widget with X-Chat-Token, or its agent)",
    description="413 above 4,000 characters; 409 once the chat has ended.",
    responses={
        201: {"description": "the stored message"},
        409: {"description": "the chat has ended (code conflict)"},
        413: {"description": "more than 4,000 characters (code payload_too_large)"},
    },
    tags=TAGS,
    openapi_extensions=AGENTS_TOO,
)
@checked_first(lambda path: _writer_credentials(path["chat_id"]))
def post_message(
    chat_id: ChatPath, body: MessageBody, directory: Directory, lookup: Lookup, chat_messages: Messages
) -> Response[Message]:
    caller, chat = _caller_of(chat_id, directory, lookup)
    if caller.principal is not None and caller.principal.role != "agent":
        raise Forbidden("only the chat's agent and visitor write in it")
    agent_id = caller.principal.sub if caller.principal else None
    message = chat_messages.post(chat, caller.author, body.text, agent_id)
    metrics.add_metric(name="ChatMessages", unit="Count", value=1)
    return Response(status_code=201, content_type="application/json", body=message)
