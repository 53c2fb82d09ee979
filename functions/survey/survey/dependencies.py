"""The providers of the survey function's route (`Depends(...)`; tests override them on the
app): stores from the instance's services (`klantreis.services`); the token signer built per
request, so a rotated token secret reaches warm instances (the secret itself is cached by
Powertools for `klantreis.secrets.SECRET_CACHE_SECONDS`)."""

from __future__ import annotations

from klantreis import services
from klantreis.conversations.dynamo_store import DynamoSurveyChats
from klantreis.conversations.surveys import SurveyService
from klantreis.secrets import load_key_ring
from klantreis.settings import get_settings
from klantreis.sites import SiteDirectory
from klantreis.tokens import TokenSigner


def site_directory() -> SiteDirectory:
    """Widget site keys to sites (the survey route authenticates through it)."""
    return services.current().site_directory


def chat_store() -> DynamoSurveyChats:
    return services.current().survey_chats


def token_signer() -> TokenSigner:
    """Not kept: the key ring is re-read each time (cheap: a cached secret, or TOKEN_KEY)."""
    return TokenSigner(load_key_ring(get_settings()))


def survey_service() -> SurveyService:
    return SurveyService(chat_store(), token_signer())
