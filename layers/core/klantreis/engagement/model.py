"""The purchase-propensity model as it runs inside a function: session features in the columns of
the UCI online-shoppers data, a compact JSON model of gradient-boosted trees, and a pure-Python
scorer (stdlib and pydantic only; a score takes tens of microseconds).

The JSON format (``format: "klantreis.gbt"``, ``version: 1``):

- ``features``: the UCI column names the trees split on, in feature-index order.
- ``encodings``: for each string column among them (``Month``, ``VisitorType``) the number each
  code stands for; booleans are 0/1 and numbers are used as they are.
- ``base_score``: the raw (log-odds) score before any tree.
- ``trees``: every tree's nodes in flat arrays shared by all trees. ``roots[k]`` is tree k's
  first node. A node ``i`` with ``feature[i] >= 0`` sends a session to ``left[i]`` when its
  value of that feature is ``<= threshold[i]``, else to ``right[i]``; children always come after
  their parent. A leaf has ``feature[i] == -1`` and adds ``value[i]`` (learning rate included)
  to the raw score. The score is the logistic function of the raw score.
- ``threshold``: the fixed decision threshold on the score (a session is predicted to buy when
  its score is at least this).
- ``training``: where the model came from (rows, date, source, learner and its parameters, and
  the cross-validated figures).

See docs/model.md for how each feature is computed for a live session.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

DEFAULT_MODEL_PATH = Path(__file__).with_name("default_model.json")
PRIOR_MODEL_PATH = Path(__file__).with_name("prior_model.json")
MODEL_FORMAT = "klantreis.gbt"
MODEL_VERSION = 1

MONTH_CODES: tuple[str, ...] = (
    "Jan", "Feb", "Mar", "Apr", "May", "June", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip
"""Month codes exactly as the UCI file writes them (note `June`), January first."""
_MONTH_ALIASES = {"Jun": "June"}
VISITOR_TYPES: tuple[str, ...] = ("New_Visitor", "Other", "Returning_Visitor")

MonthCode = Literal["Jan", "Feb", "Mar", "Apr", "May", "June", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
VisitorType = Literal["New_Visitor", "Other", "Returning_Visitor"]
Rate = Annotated[float, Field(ge=0.0, le=1.0)]
Count = Annotated[int, Field(ge=0)]
Seconds = Annotated[float, Field(ge=0.0)]
GaCode = Annotated[int, Field(ge=1)]


class SessionFeatures(BaseModel):
    """One session in the columns of the UCI online-shoppers file (field aliases are the column
    names). The four Google Analytics integer codes are optional: the tracker cannot know GA's
    code tables for a live visitor, and the default model does not use them."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, allow_inf_nan=False, extra="forbid")

    administrative: Count = Field(alias="Administrative")
    administrative_duration: Seconds = Field(alias="Administrative_Duration")
    informational: Count = Field(alias="Informational")
    informational_duration: Seconds = Field(alias="Informational_Duration")
    product_related: Count = Field(alias="ProductRelated")
    product_related_duration: Seconds = Field(alias="ProductRelated_Duration")
    bounce_rates: Rate = Field(alias="BounceRates")
    exit_rates: Rate = Field(alias="ExitRates")
    page_values: float = Field(ge=0.0, alias="PageValues")
    special_day: Rate = Field(alias="SpecialDay")
    month: MonthCode = Field(alias="Month")
    operating_systems: GaCode | None = Field(None, alias="OperatingSystems")
    browser: GaCode | None = Field(None, alias="Browser")
    region: GaCode | None = Field(None, alias="Region")
    traffic_type: GaCode | None = Field(None, alias="TrafficType")
    visitor_type: VisitorType = Field(alias="VisitorType")
    weekend: bool = Field(alias="Weekend")

    @field_validator("month", mode="before")
    @classmethod
    def _month_alias(cls, value: object) -> object:
        return _MONTH_ALIASES.get(value, value) if isinstance(value, str) else value


