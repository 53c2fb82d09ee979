"""The purchase-propensity model: session features from CSV rows, the JSON model and its loader,
the pure-Python scorer, the shipped default model, and `make evaluate`'s metrics and output."""

from __future__ import annotations

import copy
import csv
import importlib.util
import io
import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from klantreis.engagement import model as propensity
from klantreis.engagement.model import (
    MONTH_CODES,
    CsvError,
    ModelError,
    SessionFeatures,
    default_model,
    from_csv_row,
    load_model,
    parse_model,
    read_labelled_csv,
    score,
)

ROOT = Path(__file__).resolve().parents[2]
TRAINING_CSV = ROOT.parent / "shared" / "data" / "online_shoppers_train.csv"
EVALUATE = ROOT / "infra" / "scripts" / "evaluate.py"


def load_evaluate() -> Any:
    spec = importlib.util.spec_from_file_location("evaluate_script", EVALUATE)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


evaluate = load_evaluate()


def training_rows(count: int | None = None) -> list[dict[str, str]]:
    with TRAINING_CSV.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return rows if count is None else rows[:count]


def row(**overrides: str) -> dict[str, str]:
    base = {
        "Administrative": "2", "Administrative_Duration": "30.5", "Informational": "0",
        "Informational_Duration": "0", "ProductRelated": "12", "ProductRelated_Duration": "410.2",
        "BounceRates": "0.01", "ExitRates": "0.03", "PageValues": "18.5", "SpecialDay": "0",
        "Month": "Nov", "OperatingSystems": "2", "Browser": "2", "Region": "1", "TrafficType": "2",
        "VisitorType": "Returning_Visitor", "Weekend": "FALSE", "Revenue": "TRUE",
    }  # fmt: skip
    return {**base, **overrides}


def features(**overrides: str) -> SessionFeatures:
    return from_csv_row(row(**overrides))


def tiny_model_document() -> dict[str, Any]:
    """Two trees by hand. Tree 0: PageValues <= 0 -> -1.0, else Month <= 10.5 -> 0.5, else 1.5.
    Tree 1: Weekend <= 0.5 -> 0.0, else 0.25. Base score -0.2."""
    return {
        "format": "klantreis.gbt",
        "version": 1,
        "features": ["PageValues", "Month", "Weekend"],
        "encodings": {"Month": {code: float(n) for n, code in enumerate(MONTH_CODES, start=1)}},
        "base_score": -0.2,
        "threshold": 0.5,
        "training": {
            "rows": 4,
            "positives": 1,
            "trained_on": "2026-11-22",
            "source": "by hand",
            "source_sha256": "0" * 64,
            "learner": "a person",
        },
        "trees": {
            "roots": [0, 5],
            "feature": [0, -1, 1, -1, -1, 2, -1, -1],
            "threshold": [0.0, 0, 10.5, 0, 0, 0.5, 0, 0],
            "left": [1, -1, 3, -1, -1, 6, -1, -1],
            "right": [2, -1, 4, -1, -1, 7, -1, -1],
            "value": [0, -1.0, 0, 0.5, 1.5, 0, 0.0, 0.25],
        },
    }


def logistic(raw: float) -> float:
    return 1 / (1 + math.exp(-raw))


# ----------------------------------------------------------------- session features from CSV rows


def test_a_training_row_becomes_typed_features() -> None:
    # given the first row of the training file
    first = training_rows(1)[0]

    # when
    session = from_csv_row(first)

    # then
    assert session.product_related == 1
    assert session.bounce_rates == pytest.approx(0.2)
    assert session.month == "Feb"
    assert session.visitor_type == "Returning_Visitor"
    assert session.weekend is False
    assert session.traffic_type == 1


def test_every_training_row_parses() -> None:
    with TRAINING_CSV.open(newline="") as handle:
        sessions, labels = read_labelled_csv(handle)
    assert len(sessions) == 8631
    assert sum(labels) == 1336


