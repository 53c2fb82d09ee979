"""Okapi BM25 over a handful of short documents (a site's knowledge base: at most a few hundred
entries), pure Python, built per request: indexing 500 entries takes a few milliseconds, so
nothing is kept between requests and an operator's edit counts at once."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

K1 = 1.2
B = 0.75


@dataclass(frozen=True)
class Hit:
    index: int
    """Position of the document in the list the index was built from."""
    score: float


class Bm25Index:
    """Documents given as term lists; `search` takes weighted query terms."""

    def __init__(self, documents: Sequence[Sequence[str]]) -> None:
        self._frequencies = [Counter(doc) for doc in documents]
        self._lengths = [len(doc) for doc in documents]
        self._average_length = (sum(self._lengths) / len(documents)) if documents else 0.0
        containing: Counter[str] = Counter()
        for frequencies in self._frequencies:
            containing.update(frequencies.keys())
        count = len(documents)
        # The "plus one" form: never negative, so a term in most documents still counts a little.
        self._idf = {term: math.log(1 + (count - n + 0.5) / (n + 0.5)) for term, n in containing.items()}

    def search(self, query: Mapping[str, float], limit: int) -> list[Hit]:
        """The best `limit` documents with a positive score, best first (ties: earlier first)."""
        hits: list[Hit] = []
        for index, frequencies in enumerate(self._frequencies):
            norm = K1 * (1 - B + B * self._lengths[index] / (self._average_length or 1.0))
            score = 0.0
            for term, weight in query.items():
                frequency = frequencies.get(term, 0)
                if frequency:
                    score += weight * self._idf[term] * frequency * (K1 + 1) / (frequency + norm)
            if score > 0:
                hits.append(Hit(index, score))
        hits.sort(key=lambda hit: (-hit.score, hit.index))
        return hits[:limit]
