"""The providers of the route function's routes (`Depends(...)`; tests override them on
the app): each reads the instance's services (`klantreis.services`), built on first use."""

from __future__ import annotations

from klantreis import services
from klantreis.agents.dynamo_store import DynamoAgentStore
from klantreis.conversations.discounts import DiscountService
from klantreis.conversations.dynamo_store import DynamoChatMessages, DynamoChatPlacement, DynamoChatReader
from klantreis.conversations.ending import ChatEnder
from klantreis.conversations.inbox import ChatLookup
from klantreis.conversations.ports import DecisionReader
from klantreis.dispatch.queue import QueueDrainer
from klantreis.journey.dynamo_store import DynamoSessionStore
from klantreis.knowledge.ports import KnowledgeStore
from klantreis.sites import SiteDirectory


def site_directory() -> SiteDirectory:
    """Sites by id (an agent's claims name the site)."""
    return services.current().site_directory


def agent_store() -> DynamoAgentStore:
    return services.current().agent_store


def session_store() -> DynamoSessionStore:
    return services.current().session_store


def chat_reader() -> DynamoChatReader:
    return services.current().chat_reader


def chat_placement() -> DynamoChatPlacement:
    """The routing records a chat's routing history reads."""
    return services.current().chat_placement


def chat_messages() -> DynamoChatMessages:
    """A chat's latest messages, for the knowledge base's suggestions."""
    return services.current().chat_messages


def chat_lookup() -> ChatLookup:
    return services.current().chat_lookup


def discount_service() -> DiscountService:
    return services.current().discount_service


def chat_ender() -> ChatEnder:
    return services.current().chat_ender


def queue_drainer() -> QueueDrainer:
    return services.current().queue_drainer


def knowledge_store() -> KnowledgeStore:
    return services.current().knowledge_store


def decision_reader() -> DecisionReader:
    return services.current().decision_reader
