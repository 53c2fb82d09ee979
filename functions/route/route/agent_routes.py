"""Agent routes of the route function: the operator's profile of an agent, and the agent's own
status and heartbeat (an agent silent past the heartbeat window counts as offline).

Agents act on themselves; an operator of the site may act on any of its agents. Another site's
agent does not exist for the caller (404).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Depends, Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from pydantic import BaseModel

from klantreis.agents.dynamo_store import DynamoAgentStore
from klantreis.agents.ports import AgentProfile, AgentProfileInput, AgentStatus
from klantreis.api import checked_first, current_principal, new_router, roles_first
from klantreis.auth import Principal
from klantreis.conversations import inbox as inboxes
from klantreis.conversations.inbox import ChatLookup
from klantreis.conversations.models import ChatStatus
from klantreis.dispatch.queue import QueueDrainer
from klantreis.dispatch.sweep import AgentPresence
from klantreis.errors import Forbidden, NotFound
from klantreis.keys import ID_PATTERN
from klantreis.observability import logger, metrics
from klantreis.settings import get_settings
from klantreis.sites import Site, SiteDirectory
from klantreis.strict import STRICT_INPUT
from route import dependencies, sweep_dependencies

router = new_router()

AgentPath = Annotated[str, Path(pattern=ID_PATTERN, max_length=100, description="The agent.")]
TAGS = ["agents"]
Directory = Annotated[SiteDirectory, Depends(dependencies.site_directory)]
Agents = Annotated[DynamoAgentStore, Depends(dependencies.agent_store)]
Presence = Annotated[AgentPresence, Depends(sweep_dependencies.agent_presence)]
Queue = Annotated[QueueDrainer, Depends(dependencies.queue_drainer)]
Lookup = Annotated[ChatLookup, Depends(dependencies.chat_lookup)]


class AgentView(AgentProfileInput):
    agent_id: str
    status: AgentStatus
    """Effective: `offline` once the console has been silent past the heartbeat window."""
    set_status: AgentStatus
    """As the agent last set it."""
    active_chats: int
    chat_ids: list[str]
    free_slots: int
    last_seen_at: datetime | None = None

    @classmethod
    def of(cls, agent: AgentProfile) -> AgentView:
        now = datetime.now(UTC)
        effective = agent.effective_status(now, get_settings().agent_heartbeat_seconds)
        return cls(
            agent_id=agent.agent_id,
            display_name=agent.display_name,
            categories=agent.categories,
            skills=agent.skills,
            languages=agent.languages,
            max_chats=agent.max_chats,
            discount_mandate_percent=agent.discount_mandate_percent,
            status=effective,
            set_status=agent.status,
            active_chats=agent.active_chats,
            chat_ids=agent.chat_ids,
            free_slots=agent.free_slots if effective == "available" else 0,
            last_seen_at=agent.last_seen_at,
        )


class AgentList(BaseModel):
    agents: list[AgentView]


class InboxChat(BaseModel):
    """A chat as the agent's inbox lists it."""

    chat_id: str
    visitor_id: str
    status: ChatStatus
    category: str | None = None
    created_at: datetime
    waiting_seconds: float
    """Queued: since the chat was created; assigned: how long it waited for its agent."""
    cart_value: float
    purchase_intent: float | None = None
    """The visitor's purchase intent when the chat was offered (None for a chat the visitor
    started unprompted)."""
    abandonment_risk: float | None = None
    """0..1: the chance the visitor leaves without buying, from the latest engagement decision of
    the chat's session when the chat started (None when the session had none)."""

    @classmethod
    def of(cls, listed: inboxes.InboxChat, now: datetime) -> InboxChat:
        chat = listed.chat
        waited = chat.wait_seconds if chat.status != "queued" else (now - chat.created_at).total_seconds()
        return cls(
            chat_id=chat.chat_id,
            visitor_id=chat.visitor_id,
            status=chat.status,
            category=chat.category,
            created_at=chat.created_at,
            waiting_seconds=max(0.0, round(waited or 0.0, 1)),
            cart_value=chat.cart_value,
            purchase_intent=chat.score,
            abandonment_risk=listed.abandonment_risk,
        )


class Inbox(BaseModel):
    agent_id: str
    assigned: list[InboxChat]
    """The agent's open chats, oldest first."""
    queue: list[InboxChat]
    """Queued chats of the agent's categories and skills, in the order they will be served."""


class StatusBody(BaseModel):
    model_config = STRICT_INPUT

    status: AgentStatus


def _require_self_or_operator(agent_id: str) -> Principal:
    principal = current_principal(router).require("agent", "operator")
    if principal.role == "agent" and principal.sub != agent_id:
        raise Forbidden("agents act on themselves only")
    return principal


