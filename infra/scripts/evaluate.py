"""Scores the shipped purchase-propensity model on a labelled CSV and measures it (`make evaluate
CSV=path`). Fits nothing: the model, its encodings and its decision threshold are used as shipped.

    python infra/scripts/evaluate.py PATH [--model JSON]

PATH is in the column format of ../shared/data/online_shoppers_train.csv (label `Revenue`,
TRUE/FALSE). Scoring goes through klantreis.engagement.model in pure Python, exactly as in the
functions, and the metrics are computed here without scikit-learn, so this runs in the dev
virtualenv. The last line printed is one JSON object:

    {"rows": n, "roc_auc": x, "pr_auc": x, "f1": x, "threshold": t}

roc_auc is the area under the ROC curve (ties count half), pr_auc the average precision (the
step-wise area under the precision-recall curve, as scikit-learn's average_precision_score), f1
the F1 of the positive class when a session counts as a buyer at score >= threshold. A metric
that the file cannot define (one class only) is null. Exit 2 for an unusable CSV or model file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from klantreis.engagement.model import (
    DEFAULT_MODEL_PATH,
    CsvError,
    ModelError,
    PropensityModel,
    load_model,
    read_labelled_csv,
)

DIGITS = 6


def roc_auc(labels: Sequence[bool], scores: Sequence[float]) -> float | None:
    """Probability that a random buyer scores above a random non-buyer (ties count half): the
    rank-sum (Mann-Whitney) form, with tied scores given their average rank."""
    positives = sum(labels)
    negatives = len(labels) - positives
    if not positives or not negatives:
        return None
    order = sorted(range(len(scores)), key=scores.__getitem__)
    positive_ranks = 0.0
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        average_rank = (start + end) / 2 + 1
        positive_ranks += average_rank * sum(labels[order[i]] for i in range(start, end + 1))
        start = end + 1
    return (positive_ranks - positives * (positives + 1) / 2) / (positives * negatives)


def average_precision(labels: Sequence[bool], scores: Sequence[float]) -> float | None:
    """Sum over the distinct score thresholds, highest first, of precision times the recall it
    adds (no interpolation)."""
    positives = sum(labels)
    if not positives:
        return None
    order = sorted(range(len(scores)), key=scores.__getitem__, reverse=True)
    true_positives = 0
    area = previous_recall = 0.0
    for position, row in enumerate(order):
        true_positives += labels[row]
        seen = position + 1
        last_of_tie = position + 1 == len(order) or scores[order[position + 1]] != scores[row]
        if last_of_tie:
            recall = true_positives / positives
            area += (recall - previous_recall) * (true_positives / seen)
            previous_recall = recall
    return area


def f1_at(labels: Sequence[bool], scores: Sequence[float], threshold: float) -> float | None:
    """F1 of the positive class when score >= threshold predicts a buyer."""
    tp = fp = fn = 0
    for label, score in zip(labels, scores, strict=True):
        predicted = score >= threshold
        tp += predicted and label
        fp += predicted and not label
        fn += label and not predicted
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, DIGITS)


def evaluate(path: Path, model: PropensityModel) -> dict[str, float | int | None]:
    """The contract's figures for the file; raises CsvError, OSError or UnicodeDecodeError."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        sessions, labels = read_labelled_csv(handle)
    scores = []
    for row, session in enumerate(sessions, start=1):
        try:
            scores.append(model.score(session))
        except ValueError as exc:
            raise CsvError(f"data row {row}: {exc}") from None
    return {
        "rows": len(sessions),
        "roc_auc": _rounded(roc_auc(labels, scores)),
        "pr_auc": _rounded(average_precision(labels, scores)),
        "f1": _rounded(f1_at(labels, scores, model.threshold)),
        "threshold": model.threshold,
    }


def cross_validation_lines(model: PropensityModel, path: Path) -> list[str]:
    """The model's figures from `make train`'s nested cross-validation of its training file
    (outer folds: mean ± sd), the ones to quote; and a warning when the file is that training
    file, whose own figures below are then in-sample."""
    training = model.training
    lines = []
    if training.cv is not None:
        cv = training.cv
        lines.append(
            f"nested cross-validation of {training.source}, outer folds mean ± sd: "
            f"ROC-AUC {cv.roc_auc.mean:.4f} ± {cv.roc_auc.sd:.4f}, "
            f"PR-AUC {cv.pr_auc.mean:.4f} ± {cv.pr_auc.sd:.4f}, "
            f"F1 {cv.f1.mean:.4f} ± {cv.f1.sd:.4f}"
        )
    if hashlib.sha256(path.read_bytes()).hexdigest() == training.source_sha256:
        lines.append("this file is the model's training file: its figures below are in-sample, not to quote")
    return lines


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("csv", type=Path, help="labelled CSV in the UCI column format")
    parser.add_argument(
        "--model", type=Path, default=DEFAULT_MODEL_PATH, help="model JSON (default: shipped)"
    )
    args = parser.parse_args(argv)
    try:
        model = load_model(args.model)
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        figures = evaluate(args.csv, model)
    except (CsvError, UnicodeDecodeError) as exc:
        print(f"error: {args.csv}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot read {args.csv}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    training = model.training
    print(
        f"model: {args.model.name} ({model.tree_count} trees, {len(model.features)} features, "
        f"trained {training.trained_on} on {training.rows} rows of {training.source})"
    )
    for line in cross_validation_lines(model, args.csv):
        print(line)
    print(f"file: {args.csv} ({figures['rows']} rows)")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
