"""The services this function uses, built once per Lambda instance on first use."""

from __future__ import annotations

from functools import cache

from klantreis import dynamo
from klantreis.agents import DynamoAgentStore
from klantreis.cognito import BearerVerifier, verifier_from_settings
from klantreis.conversations.context import DecisionReader, DynamoDecisionReader
from klantreis.conversations.service import ChatService
from klantreis.conversations.store import DynamoChatStore
from klantreis.engagement.records import DynamoEngagementRecords
from klantreis.journey.store import DynamoSessionStore
from klantreis.knowledge.store import DynamoKnowledgeStore, KnowledgeStore
from klantreis.scheduled import SiteLister
from klantreis.secrets import load_key_ring
from klantreis.settings import get_settings
from klantreis.sites import DynamoSiteStore, SiteDirectory, SiteStore
from klantreis.tokens import TokenSigner


@cache
def site_store() -> SiteStore:
    return DynamoSiteStore(dynamo.client(), get_settings().table_name)


@cache
def site_directory() -> SiteDirectory:
    """Widget site keys to sites (the widget routes authenticate through it)."""
    return SiteDirectory(site_store(), get_settings().site_cache_seconds)


@cache
def agent_store() -> DynamoAgentStore:
    return DynamoAgentStore(dynamo.client(), get_settings().table_name)


@cache
def chat_store() -> DynamoChatStore:
    return DynamoChatStore(dynamo.client(), get_settings().table_name)


@cache
def session_store() -> DynamoSessionStore:
    return DynamoSessionStore(dynamo.client(), get_settings().table_name)


@cache
def chat_service() -> ChatService:
    return ChatService(
        chat_store(),
        agent_store(),
        session_store(),
        DynamoEngagementRecords(dynamo.client(), get_settings().table_name),
        heartbeat_seconds=get_settings().agent_heartbeat_seconds,
    )


@cache
def site_lister() -> SiteLister:
    """Every site, for the sweep (uncached reads: a new site is swept from its first minute)."""
    return DynamoSiteStore(dynamo.client(), get_settings().table_name)


@cache
def knowledge_store() -> KnowledgeStore:
    return DynamoKnowledgeStore(dynamo.client(), get_settings().table_name)


@cache
def decision_reader() -> DecisionReader:
    return DynamoDecisionReader(dynamo.client(), get_settings().table_name)


def token_signer() -> TokenSigner:
    """Built per request from the key ring; the secret itself is cached for a few minutes, so a
    rotated key reaches warm instances without a redeploy."""
    return TokenSigner(load_key_ring(get_settings()))


@cache
def bearer_verifier() -> BearerVerifier | None:
    """Agents' Cognito tokens on routes the widget shares (None locally: the gateway checks)."""
    return verifier_from_settings(get_settings())


def reset() -> None:
    """Forgets every built service (tests that change the environment call this)."""
    factories = (site_store, site_directory, agent_store, chat_store, session_store, chat_service)
    for factory in (*factories, bearer_verifier, decision_reader, site_lister, knowledge_store):
        factory.cache_clear()