def test_booleans_months_and_absent_ga_codes_are_read_leniently() -> None:
    session = features(Weekend="true", Month="Jun", Browser="", Region=" ")
    assert session.weekend is True
    assert session.month == "June"
    assert session.browser is None
    assert session.region is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"PageValues": ""}, "column 'PageValues' is missing a value"),
        ({"ExitRates": "abc"}, "column 'ExitRates': 'abc' is not a number"),
        ({"ProductRelated": "2.5"}, "column 'ProductRelated': '2.5' is not a whole number"),
        ({"BounceRates": "1.5"}, "column 'BounceRates': Input should be less than or equal to 1 (got 1.5)"),
        (
            {"Administrative_Duration": "-3"},
            "column 'Administrative_Duration': Input should be greater than or equal to 0",
        ),
        ({"Month": "Smarch"}, "column 'Month': Input should be 'Jan', 'Feb'"),
        (
            {"VisitorType": "Bot"},
            "column 'VisitorType': Input should be 'New_Visitor', 'Other' or 'Returning_Visitor'",
        ),
        ({"Weekend": "maybe"}, "column 'Weekend': 'maybe' is not TRUE or FALSE"),
        ({"SpecialDay": "inf"}, "column 'SpecialDay': 'inf' is not a finite number"),
    ],
)
def test_bad_values_name_their_column(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        features(**overrides)


def test_a_row_without_a_feature_column_is_refused() -> None:
    incomplete = row()
    del incomplete["Month"]
    with pytest.raises(ValueError, match="missing columns: Month"):
        from_csv_row(incomplete)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("Administrative,Revenue\n1,TRUE\n", "line 1: the header lacks the columns Administrative_Duration"),
        ("HEADER\n", "no data rows"),
        ("HEADER\nROW\nROW,extra\n", "line 3: more fields than the header has columns"),
        ("HEADER\nROW\nMISSING\n", "line 3: column 'PageValues' is missing a value"),
        ("HEADER\nROW\nBADLABEL\n", "line 3: column 'Revenue': 'perhaps' is not TRUE or FALSE"),
        ("HEADER\nNOLABEL\n", "line 2: column 'Revenue' is missing a value"),
    ],
)
def test_bad_csv_files_name_the_line(text: str, message: str) -> None:
    columns = list(row())
    good = row()
    replacements = {
        "HEADER": ",".join(columns),
        "ROW,extra": ",".join(good.values()) + ",extra",
        "ROW": ",".join(good.values()),
        "MISSING": ",".join(row(PageValues="").values()),
        "BADLABEL": ",".join(row(Revenue="perhaps").values()),
        "NOLABEL": ",".join(row(Revenue="").values()),
    }
    for placeholder, replacement in replacements.items():
        text = text.replace(placeholder, replacement)
    with pytest.raises(CsvError) as caught:
        read_labelled_csv(io.StringIO(text))
    assert message in str(caught.value)


# ------------------------------------------------------------------------- the scorer, by hand


@pytest.mark.parametrize(
    ("overrides", "raw"),
    [
        ({"PageValues": "0", "Month": "Nov", "Weekend": "FALSE"}, -0.2 - 1.0 + 0.0),
        ({"PageValues": "0", "Month": "Feb", "Weekend": "TRUE"}, -0.2 - 1.0 + 0.25),
        ({"PageValues": "12.5", "Month": "Oct", "Weekend": "FALSE"}, -0.2 + 0.5 + 0.0),
        ({"PageValues": "12.5", "Month": "Nov", "Weekend": "TRUE"}, -0.2 + 1.5 + 0.25),
        ({"PageValues": "12.5", "Month": "Dec", "Weekend": "FALSE"}, -0.2 + 1.5 + 0.0),
    ],
)
def test_the_scorer_walks_hand_built_trees(overrides: dict[str, str], raw: float) -> None:
    # given
    model = parse_model(json.dumps(tiny_model_document()))
    session = features(**overrides)

    # when
    propensity_score = score(session, model)

    # then
    assert model.raw_score(model.vector(session)) == pytest.approx(raw)
    assert propensity_score == pytest.approx(logistic(raw))
    assert model.predict(session) is (propensity_score >= 0.5)


def test_extreme_raw_scores_stay_inside_zero_and_one() -> None:
    document = tiny_model_document()
    document["base_score"] = -800.0
    assert parse_model(json.dumps(document)).score(features()) == 0.0
    document["base_score"] = 800.0
    assert parse_model(json.dumps(document)).score(features()) == 1.0


def test_a_model_that_uses_a_ga_code_needs_it_in_the_session() -> None:
    document = tiny_model_document()
    document["features"] = ["PageValues", "Month", "Browser"]
    model = parse_model(json.dumps(document))
    assert model.score(features(Browser="1")) == pytest.approx(logistic(-0.2 + 1.5 + 0.25))
    with pytest.raises(ValueError, match="the model uses Browser, which this session does not have"):
        model.score(features(Browser=""))


