"""Answer suggestions for an open chat: the site's entries ranked by BM25 against the visitor's
latest messages, with the journey (category, products, stage) as weaker query terms.

Weights: the latest visitor message counts fully, earlier ones half (the topic may have moved
on), the journey a quarter — it breaks ties and fills the list before the visitor has said
anything, but never outweighs what the visitor asks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel

from klantreis.knowledge.bm25 import Bm25Index
from klantreis.knowledge.models import EntryKind, KnowledgeEntry
from klantreis.knowledge.text import terms

LATEST_WEIGHT = 1.0
EARLIER_WEIGHT = 0.5
JOURNEY_WEIGHT = 0.25
MESSAGES_READ = 3
"""The visitor's last messages that make the query."""
DEFAULT_LIMIT = 5
MAX_LIMIT = 20

STAGE_WORDS = {
    "browsing": "browsing",
    "cart": "cart winkelwagen",
    "checkout": "checkout afrekenen betalen payment",
}
"""Each stage as the words an entry about it is likely to carry (its `stages` say it outright)."""


@dataclass(frozen=True)
class ChatSignals:
    """What the suggestion reads of an open chat."""

    visitor_messages: Sequence[str] = ()
    """Oldest first; only the last `MESSAGES_READ` count."""
    category: str | None = None
    product_ids: Sequence[str] = field(default_factory=tuple)
    stage: str | None = None


class Suggestion(BaseModel):
    entry_id: str
    kind: EntryKind
    title: str
    body: str
    score: float
    matched_terms: list[str]
    """The query's terms the entry contains (why it was suggested)."""


def entry_terms(entry: KnowledgeEntry) -> list[str]:
    """The indexed terms: the title twice (it states the topic), body, keywords, categories and
    the stages the operator tagged."""
    text = " ".join((entry.title, entry.title, entry.body, *entry.keywords, *entry.categories, *entry.stages))
    return terms(text)


def query_terms(signals: ChatSignals) -> dict[str, float]:
    """Each term with the weight of the strongest place it came from."""
    weighted: dict[str, float] = {}

    def add(text: str, weight: float) -> None:
        for term, count in Counter(terms(text)).items():
            weighted[term] = max(weighted.get(term, 0.0), weight * count)

    journey = [signals.category or "", *signals.product_ids, STAGE_WORDS.get(signals.stage or "", "")]
    add(" ".join(journey), JOURNEY_WEIGHT)
    recent = list(signals.visitor_messages)[-MESSAGES_READ:]
    for text in recent[:-1]:
        add(text, EARLIER_WEIGHT)
    if recent:
        add(recent[-1], LATEST_WEIGHT)
    return weighted


def suggest(
    entries: Sequence[KnowledgeEntry], signals: ChatSignals, limit: int = DEFAULT_LIMIT
) -> list[Suggestion]:
    """The best entries for the chat, best first; none when nothing matches."""
    documents = [entry_terms(entry) for entry in entries]
    query = query_terms(signals)
    suggestions = []
    for hit in Bm25Index(documents).search(query, limit):
        entry = entries[hit.index]
        present = set(documents[hit.index])
        suggestions.append(
            Suggestion(
                entry_id=entry.entry_id,
                kind=entry.kind,
                title=entry.title,
                body=entry.body,
                score=round(hit.score, 4),
                matched_terms=sorted(term for term in query if term in present),
            )
        )
    return suggestions