# Column name -> attribute name, in the file's column order.
FEATURE_COLUMNS: dict[str, str] = {
    str(field.alias): name for name, field in SessionFeatures.model_fields.items() if field.alias
}
ColumnName = Literal[
    "Administrative", "Administrative_Duration", "Informational", "Informational_Duration",
    "ProductRelated", "ProductRelated_Duration", "BounceRates", "ExitRates", "PageValues",
    "SpecialDay", "Month", "OperatingSystems", "Browser", "Region", "TrafficType", "VisitorType",
    "Weekend",
]  # fmt: skip
OPTIONAL_COLUMNS = frozenset({"OperatingSystems", "Browser", "Region", "TrafficType"})
CATEGORICAL_CODES: dict[str, tuple[str, ...]] = {"Month": MONTH_CODES, "VisitorType": VISITOR_TYPES}
"""String columns and every code they can hold; a model using one must encode all of them."""
_INTEGER_COLUMNS = frozenset({"Administrative", "Informational", "ProductRelated", *OPTIONAL_COLUMNS})
_BOOLEAN_COLUMNS = frozenset({"Weekend"})
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


def default_encodings() -> dict[str, dict[str, float]]:
    """Month as its calendar number (so months the training file lacks fall between their
    neighbours) and VisitorType in a fixed order."""
    return {
        "Month": {code: float(number) for number, code in enumerate(MONTH_CODES, start=1)},
        "VisitorType": {code: float(number) for number, code in enumerate(VISITOR_TYPES)},
    }


def parse_csv_bool(raw: str) -> bool:
    """`TRUE`/`FALSE` as the UCI file writes them (also true/false, 1/0, yes/no)."""
    text = raw.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{raw!r} is not TRUE or FALSE")


def _parse_cell(column: str, raw: str | None) -> object:
    text = "" if raw is None else raw.strip()
    if not text:
        if column in OPTIONAL_COLUMNS:
            return None
        raise ValueError(f"column {column!r} is missing a value")
    if column in _BOOLEAN_COLUMNS:
        try:
            return parse_csv_bool(text)
        except ValueError as exc:
            raise ValueError(f"column {column!r}: {exc}") from None
    if column in CATEGORICAL_CODES:
        return text
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"column {column!r}: {raw!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"column {column!r}: {raw!r} is not a finite number")
    if column in _INTEGER_COLUMNS:
        if not number.is_integer():
            raise ValueError(f"column {column!r}: {raw!r} is not a whole number")
        return int(number)
    return number


def from_csv_row(row: Mapping[str, str | None]) -> SessionFeatures:
    """A row of a CSV file in the UCI column format (e.g. from `csv.DictReader`); other columns
    (such as the label `Revenue`) are ignored. Raises ValueError with the column at fault."""
    missing = [column for column in FEATURE_COLUMNS if column not in row]
    if missing:
        raise ValueError(f"missing columns: {', '.join(missing)}")
    values = {column: _parse_cell(column, row[column]) for column in FEATURE_COLUMNS}
    try:
        return SessionFeatures.model_validate(values)
    except ValidationError as exc:
        raise ValueError(_describe(exc, prefix="column ")) from None


class CsvError(ValueError):
    """A CSV file that is not in the UCI column format; the message names the line."""


def read_labelled_csv(
    lines: Iterable[str], label: str = "Revenue"
) -> tuple[list[SessionFeatures], list[bool]]:
    """Sessions and their labels from CSV text in the UCI column format (header first; `lines`
    as from a file opened with `newline=""`). Raises CsvError naming the file line at fault."""
    reader = csv.DictReader(lines)
    sessions: list[SessionFeatures] = []
    labels: list[bool] = []
    try:
        header = reader.fieldnames
        if not header:
            raise CsvError("the file is empty: no header line")
        missing = [column for column in (*FEATURE_COLUMNS, label) if column not in header]
        if missing:
            raise CsvError(f"line 1: the header lacks the columns {', '.join(missing)}")
        for row in reader:
            if None in row:
                raise CsvError(f"line {reader.line_num}: more fields than the header has columns")
            try:
                sessions.append(from_csv_row(row))
                labels.append(_parse_label(label, row[label]))
            except ValueError as exc:
                raise CsvError(f"line {reader.line_num}: {exc}") from None
    except csv.Error as exc:
        raise CsvError(f"line {reader.line_num}: unreadable CSV: {exc}") from None
    if not sessions:
        raise CsvError("the file has a header but no data rows")
    return sessions, labels