# ------------------------------------------------------------------------------ the loader


def broken(change: str) -> dict[str, Any]:
    document = copy.deepcopy(tiny_model_document())
    trees = document["trees"]
    match change:
        case "version":
            document["version"] = 2
        case "format":
            document["format"] = "onnx"
        case "unknown feature":
            document["features"] = ["PageValues", "Month", "Colour"]
        case "repeated feature":
            document["features"] = ["PageValues", "Month", "Month"]
        case "feature index":
            trees["feature"][5] = 3
        case "month codes":
            del document["encodings"]["Month"]["Apr"]
        case "stray encoding":
            document["encodings"]["Weekend"] = {"TRUE": 1.0}
        case "lengths":
            trees["value"].append(0.0)
        case "cycle":
            trees["left"][2] = 0
        case "root":
            trees["roots"] = [0, 8]
        case "leaf children":
            trees["left"][1] = 3
        case "threshold":
            document["threshold"] = 1.5
        case "extra key":
            document["colour"] = "blue"
        case "training":
            del document["training"]["rows"]
    return document


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("version", "'version': Input should be 1"),
        ("format", "'format': Input should be 'klantreis.gbt'"),
        ("unknown feature", "'features.2': Input should be"),
        ("repeated feature", "features must not repeat"),
        ("feature index", "trees use feature 3, but only 3 features are listed"),
        ("month codes", "encodings.Month lacks Apr"),
        ("stray encoding", "encodings for columns the model does not use as codes: ['Weekend']"),
        ("lengths", "must be equally long"),
        ("cycle", "node 2: children must be later nodes, got 0 and 4"),
        ("root", "root 8 is not a node"),
        ("leaf children", "node 1: a leaf has left and right -1"),
        ("threshold", "'threshold': Input should be less than or equal to 1"),
        ("extra key", "'colour': Extra inputs are not permitted"),
        ("training", "'training.rows': Field required"),
    ],
)
def test_the_loader_refuses_invalid_models(change: str, message: str) -> None:
    with pytest.raises(ModelError) as caught:
        parse_model(json.dumps(broken(change)), source="site.json")
    assert str(caught.value).startswith("site.json is not a valid propensity model: ")
    assert message in str(caught.value)


def test_the_loader_refuses_non_json_and_non_finite_numbers(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="is not JSON"):
        parse_model("{not json")
    document = json.dumps(tiny_model_document()).replace('"base_score": -0.2', '"base_score": NaN')
    with pytest.raises(ModelError, match="base_score"):
        parse_model(document)
    with pytest.raises(ModelError, match="cannot read model"):
        load_model(tmp_path / "absent.json")


# ------------------------------------------------------------------------ the shipped model


def test_the_default_model_is_compact_and_uses_only_what_a_live_session_has() -> None:
    model = default_model()
    assert propensity.DEFAULT_MODEL_PATH.stat().st_size < 300 * 1024
    assert not set(model.features) & propensity.OPTIONAL_COLUMNS
    assert 0 < model.threshold < 1


def pair_auc(labels: list[bool], scores: list[float]) -> float:
    """ROC-AUC as the share of (buyer, non-buyer) pairs the scores order right, ties half: by
    sorting once and counting non-buyers below each buyer (independent of evaluate.py)."""
    ranked = sorted(zip(scores, labels, strict=True))
    below = right = 0.0
    index = 0
    while index < len(ranked):
        tied = [label for score, label in ranked[index:] if score == ranked[index][0]]
        buyers, others = sum(tied), len(tied) - sum(tied)
        right += buyers * (below + others / 2)
        below += others
        index += len(tied)
    positives = sum(labels)
    return right / (positives * (len(labels) - positives))


