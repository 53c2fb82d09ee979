"""The site's survey feedback as it arrives: each survey with its scores, comment, agent and
category, newest first — what operators watch during the day and agents read about themselves."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from klantreis.conversations.models import Channel


class Feedback(BaseModel):
    chat_id: str
    at: datetime
    csat: int | None = None
    nps: int | None = None
    ces: int | None = None
    preferred_channel: Channel | None = None
    comment: str | None = None
    agent_id: str | None = None
    agent_name: str | None = None
    category: str | None = None
