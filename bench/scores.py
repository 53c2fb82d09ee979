"""Scores on a site's first day: the REES46 sample replayed into a new site (no page history) and
scored as decide would, against the training file's scores.

Each REES46 session is folded event by event as the tracker folds it (`SessionFold`) and scored
at its last event before any purchase (a session that has bought is not offered a chat), with
the site's page statistics empty: the evidence is 0 and the prior model speaks
(`klantreis.engagement.features.purchase_intent`). "Before" is what the shipped model gave with
the old zero-filled page statistics.

The training file is scored twice: by the shipped model on its own columns, and as on a new site
(the prior model: the training population without page history). REES46 sessions are short (53 %
view one product; the training file's median is 18 pages), so each comparison is also made with
the training sessions reweighted to the replay's distribution of page counts, which compares
like sessions. The statistic is the two-sample Kolmogorov-Smirnov distance (the largest gap
between the two cumulative distributions), with quantiles beside it.
"""

from __future__ import annotations

import csv
import sys
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from klantreis.engagement.features import (
    SitePageStats,
    history_evidence,
    purchase_intent,
    session_features,
)
from klantreis.engagement.model import SessionFeatures, default_model, from_csv_row, prior_model
from klantreis.journey.events import TrackedEvent
from klantreis.journey.session import SessionFold, SessionState
from klantreis.sites import Site

TRAINING = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "online_shoppers_train.csv"
).resolve()
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9, 0.99)
PAGE_BUCKETS = (1, 2, 3, 4, 6, 11, 21)
"""Lower bounds of the page-count buckets the training file is reweighted by (1, 2, 3, 4-5, ...)."""


@dataclass(frozen=True)
class Scored:
    score: float
    pages: int


def _bucket(pages: int) -> int:
    return bisect_right(PAGE_BUCKETS, max(pages, 1)) - 1


def _pages(features: SessionFeatures) -> int:
    return features.administrative + features.informational + features.product_related


def replayed_sessions(site: Site) -> list[tuple[SessionState, SessionFeatures, bool]]:
    """Every REES46 session at its last event before a purchase: (state, features on a new site,
    whether it went on to buy)."""
    from bench import rees46

    by_session: dict[str, list[Any]] = {}
    for row in rees46.load().rows:
        by_session.setdefault(row.session_id, []).append(row)
    sessions = []
    for rows in by_session.values():
        rows.sort(key=lambda row: (row.at, row.number))
        bought_at = next((i for i, row in enumerate(rows) if row.type == "purchase"), len(rows))
        before = rows[:bought_at]
        if not before:
            continue
        state = SessionState(
            site_id=site.site_id,
            visitor_id=before[0].visitor_id,
            session_id=before[0].session_id,
            first_at=before[0].at,
            last_at=before[0].at,
        )
        events = [TrackedEvent.model_validate(row.event()) for row in before]
        SessionFold(state, site).apply_all(list(enumerate(events)))
        features = session_features(state, SitePageStats(), timezone=site.timezone, special_days=[])
        sessions.append((state, features, any(row.type == "purchase" for row in rows)))
    return sessions


def training_sessions() -> list[SessionFeatures]:
    with TRAINING.open(newline="", encoding="utf-8-sig") as handle:
        return [from_csv_row(row) for row in csv.DictReader(handle)]


def ks_distance(a: Sequence[float], b: Sequence[float], b_weights: Sequence[float] | None = None) -> float:
    """The largest gap between the empirical distribution functions of `a` and (weighted) `b`."""
    weights = list(b_weights) if b_weights is not None else [1.0] * len(b)
    total = sum(weights)
    points = sorted({*a, *b})
    sorted_a = sorted(a)
    pairs = sorted(zip(b, weights, strict=True))
    gap, cumulative, index = 0.0, 0.0, 0
    for point in points:
        while index < len(pairs) and pairs[index][0] <= point:
            cumulative += pairs[index][1]
            index += 1
        gap = max(gap, abs(bisect_right(sorted_a, point) / len(a) - cumulative / total))
    return gap