def test_the_default_model_ranks_the_training_sessions_by_its_own_scores_alone() -> None:
    # given every labelled session of the training file, and the shipped model's scores of them
    rows = training_rows()
    labels = [r["Revenue"].strip().lower() == "true" for r in rows]
    model = default_model()
    scores = [model.score(from_csv_row(r)) for r in rows]
    # then the file is the one the model says it was trained on
    assert (model.training.rows, model.training.positives) == (len(rows), sum(labels))
    # and its ranking, measured here from the scored rows and not read from its metadata, is
    # good (in-sample: the cross-validated figure of the metadata must not exceed it)
    auc = pair_auc(labels, scores)
    assert auc > 0.9
    assert model.training.cv is not None
    assert model.training.cv.roc_auc.mean <= auc
    # and at its own threshold it finds most buyers without flagging most browsers
    flagged = [s >= model.threshold for s in scores]
    caught = sum(f and y for f, y in zip(flagged, labels, strict=True))
    precision, recall = caught / sum(flagged), caught / sum(labels)
    assert recall > 0.7
    assert precision > 0.6
    # and evaluate.py's figures (the contract's `make evaluate`) agree with these on the same rows
    assert evaluate.roc_auc(labels, scores) == pytest.approx(auc, abs=1e-12)
    assert evaluate.f1_at(labels, scores, model.threshold) == pytest.approx(
        2 * precision * recall / (precision + recall), abs=1e-12
    )


def test_the_default_model_scores_training_rows_into_zero_and_one() -> None:
    sessions = [from_csv_row(r) for r in training_rows(200)]
    scores = [score(s) for s in sessions]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert len(set(scores)) > 20


def test_the_default_model_ranks_a_browser_below_a_likely_buyer() -> None:
    browser = features(PageValues="0", ExitRates="0.2", BounceRates="0.2", ProductRelated="1")
    likely = features(PageValues="60", ExitRates="0.01", BounceRates="0", ProductRelated="25")
    assert score(browser) < default_model().threshold <= score(likely)


def test_the_default_model_scores_months_the_training_file_lacks() -> None:
    for month in ("Jan", "Apr"):
        assert 0.0 <= score(features(Month=month)) <= 1.0


# ------------------------------------------------------------------------- evaluate's metrics


def test_metrics_of_a_perfect_a_reversed_and_a_constant_ranking() -> None:
    labels = [False, False, True, True]
    assert evaluate.roc_auc(labels, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert evaluate.average_precision(labels, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert evaluate.roc_auc(labels, [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert evaluate.roc_auc(labels, [0.5] * 4) == 0.5
    assert evaluate.average_precision(labels, [0.5] * 4) == 0.5
    assert evaluate.f1_at(labels, [0.1, 0.2, 0.8, 0.9], 0.5) == 1.0


def test_metrics_on_a_small_known_case() -> None:
    labels = [True, False, True, False]
    scores = [0.9, 0.8, 0.7, 0.1]
    assert evaluate.roc_auc(labels, scores) == pytest.approx(3 / 4)
    assert evaluate.average_precision(labels, scores) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    assert evaluate.f1_at(labels, scores, 0.75) == pytest.approx(0.5)


def test_metrics_with_ties_match_scikit_learn() -> None:
    # Reference values computed with scikit-learn 1.9.1 (roc_auc_score, average_precision_score,
    # f1_score of score >= 0.6) on these very inputs.
    labels = [True, False, True, True, False, False, True, False, False, False, True, False]
    scores = [0.91, 0.85, 0.85, 0.6, 0.6, 0.6, 0.42, 0.3, 0.3, 0.12, 0.05, 0.05]
    assert evaluate.roc_auc(labels, scores) == pytest.approx(0.6571428571428573, abs=1e-12)
    assert evaluate.average_precision(labels, scores) == pytest.approx(0.6309523809523809, abs=1e-12)
    assert evaluate.f1_at(labels, scores, 0.6) == pytest.approx(0.5454545454545454, abs=1e-12)


def test_metrics_a_single_class_cannot_define_are_none() -> None:
    assert evaluate.roc_auc([True, True], [0.2, 0.4]) is None
    assert evaluate.average_precision([False, False], [0.2, 0.4]) is None
    assert evaluate.f1_at([False, False], [0.2, 0.4], 0.5) is None
    assert evaluate.f1_at([False, False], [0.2, 0.6], 0.5) == 0.0


labelled_scores = st.lists(
    st.tuples(st.booleans(), st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])), min_size=2, max_size=40
).filter(lambda pairs: 0 < sum(label for label, _ in pairs) < len(pairs))


@given(labelled_scores)
def test_roc_auc_is_the_share_of_correctly_ordered_pairs(pairs: list[tuple[bool, float]]) -> None:
    labels = [label for label, _ in pairs]
    scores = [s for _, s in pairs]
    positives = [s for label, s in pairs if label]
    negatives = [s for label, s in pairs if not label]
    ordered = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in positives for n in negatives)
    assert evaluate.roc_auc(labels, scores) == pytest.approx(ordered / (len(positives) * len(negatives)))


@given(labelled_scores)
def test_average_precision_is_the_mean_precision_at_each_buyer(pairs: list[tuple[bool, float]]) -> None:
    labels = [label for label, _ in pairs]
    scores = [s for _, s in pairs]
    # Each buyer contributes the precision at its own score, ties included.
    precisions = [
        sum(label for label, s in pairs if s >= cut) / sum(1 for _, s in pairs if s >= cut)
        for label, cut in pairs
        if label
    ]
    assert evaluate.average_precision(labels, scores) == pytest.approx(sum(precisions) / len(precisions))


# --------------------------------------------------------------------------- make evaluate


def small_csv(path: Path, *, buyers: int = 8, others: int = 24) -> list[dict[str, str]]:
    rows = training_rows()
    chosen = [r for r in rows if r["Revenue"] == "TRUE"][:buyers] + [
        r for r in rows if r["Revenue"] == "FALSE"
    ][:others]
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(chosen)
    return chosen


def run_evaluate(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EVALUATE), *argv], capture_output=True, text=True, check=False, timeout=120
    )


