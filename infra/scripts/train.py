"""Trains the purchase-propensity model (an operator tool: `make train`) and writes it as the
compact JSON that klantreis.engagement.model scores in pure Python.

    python infra/scripts/train.py [--csv PATH] [--out PATH] [--features live|all|COL,COL,...]

Learner: scikit-learn's GradientBoostingClassifier (log-loss), one of a few candidate settings.
Everything is chosen inside training data only, never on the rows it is judged on:

- Figures: stratified 5-fold cross-validation (shuffled, seed 0). For each outer fold, an inner
  stratified 5-fold cross-validation (seed 1) of its four training folds picks the candidate with
  the best out-of-fold PR-AUC, and the threshold that maximises F1 on that candidate's
  out-of-fold predictions; the candidate is refitted on the four folds and judged on the fifth
  at that threshold. Printed per fold and as mean ± sample sd over the five folds.
- The shipped model: the same inner procedure on the whole file picks the candidate and the
  threshold; the candidate is fitted on the whole file and exported.

The exported JSON is read back through klantreis.engagement.model and must reproduce
scikit-learn's probabilities on every training row (it fails otherwise). Needs the `train`
dependency group (`make train` installs it); exit 2 for an unusable CSV.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np  # type: ignore[import-not-found, unused-ignore]
import sklearn  # type: ignore[import-untyped, import-not-found, unused-ignore]
from joblib import Parallel, delayed  # type: ignore[import-untyped, import-not-found, unused-ignore]
from sklearn.ensemble import GradientBoostingClassifier  # type: ignore[import-untyped, import-not-found, unused-ignore]
from sklearn.metrics import (  # type: ignore[import-untyped, import-not-found, unused-ignore]
    average_precision_score,
    precision_recall_curve,
    roc_auc_score,
)
from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped, import-not-found, unused-ignore]

from klantreis.engagement.model import (
    CATEGORICAL_CODES,
    FEATURE_COLUMNS,
    MODEL_FORMAT,
    MODEL_VERSION,
    OPTIONAL_COLUMNS,
    CsvError,
    SessionFeatures,
    column_reader,
    default_encodings,
    parse_model,
    read_labelled_csv,
)

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CSV = ROOT.parent / "shared" / "data" / "online_shoppers_train.csv"
DEFAULT_OUT = ROOT / "layers" / "core" / "klantreis" / "engagement" / "default_model.json"

LIVE_FEATURES = [column for column in FEATURE_COLUMNS if column not in OPTIONAL_COLUMNS]
"""What the tracker can know of a live session: the GA integer codes (OperatingSystems, Browser,
Region, TrafficType) are left out; docs/model.md gives the measured cost."""
PAGE_STATISTICS = ("BounceRates", "ExitRates", "PageValues")
PRIOR_FEATURES = [
    column for column in LIVE_FEATURES if column not in (*PAGE_STATISTICS, "Month", "VisitorType")
]
"""The prior model's: what a session shows on a site without history (no page statistics). Its
score is the training population's purchase rate for sessions like this one (docs/model.md).
Left out too, as they do not mean on a new site what they meant in the training file: Month (the
training shop's seasons, February near 0 %, November 25 %, are not a new shop's, and within a day
they move every visitor alike) and VisitorType (on a site's first days every visitor is new, while
85 % of the training sessions are returning visitors, who bought less often there)."""
PRIOR_OUT = ROOT / "layers" / "core" / "klantreis" / "engagement" / "prior_model.json"
OUTER_FOLDS = 5
INNER_FOLDS = 5
OUTER_SEED = 0
INNER_SEED = 1
MODEL_SEED = 0
SUBSAMPLE = 0.8
CANDIDATES: list[dict[str, Any]] = [
    {"max_depth": 3, "n_estimators": 300, "learning_rate": 0.05, "min_samples_leaf": 20},
    {"max_depth": 4, "n_estimators": 150, "learning_rate": 0.05, "min_samples_leaf": 20},
    {"max_depth": 4, "n_estimators": 250, "learning_rate": 0.03, "min_samples_leaf": 40},
    {"max_depth": 5, "n_estimators": 150, "learning_rate": 0.03, "min_samples_leaf": 40},
]
PARITY_TOLERANCE = 1e-5
LEAF_DIGITS = 7


@dataclass
class Selection:
    candidate: int
    threshold: float
    inner_pr_auc: list[float]


@dataclass
class FoldResult:
    selection: Selection
    roc_auc: float
    pr_auc: float
    f1: float
    rule_f1: float


def learner(candidate: int) -> Any:
    return GradientBoostingClassifier(subsample=SUBSAMPLE, random_state=MODEL_SEED, **CANDIDATES[candidate])


def best_f1_threshold(y: Any, scores: Any) -> tuple[float, float]:
    """The score threshold (predict positive when score >= it) with the highest F1."""
    precision, recall, thresholds = precision_recall_curve(y, scores)
    f1 = 2 * precision[:-1] * recall[:-1] / np.maximum(precision[:-1] + recall[:-1], 1e-12)
    best = int(np.argmax(f1))
    return float(thresholds[best]), float(f1[best])


def f1_at(y: Any, predicted: Any) -> float:
    tp = int(np.sum(predicted & (y == 1)))
    fp = int(np.sum(predicted & (y == 0)))
    fn = int(np.sum(~predicted & (y == 1)))
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0


def _fit_predict(candidate: int, x: Any, y: Any, train: Any, test: Any) -> Any:
    return learner(candidate).fit(x[train], y[train]).predict_proba(x[test])[:, 1]


def _fit(candidate: int, x: Any, y: Any, rows: Any) -> Any:
    return learner(candidate).fit(x[rows], y[rows])


def select_all(x: Any, y: Any, parts: Sequence[Any], jobs: int) -> list[Selection]:
    """For each set of training rows: the candidate with the best inner out-of-fold PR-AUC and
    the F1-maximising threshold on its out-of-fold predictions. All fits run in one pool."""
    plan = []
    for part, rows in enumerate(parts):
        inner = StratifiedKFold(INNER_FOLDS, shuffle=True, random_state=INNER_SEED)
        for train, test in inner.split(rows, y[rows]):
            for candidate in range(len(CANDIDATES)):
                plan.append((part, candidate, rows[train], rows[test]))
    predictions = Parallel(n_jobs=jobs)(
        delayed(_fit_predict)(candidate, x, y, train, test) for _, candidate, train, test in plan
    )
    oof = [{c: np.zeros(len(y)) for c in range(len(CANDIDATES))} for _ in parts]
    for (part, candidate, _, test), predicted in zip(plan, predictions, strict=True):
        oof[part][candidate][test] = predicted
    selections = []
    for part, rows in enumerate(parts):
        aps = [float(average_precision_score(y[rows], oof[part][c][rows])) for c in range(len(CANDIDATES))]
        best = int(np.argmax(aps))
        threshold, _ = best_f1_threshold(y[rows], oof[part][best][rows])
        selections.append(Selection(best, threshold, aps))
    return selections


def short_threshold(values: Any, threshold: float) -> float:
    """The shortest decimal that splits the training values of this feature exactly as the tree
    does (scikit-learn compares float32 values with a float64 threshold; the scorer compares the
    values as they are)."""
    as32 = values.astype(np.float32).astype(np.float64)
    cut = int(np.searchsorted(as32, threshold, side="right"))
    if cut == 0 or cut == len(values):
        return float(threshold)
    low, high = float(values[cut - 1]), float(values[cut])
    middle = (low + high) / 2
    for digits in range(1, 18):
        candidate = float(f"{middle:.{digits}g}")
        if low < candidate < high:
            return candidate
    return float(threshold)


def export_trees(model: Any, x: Any) -> dict[str, list[Any]]:
    """All trees in flat arrays, each tree in pre-order (children after their parent); leaf values
    include the learning rate."""
    uniques = [np.unique(x[:, column].astype(np.float64)) for column in range(x.shape[1])]
    arrays: dict[str, list[Any]] = {
        k: [] for k in ("roots", "feature", "threshold", "left", "right", "value")
    }
    for estimator in model.estimators_[:, 0]:
        tree = estimator.tree_
        order: list[int] = []
        stack = [0]
        while stack:
            node = stack.pop()
            order.append(node)
            if tree.children_left[node] != -1:
                stack += [int(tree.children_right[node]), int(tree.children_left[node])]
        offset = len(arrays["feature"])
        index = {node: offset + position for position, node in enumerate(order)}
        arrays["roots"].append(offset)
        for node in order:
            if tree.children_left[node] == -1:
                leaf = float(model.learning_rate) * float(tree.value[node, 0, 0])
                arrays["feature"].append(-1)
                arrays["threshold"].append(0)
                arrays["left"].append(-1)
                arrays["right"].append(-1)
                arrays["value"].append(float(f"{leaf:.{LEAF_DIGITS}g}"))
            else:
                feature = int(tree.feature[node])
                arrays["feature"].append(feature)
                arrays["threshold"].append(short_threshold(uniques[feature], float(tree.threshold[node])))
                arrays["left"].append(index[int(tree.children_left[node])])
                arrays["right"].append(index[int(tree.children_right[node])])
                arrays["value"].append(0)
    return arrays


def base_score(model: Any, x: Any) -> float:
    """The raw score before any tree: the decision function minus every tree's contribution."""
    row = x[:1]
    rate = float(model.learning_rate)
    trees = sum(rate * float(e.predict(row)[0]) for e in model.estimators_[:, 0])
    return float(model.decision_function(row)[0]) - trees


