"""The providers of the route function's routes (`Depends(...)`; tests override them on
the app): each reads the instance's services (`klantreis.services`), built on first use."""

from __future__ import annotations

from klantreis import services
from klantreis.agents.dynamo_store import DynamoAgentStore
from klantreis.cognito import BearerVerifier
from klantreis.conversations.context import DecisionReader
from klantreis.conversations.discounts import DiscountService
from klantreis.conversations.dynamo_store import DynamoChatMessages, DynamoChatPlacement, DynamoChatReader
from klantreis.conversations.ending import ChatEnder
from klantreis.conversations.inbox import ChatLookup
from klantreis.conversations.messages import MessageService
from klantreis.dispatch.placement import ChatStarter
from klantreis.dispatch.queue import QueueDrainer
from klantreis.journey.dynamo_store import DynamoSessionStore
from klantreis.knowledge.ports import KnowledgeStore
from klantreis.secrets import load_key_ring
from klantreis.settings import get_settings
from klantreis.sites import SiteDirectory, SiteStore
from klantreis.tokens import TokenSigner


def site_store() -> SiteStore:
    return services.current().site_store


def site_directory() -> SiteDirectory:
    """Widget site keys to sites (the widget routes authenticate through it)."""
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


def chat_starter() -> ChatStarter:
    return services.current().chat_starter


def chat_lookup() -> ChatLookup:
    return services.current().chat_lookup


def message_service() -> MessageService:
    return services.current().message_service


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


def token_signer() -> TokenSigner:
    """Built per request from the key ring; the secret itself is cached for a few minutes, so a
    rotated key reaches warm instances without a redeploy."""
    return TokenSigner(load_key_ring(get_settings()))


def bearer_verifier() -> BearerVerifier | None:
    """Agents' Cognito tokens on routes the widget shares (None locally: the gateway checks)."""
    return services.current().bearer_verifier