def _parse_label(column: str, raw: str | None) -> bool:
    if raw is None or not raw.strip():
        raise ValueError(f"column {column!r} is missing a value")
    try:
        return parse_csv_bool(raw)
    except ValueError as exc:
        raise ValueError(f"column {column!r}: {exc}") from None


def _describe(error: ValidationError, prefix: str = "") -> str:
    parts = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"])
        if where:
            parts.append(f"{prefix}{where!r}: {item['msg']} (got {item.get('input')!r})")
        else:
            parts.append(item["msg"])
    return "; ".join(parts)


def column_reader(
    column: str, encodings: Mapping[str, Mapping[str, float]]
) -> Callable[[SessionFeatures], float]:
    """How a model reads one column of a session as a number: a string column through its
    encoding, a boolean as 0/1, a number as it is."""
    attribute = FEATURE_COLUMNS[column]
    codes = encodings.get(column)
    if codes is not None:

        def encoded(features: SessionFeatures) -> float:
            return codes[getattr(features, attribute)]

        return encoded

    def number(features: SessionFeatures) -> float:
        value = getattr(features, attribute)
        if value is None:
            raise ValueError(f"the model uses {column}, which this session does not have")
        return float(value)

    return number


class ModelError(ValueError):
    """A model file that cannot be used: unreadable, not JSON, or not a valid model."""