def quantiles(values: Sequence[float], weights: Sequence[float] | None = None) -> list[float]:
    pairs = sorted(zip(values, weights or [1.0] * len(values), strict=True))
    total = sum(w for _, w in pairs)
    found, cumulative, index = [], 0.0, 0
    for q in QUANTILES:
        while index < len(pairs) - 1 and cumulative + pairs[index][1] < q * total:
            cumulative += pairs[index][1]
            index += 1
        found.append(round(pairs[index][0], 4))
    return found


def length_weights(training: Sequence[Scored], replayed: Sequence[Scored]) -> list[float]:
    """Weights that give the training sessions the replay's distribution of page counts."""
    wanted = Counter(_bucket(s.pages) for s in replayed)
    have = Counter(_bucket(s.pages) for s in training)
    return [wanted[_bucket(s.pages)] / have[_bucket(s.pages)] for s in training]


def measure() -> dict[str, Any]:
    from bench import rees46

    site = rees46.replay_site()
    sessions = replayed_sessions(site)
    full, prior, empty = default_model(), prior_model(), SitePageStats()
    after = [
        Scored(purchase_intent(full, prior, f, history_evidence(state, empty)), _pages(f))
        for state, f, _ in sessions
    ]
    before = [Scored(full.score(f), _pages(f)) for _, f, _ in sessions]
    rows = training_sessions()
    shipped = [Scored(full.score(f), _pages(f)) for f in rows]
    as_new = [Scored(prior.score(f), _pages(f)) for f in rows]
    weights = length_weights(shipped, after)
    bought = sum(b for _, _, b in sessions)

    def population(scored: list[Scored]) -> dict[str, Any]:
        values = [s.score for s in scored]
        return {
            "mean": round(sum(values) / len(values), 4),
            "quantiles": quantiles(values),
            "mean_same_lengths": round(
                sum(v * w for v, w in zip(values, weights, strict=True)) / sum(weights), 4
            ),
            "quantiles_same_lengths": quantiles(values, weights),
        }

    def replayed(scored: list[Scored]) -> dict[str, Any]:
        values = [s.score for s in scored]
        return {
            "mean": round(sum(values) / len(values), 4),
            "quantiles": quantiles(values),
            "ks_to_training": round(ks_distance(values, [s.score for s in shipped]), 4),
            "ks_to_training_same_lengths": round(ks_distance(values, [s.score for s in shipped], weights), 4),
            "ks_to_training_as_new_site_same_lengths": round(
                ks_distance(values, [s.score for s in as_new], weights), 4
            ),
        }

    return {
        "sessions": len(sessions),
        "bought": bought,
        "purchase_rate": round(bought / len(sessions), 4),
        "quantile_levels": list(QUANTILES),
        "training_rows": len(rows),
        "training": population(shipped),
        "training_as_new_site": population(as_new),
        "new_site": replayed(after),
        "before_zero_filled": replayed(before),
    }


def lines(measured: dict[str, Any]) -> list[str]:
    levels = "/".join(f"{q:g}" for q in measured["quantile_levels"])
    out = [
        f"REES46 replay into a new site: {measured['sessions']} sessions scored at their last event before "
        f"any purchase; {measured['bought']} went on to buy ({measured['purchase_rate']:.1%}). "
        f"Quantiles {levels}; 'same page counts' = the training file reweighted to the replay's.",
    ]
    for label, key in (
        ("training file, shipped model", "training"),
        ("training file scored as on a new site (prior)", "training_as_new_site"),
    ):
        t = measured[key]
        out.append(
            f"{label} ({measured['training_rows']} rows): mean {t['mean']}, {t['quantiles']}; at the same "
            f"page counts mean {t['mean_same_lengths']}, {t['quantiles_same_lengths']}"
        )
    for label, key in (
        ("REES46 on a new site, now", "new_site"),
        ("REES46 on a new site, before (zero-filled)", "before_zero_filled"),
    ):
        f = measured[key]
        out.append(
            f"{label}: mean {f['mean']}, {f['quantiles']}; KS distance to the training file "
            f"{f['ks_to_training']}, at the same page counts {f['ks_to_training_same_lengths']}, to it "
            f"scored as on a new site at the same page counts {f['ks_to_training_as_new_site_same_lengths']}"
        )
    return out


def main() -> int:
    print("\n".join(lines(measure())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
