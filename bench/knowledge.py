"""How well the answer suggestions find the right knowledge-base entry: the demo shop's entries
against a labelled set of visitor questions (paraphrases of its FAQ, Dutch and English), each
asked as the visitor's only message with no journey. Top-1 and top-3 hit rates."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from klantreis.knowledge.models import KnowledgeEntry, KnowledgeEntryInput
from klantreis.knowledge.suggest import ChatSignals, suggest
from klantreis_local.demo_knowledge import DEMO_ENTRIES

QUESTIONS = Path(__file__).parent / "data" / "knowledge_questions.json"
HEADERS = ["questions", "language", "top-1 hits", "top-1 rate", "top-3 hits", "top-3 rate"]


def questions() -> list[dict[str, str]]:
    loaded: list[dict[str, str]] = json.loads(QUESTIONS.read_text())
    return loaded


def stored(entries: Mapping[str, KnowledgeEntryInput]) -> list[KnowledgeEntry]:
    at = datetime(2026, 12, 4, tzinfo=UTC)
    return [
        KnowledgeEntry(**entry.model_dump(), entry_id=entry_id, updated_at=at)
        for entry_id, entry in entries.items()
    ]


def measure() -> dict[str, Any]:
    """Hit counts overall and per language, and the questions missed at top 3."""
    entries = stored(DEMO_ENTRIES)
    by_language: dict[str, dict[str, int]] = {}
    misses = []
    for labelled in questions():
        ranked = [
            s.entry_id for s in suggest(entries, ChatSignals(visitor_messages=[labelled["question"]]), 3)
        ]
        for group in ("all", labelled["language"]):
            counts = by_language.setdefault(group, {"questions": 0, "top1": 0, "top3": 0})
            counts["questions"] += 1
            counts["top1"] += int(ranked[:1] == [labelled["entry_id"]])
            counts["top3"] += int(labelled["entry_id"] in ranked)
        if labelled["entry_id"] not in ranked:
            misses.append({**labelled, "ranked": ranked})
    rates = {
        group: {
            **counts,
            "top1_rate": counts["top1"] / counts["questions"],
            "top3_rate": counts["top3"] / counts["questions"],
        }
        for group, counts in by_language.items()
    }
    return {"entries": len(entries), "by_language": rates, "misses": misses}


def rows(measured: dict[str, Any]) -> list[list[object]]:
    return [
        [c["questions"], group, c["top1"], f"{c['top1_rate']:.0%}", c["top3"], f"{c['top3_rate']:.0%}"]
        for group, c in measured["by_language"].items()
    ]