def test_evaluate_prints_the_contract_json_as_its_last_line(tmp_path: Path) -> None:
    # given a small CSV of training rows, both classes
    path = tmp_path / "sessions.csv"
    small_csv(path)

    # when
    done = run_evaluate(str(path))

    # then
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(figures) == {"rows", "roc_auc", "pr_auc", "f1", "threshold"}
    assert figures["rows"] == 32
    assert figures["threshold"] == default_model().threshold
    for name in ("roc_auc", "pr_auc", "f1"):
        assert 0.0 <= figures[name] <= 1.0
    assert figures == evaluate.evaluate(path, default_model())


def test_evaluate_prints_the_models_cross_validation_and_flags_its_training_file(tmp_path: Path) -> None:
    # given the shipped model, which carries its nested cross-validation figures
    cv = default_model().training.cv
    assert cv is not None
    path = tmp_path / "sessions.csv"
    small_csv(path)

    # when it scores another file, and the training file itself
    other = run_evaluate(str(path))
    itself = run_evaluate(str(TRAINING_CSV))

    # then both print the outer folds' figures; only the training file's are called in-sample
    expected = (
        f"ROC-AUC {cv.roc_auc.mean:.4f} ± {cv.roc_auc.sd:.4f}, "
        f"PR-AUC {cv.pr_auc.mean:.4f} ± {cv.pr_auc.sd:.4f}, F1 {cv.f1.mean:.4f} ± {cv.f1.sd:.4f}"
    )
    assert other.returncode == 0, other.stderr
    assert itself.returncode == 0, itself.stderr
    assert expected in other.stdout
    assert expected in itself.stdout
    assert "in-sample" not in other.stdout
    assert "in-sample" in itself.stdout


def test_evaluate_reads_lowercase_booleans_and_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "sessions.csv"
    small_csv(path)
    text = path.read_text().replace("TRUE", "true").replace("FALSE", "false")
    path.write_text("\ufeff" + text)
    done = run_evaluate(str(path))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["rows"] == 32


def test_evaluate_refuses_a_bad_file_with_its_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "sessions.csv"
    small_csv(path)
    lines = path.read_text().splitlines()
    cells = lines[3].split(",")
    cells[8] = ""  # PageValues of the third data row
    lines[3] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")

    done = run_evaluate(str(path))

    assert done.returncode == 2
    assert "line 4: column 'PageValues' is missing a value" in done.stderr
    assert done.stdout == ""


def test_evaluate_refuses_a_missing_file_or_model_with_exit_2(tmp_path: Path) -> None:
    absent = run_evaluate(str(tmp_path / "absent.csv"))
    assert absent.returncode == 2
    assert "cannot read" in absent.stderr

    path = tmp_path / "sessions.csv"
    small_csv(path)
    bad_model = tmp_path / "model.json"
    bad_model.write_text("{}")
    refused = run_evaluate(str(path), "--model", str(bad_model))
    assert refused.returncode == 2
    assert "is not a valid propensity model" in refused.stderr


def test_evaluate_reports_null_for_what_one_class_cannot_define(tmp_path: Path) -> None:
    path = tmp_path / "buyers.csv"
    small_csv(path, buyers=5, others=0)
    done = run_evaluate(str(path))
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.splitlines()[-1])
    assert figures["rows"] == 5
    assert figures["roc_auc"] is None
    assert figures["pr_auc"] == 1.0