def _require_self(agent_id: str) -> Principal:
    principal = current_principal(router).require("agent")
    if principal.sub != agent_id:
        raise Forbidden("agents act on themselves only")
    return principal


def _self_or_operator(agent_id: str, directory: SiteDirectory) -> tuple[Principal, Site]:
    principal = _require_self_or_operator(agent_id)
    return principal, directory.existing(principal.site_id)


SELF_OR_OPERATOR = checked_first(lambda path: _require_self_or_operator(path["agent_id"]))


@router.put(
    "/v1/agents/<agent_id>",
    summary="Create or change an agent's profile (operator)",
    description="Categories and skills route chats; `max_chats` caps concurrent chats; the "
    "discount mandate caps discounts. The agent's status and chats are kept. 201 when created.",
    responses={200: {"description": "changed"}, 201: {"description": "created"}},
    tags=TAGS,
)
@checked_first(roles_first(router, "operator"))
def put_agent(
    agent_id: AgentPath, profile: AgentProfileInput, directory: Directory, agents: Agents, queue: Queue
) -> Response[AgentView]:
    principal = current_principal(router).require("operator")
    site = directory.existing(principal.site_id)
    agent, created = agents.put_profile(site.site_id, agent_id, profile)
    if agent.status == "available":
        queue.drain(site)  # more capacity or categories may serve the queue
    logger.info(
        "agent profile set", extra={"site_id": site.site_id, "agent_id": agent_id, "agent_created": created}
    )
    return Response(
        status_code=201 if created else 200, content_type="application/json", body=AgentView.of(agent)
    )


@router.get("/v1/agents", summary="The site's agents and their status (agent or operator)", tags=TAGS)
def get_agents(agents: Agents) -> AgentList:
    principal = current_principal(router).require("agent", "operator")
    return AgentList(agents=[AgentView.of(a) for a in agents.list(principal.site_id)])


@router.get("/v1/agents/<agent_id>", summary="One agent (the agent, or an operator)", tags=TAGS)
@SELF_OR_OPERATOR
def get_agent(agent_id: AgentPath, directory: Directory, agents: Agents) -> AgentView:
    principal, _ = _self_or_operator(agent_id, directory)
    agent = agents.get(principal.site_id, agent_id)
    if agent is None:
        raise NotFound("no such agent")
    return AgentView.of(agent)


@router.get(
    "/v1/agents/<agent_id>/chats",
    summary="An agent's inbox: open chats and the queue they may serve (the agent, or an operator)",
    description="The agent's assigned chats and the queued chats of their categories and skills "
    "(the first 50 of the queue are looked at), each with its waiting time, category, cart value, "
    "the visitor's purchase intent at the offer and the abandonment risk of the session's latest "
    "engagement decision when the chat started.",
    tags=TAGS,
)
@SELF_OR_OPERATOR
def get_inbox(agent_id: AgentPath, directory: Directory, lookup: Lookup) -> Inbox:
    _, site = _self_or_operator(agent_id, directory)
    inbox = lookup.inbox(site, agent_id)
    now = datetime.now(UTC)
    return Inbox(
        agent_id=agent_id,
        assigned=[InboxChat.of(listed, now) for listed in inbox.assigned],
        queue=[InboxChat.of(listed, now) for listed in inbox.queued],
    )


@router.put(
    "/v1/agents/<agent_id>/status",
    summary="Set an agent's status (the agent, or an operator)",
    description="`available` takes chats (queued ones may follow at once); `away` keeps current "
    "chats but takes no new ones; `offline` hands the agent's open chats to others or the queue. "
    "Counts as a heartbeat.",
    tags=TAGS,
)
@SELF_OR_OPERATOR
def put_status(agent_id: AgentPath, body: StatusBody, directory: Directory, presence: Presence) -> AgentView:
    _, site = _self_or_operator(agent_id, directory)
    agent = presence.set_status(site, agent_id, body.status)
    metrics.add_metric(name="AgentStatusChanges", unit="Count", value=1)
    logger.info("agent status", extra={"site_id": site.site_id, "agent_id": agent_id, "status": body.status})
    return AgentView.of(agent)


@router.post(
    "/v1/agents/<agent_id>/heartbeat",
    summary="The agent's console is open (the agent)",
    description="Send every 30-60 s; an agent silent past the heartbeat window (2 minutes by "
    "default) counts as offline and their open chats go to others.",
    tags=TAGS,
)
@checked_first(lambda path: _require_self(path["agent_id"]))
def post_heartbeat(agent_id: AgentPath, directory: Directory, presence: Presence) -> AgentView:
    principal = _require_self(agent_id)
    return AgentView.of(presence.heartbeat(directory.existing(principal.site_id), agent_id))
