"""Knowledge-base entries: an FAQ entry (a question and its answer) or a canned reply (a text an
agent sends as is), both kept by the site's operators."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from klantreis.engagement.config import RuleStage
from klantreis.strict import STRICT_INPUT

EntryKind = Literal["faq", "canned"]
MAX_ENTRIES = 500
"""Per site: the retriever indexes them all for each suggestion, so the base stays bounded."""
MAX_TITLE_CHARS = 200
MAX_BODY_CHARS = 2_000

Tag = Annotated[str, StringConstraints(min_length=1, max_length=60, pattern=r"[^ \t\n\r\f\v]")]
Title = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TITLE_CHARS, pattern=r"[^ \t\n\r\f\v]")]
Body = Annotated[str, StringConstraints(min_length=1, max_length=MAX_BODY_CHARS, pattern=r"[^ \t\n\r\f\v]")]


class KnowledgeEntryInput(BaseModel):
    """What an operator writes (PUT /v1/knowledge/{entry_id}); strict: text is text, no lax casts."""

    model_config = ConfigDict(**STRICT_INPUT, extra="forbid")

    kind: EntryKind
    title: Title
    """The FAQ's question, or the canned reply's short name."""
    body: Body
    """The answer the agent inserts (and may edit) in the chat."""
    language: Literal["nl", "en"] = "nl"
    keywords: list[Tag] = Field(default_factory=list, max_length=30)
    """Words visitors use for this topic that the text does not (synonyms, the other language)."""
    categories: list[Tag] = Field(default_factory=list, max_length=20)
    """Product categories the entry is about; a chat in one of them ranks it higher."""
    stages: list[RuleStage] = Field(default_factory=list, max_length=3)
    """Journey stages (browsing, cart, checkout) the entry helps in; the chat's stage ranks it higher."""


class KnowledgeEntry(KnowledgeEntryInput):
    model_config = ConfigDict(frozen=True, extra="ignore")

    entry_id: str
    updated_at: datetime
