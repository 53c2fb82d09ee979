"""The services this function uses: stores built once per Lambda instance on first use; the token
signer built per request, so a rotated token secret reaches warm instances (the secret itself is
cached by Powertools for `klantreis.secrets.SECRET_CACHE_SECONDS`)."""

from __future__ import annotations

from functools import cache

from klantreis import dynamo
from klantreis.conversations.store import DynamoChatStore
from klantreis.conversations.surveys import SurveyService
from klantreis.secrets import load_key_ring
from klantreis.settings import get_settings
from klantreis.sites import DynamoSiteStore, SiteDirectory, SiteStore
from klantreis.tokens import TokenSigner


@cache
def site_store() -> SiteStore:
    return DynamoSiteStore(dynamo.client(), get_settings().table_name)


@cache
def site_directory() -> SiteDirectory:
    """Widget site keys to sites (the survey route authenticates through it)."""
    return SiteDirectory(site_store(), get_settings().site_cache_seconds)


@cache
def chat_store() -> DynamoChatStore:
    return DynamoChatStore(dynamo.client(), get_settings().table_name)


def token_signer() -> TokenSigner:
    """Not cached here: the key ring is re-read each time (cheap: a cached secret, or TOKEN_KEY)."""
    return TokenSigner(load_key_ring(get_settings()))


def survey_service() -> SurveyService:
    return SurveyService(chat_store(), token_signer())


def reset() -> None:
    """Forgets every built service (tests that change the environment call this)."""
    for factory in (site_store, site_directory, chat_store):
        factory.cache_clear()