class Trees(BaseModel):
    """All trees' nodes in flat arrays (see the module docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    roots: list[int] = Field(min_length=1)
    feature: list[int]
    threshold: list[float]
    left: list[int]
    right: list[int]
    value: list[float]

    @model_validator(mode="after")
    def _well_formed(self) -> Self:
        size = len(self.feature)
        if not size or any(len(a) != size for a in (self.threshold, self.left, self.right, self.value)):
            raise ValueError("feature, threshold, left, right and value must be equally long, not empty")
        for root in self.roots:
            if not 0 <= root < size:
                raise ValueError(f"root {root} is not a node (there are {size})")
        for node, (feature, left, right) in enumerate(zip(self.feature, self.left, self.right, strict=True)):
            if feature < -1:
                raise ValueError(f"node {node}: feature {feature} is neither -1 (a leaf) nor an index")
            if feature == -1:
                if left != -1 or right != -1:
                    raise ValueError(f"node {node}: a leaf has left and right -1")
            elif not (node < left < size and node < right < size):
                # Children after their parent: every walk down a tree ends.
                raise ValueError(f"node {node}: children must be later nodes, got {left} and {right}")
        return self


class CvFigure(BaseModel):
    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    mean: float
    sd: float


class CvFigures(BaseModel):
    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    protocol: str
    roc_auc: CvFigure
    pr_auc: CvFigure
    f1: CvFigure


class TrainingInfo(BaseModel):
    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    rows: int = Field(ge=1)
    positives: int = Field(ge=0)
    trained_on: date
    source: str
    source_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    learner: str
    params: dict[str, JsonValue] = Field(default_factory=dict)
    cv: CvFigures | None = None


class PropensityModel(BaseModel):
    """A validated model. Build it with `load_model` or `parse_model`; score with `score`."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    format: Literal["klantreis.gbt"]
    version: Literal[1]
    features: list[ColumnName] = Field(min_length=1)
    encodings: dict[str, dict[str, float]] = Field(default_factory=dict)
    base_score: float
    threshold: float = Field(ge=0.0, le=1.0)
    trees: Trees
    training: TrainingInfo

    _inputs: tuple[Callable[[SessionFeatures], float], ...] = PrivateAttr(default=())
    _arrays: tuple[tuple[int, ...], tuple[int, ...], tuple[float, ...], tuple[int, ...], tuple[int, ...]] = (
        PrivateAttr(default=((), (), (), (), ()))
    )
    _values: tuple[float, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.features)) != len(self.features):
            raise ValueError("features must not repeat")
        for name, codes in CATEGORICAL_CODES.items():
            if name in self.features:
                absent = [code for code in codes if code not in self.encodings.get(name, {})]
                if absent:
                    raise ValueError(f"encodings.{name} lacks {', '.join(absent)}")
        stray = set(self.encodings) - (set(CATEGORICAL_CODES) & set(self.features))
        if stray:
            raise ValueError(f"encodings for columns the model does not use as codes: {sorted(stray)}")
        if any(not math.isfinite(v) for codes in self.encodings.values() for v in codes.values()):
            raise ValueError("encodings must be finite numbers")
        used = max(self.trees.feature)
        if used >= len(self.features):
            raise ValueError(f"trees use feature {used}, but only {len(self.features)} features are listed")
        return self

    def model_post_init(self, context: Any, /) -> None:
        self._inputs = tuple(column_reader(name, self.encodings) for name in self.features)
        trees = self.trees
        self._arrays = (
            tuple(trees.roots),
            tuple(trees.feature),
            tuple(trees.threshold),
            tuple(trees.left),
            tuple(trees.right),
        )
        self._values = tuple(trees.value)

    @property
    def tree_count(self) -> int:
        return len(self.trees.roots)

    @property
    def node_count(self) -> int:
        return len(self.trees.feature)

    def vector(self, features: SessionFeatures) -> list[float]:
        """The session as the trees see it: one number per entry of `features`."""
        return [read(features) for read in self._inputs]

    def raw_score(self, x: Sequence[float]) -> float:
        roots, feature, threshold, left, right = self._arrays
        value = self._values
        total = self.base_score
        for root in roots:
            node = root
            split = feature[node]
            while split >= 0:
                node = left[node] if x[split] <= threshold[node] else right[node]
                split = feature[node]
            total += value[node]
        return total

    def score(self, features: SessionFeatures) -> float:
        """Purchase propensity in [0, 1]."""
        return _logistic(self.raw_score(self.vector(features)))

    def predict(self, features: SessionFeatures) -> bool:
        return self.score(features) >= self.threshold


def _logistic(raw: float) -> float:
    if raw >= 0:
        return 1.0 / (1.0 + math.exp(-raw))
    odds = math.exp(raw)
    return odds / (1.0 + odds)


def parse_model(text: str | bytes, source: str = "model") -> PropensityModel:
    """Validates a model from its JSON text; ModelError names what is wrong."""
    try:
        document = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelError(f"{source} is not JSON: {exc}") from None
    try:
        return PropensityModel.model_validate(document)
    except ValidationError as exc:
        raise ModelError(f"{source} is not a valid propensity model: {_describe(exc)}") from None


def load_model(path: str | Path) -> PropensityModel:
    try:
        text = Path(path).read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read model {path}: {exc.strerror or exc}") from None
    return parse_model(text, source=str(path))


@cache
def default_model() -> PropensityModel:
    """The model trained on the shipped UCI training file, read on first use."""
    return load_model(DEFAULT_MODEL_PATH)


@cache
def prior_model() -> PropensityModel:
    """The same learner trained on the same file without the page statistics (BounceRates,
    ExitRates, PageValues): what the training population says of a session on a site without
    history (docs/model.md), read on first use."""
    return load_model(PRIOR_MODEL_PATH)


def score(features: SessionFeatures, model: PropensityModel | None = None) -> float:
    """Purchase propensity of a session in [0, 1], by `model` or else the default model."""
    return (model or default_model()).score(features)
