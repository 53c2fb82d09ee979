"""The providers of the chat function's routes (`Depends(...)`; tests override them on the app):
each reads the instance's services (`klantreis.services`), built on first use."""

from __future__ import annotations

from klantreis import services
from klantreis.cognito import BearerVerifier
from klantreis.conversations.inbox import ChatLookup
from klantreis.conversations.messages import MessageService
from klantreis.dispatch.placement import ChatStarter
from klantreis.dispatch.queue import QueueDrainer
from klantreis.secrets import load_key_ring
from klantreis.settings import get_settings
from klantreis.sites import SiteDirectory
from klantreis.tokens import TokenSigner


def site_directory() -> SiteDirectory:
    """Widget site keys to sites (the routes authenticate the widget through it)."""
    return services.current().site_directory


def chat_starter() -> ChatStarter:
    return services.current().chat_starter


def chat_lookup() -> ChatLookup:
    return services.current().chat_lookup


def message_service() -> MessageService:
    return services.current().message_service


def queue_drainer() -> QueueDrainer:
    return services.current().queue_drainer


def token_signer() -> TokenSigner:
    """Built per request from the key ring; the secret itself is cached for a few minutes, so a
    rotated key reaches warm instances without a redeploy."""
    return TokenSigner(load_key_ring(get_settings()))


def bearer_verifier() -> BearerVerifier | None:
    """Agents' Cognito tokens on the routes the widget shares (None locally: the gateway checks)."""
    return services.current().bearer_verifier