def render(document: dict[str, Any]) -> str:
    """Compact JSON, one top-level key (and one tree array) a line, so diffs stay readable."""

    def dump(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), allow_nan=False)

    lines = []
    for key, value in document.items():
        if key == "trees":
            inner = ",\n".join(f"  {dump(k)}:{dump(v)}" for k, v in value.items())
            lines.append(f' "trees":{{\n{inner}\n }}')
        else:
            lines.append(f" {dump(key)}:{dump(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def summary(values: Sequence[float]) -> dict[str, float]:
    return {"mean": round(statistics.mean(values), 4), "sd": round(statistics.stdev(values), 4)}


def parse_features(text: str) -> list[str]:
    if text == "live":
        return list(LIVE_FEATURES)
    if text == "prior":
        return list(PRIOR_FEATURES)
    if text == "all":
        return list(FEATURE_COLUMNS)
    columns = [c.strip() for c in text.split(",") if c.strip()]
    unknown = [c for c in columns if c not in FEATURE_COLUMNS]
    if unknown or not columns:
        raise SystemExit(f"--features: unknown columns {unknown}; known: {', '.join(FEATURE_COLUMNS)}")
    return [c for c in FEATURE_COLUMNS if c in columns]


def matrix(sessions: Sequence[SessionFeatures], features: Sequence[str], encodings: Any) -> Any:
    readers = [column_reader(column, encodings) for column in features]
    try:
        return np.array([[read(s) for read in readers] for s in sessions], dtype=np.float64)
    except ValueError as exc:
        raise SystemExit(f"cannot train on these features: {exc}") from None


def report_folds(
    *,
    outer: Sequence[tuple[Any, Any]],
    selections: Sequence[Selection],
    fits: Sequence[Any],
    x: Any,
    y: Any,
    page_values: Any,
) -> dict[str, dict[str, float]]:
    """Judges each outer fold's model on its held-out fold; prints the folds and the summary."""
    results = []
    folds = zip(outer, selections, fits, strict=True)
    for fold, ((_, test), selection, fitted) in enumerate(folds, start=1):
        scores = fitted.predict_proba(x[test])[:, 1]
        rule = page_values[test] > 0 if page_values is not None else np.zeros(len(test), dtype=bool)
        result = FoldResult(
            selection=selection,
            roc_auc=float(roc_auc_score(y[test], scores)),
            pr_auc=float(average_precision_score(y[test], scores)),
            f1=f1_at(y[test], scores >= selection.threshold),
            rule_f1=f1_at(y[test], rule),
        )
        results.append(result)
        print(
            f"fold {fold}: candidate {selection.candidate} {CANDIDATES[selection.candidate]} "
            f"threshold {selection.threshold:.4f}  ROC-AUC {result.roc_auc:.4f}  "
            f"PR-AUC {result.pr_auc:.4f}  F1 {result.f1:.4f}  (PageValues>0 F1 {result.rule_f1:.4f})"
        )
    figures = {
        "roc_auc": summary([r.roc_auc for r in results]),
        "pr_auc": summary([r.pr_auc for r in results]),
        "f1": summary([r.f1 for r in results]),
    }
    for name, figure in figures.items():
        print(f"CV {name}: {figure['mean']:.4f} ± {figure['sd']:.4f}")
    rule = summary([r.rule_f1 for r in results])
    print(f"CV PageValues>0 rule F1: {rule['mean']:.4f} ± {rule['sd']:.4f}")
    return figures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--csv", type=Path, default=DEFAULT_CSV, help="training file (UCI columns, label Revenue)"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="where to write the JSON model (default: the shipped one)"
    )
    parser.add_argument(
        "--features", default="live", help="live (default), prior, all, or a comma-separated list"
    )
    parser.add_argument("--jobs", type=int, default=-1, help="parallel fits (default: all cores)")
    args = parser.parse_args(argv)
    if args.out is None:
        args.out = PRIOR_OUT if args.features == "prior" else DEFAULT_OUT

    started = time.monotonic()
    try:
        raw = args.csv.read_bytes()
        sessions, labels = read_labelled_csv(raw.decode("utf-8-sig").splitlines(keepends=True))
    except (OSError, UnicodeDecodeError, CsvError) as exc:
        print(f"{args.csv}: {exc}", file=sys.stderr)
        return 2
    features = parse_features(args.features)
    encodings = {k: v for k, v in default_encodings().items() if k in features and k in CATEGORICAL_CODES}
    x = matrix(sessions, features, encodings)
    y = np.array(labels, dtype=np.int64)
    if y.sum() < OUTER_FOLDS * INNER_FOLDS or (len(y) - y.sum()) < OUTER_FOLDS * INNER_FOLDS:
        print(f"{args.csv}: too few buyers or non-buyers to cross-validate", file=sys.stderr)
        return 2
    print(f"{args.csv.name}: {len(y)} rows, {int(y.sum())} buyers ({y.mean():.1%})")
    print(f"features: {', '.join(features)}")

    outer = list(StratifiedKFold(OUTER_FOLDS, shuffle=True, random_state=OUTER_SEED).split(x, y))
    everything = np.arange(len(y))
    selections = select_all(x, y, [train for train, _ in outer] + [everything], args.jobs)
    fits = Parallel(n_jobs=args.jobs)(
        delayed(_fit)(s.candidate, x, y, rows)
        for s, rows in zip(selections, [train for train, _ in outer] + [everything], strict=True)
    )

    page_values = x[:, features.index("PageValues")] if "PageValues" in features else None
    figures = report_folds(
        outer=outer, selections=selections[:-1], fits=fits[:-1], x=x, y=y, page_values=page_values
    )
    cv = {
        "protocol": (
            f"stratified {OUTER_FOLDS}-fold CV (shuffled, seed {OUTER_SEED}); per outer fold an inner "
            f"stratified {INNER_FOLDS}-fold CV (seed {INNER_SEED}) of its training part picks the "
            "candidate (best PR-AUC) and the F1-maximising threshold; mean and sample sd over the folds"
        ),
        **figures,
    }

    final, model = selections[-1], fits[-1]
    params = {
        **CANDIDATES[final.candidate],
        "subsample": SUBSAMPLE,
        "random_state": MODEL_SEED,
        "loss": "log_loss",
        "selected_by": f"inner {INNER_FOLDS}-fold out-of-fold PR-AUC (seed {INNER_SEED})",
        "candidates": CANDIDATES,
        "candidate_pr_auc": [round(v, 4) for v in final.inner_pr_auc],
    }
    document: dict[str, Any] = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "features": features,
        "encodings": encodings,
        "base_score": base_score(model, x),
        "threshold": round(final.threshold, 6),
        "training": {
            "rows": len(y),
            "positives": int(y.sum()),
            "trained_on": datetime.now(UTC).date().isoformat(),
            "source": args.csv.name,
            "source_sha256": hashlib.sha256(raw).hexdigest(),
            "learner": f"scikit-learn {sklearn.__version__} GradientBoostingClassifier",
            "params": params,
            "cv": cv,
        },
        "trees": export_trees(model, x),
    }
    text = render(document)

    # The JSON as the function will read it must reproduce scikit-learn on every training row.
    exported = parse_model(text, source="the exported model")
    ours = np.array([exported.score(s) for s in sessions])
    theirs = model.predict_proba(x)[:, 1]
    drift = float(np.max(np.abs(ours - theirs)))
    if not math.isfinite(drift) or drift > PARITY_TOLERANCE:
        print(f"the exported model differs from scikit-learn by up to {drift:.2e}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(
        f"final: candidate {final.candidate} {CANDIDATES[final.candidate]}, threshold {final.threshold:.4f}, "
        f"{exported.tree_count} trees, {exported.node_count} nodes, {len(text.encode()) / 1024:.0f} KB, "
        f"max |score - scikit-learn| {drift:.1e}"
    )
    print(f"wrote {args.out} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
