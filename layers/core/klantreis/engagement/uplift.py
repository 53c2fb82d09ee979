"""Offers by expected gain: an uplift model learned from a site's holdout, and the policy that
uses it (pure Python: no NumPy in the Lambda).

The holdout gives, per site, rule-eligible visitors who were offered a chat and others, chosen at
random, who were not. A two-model (T-learner) estimate of what a chat changes: one L2-regularised
logistic model of conversion per arm, on the same inputs: either every score (purchase intent,
abandonment risk, cart value, stage, idle time) or curves of intent and idle time alone, whichever
predicts the site's own held-out sessions better (`FEATURE_SETS`, cross-validated). The estimated
uplift of a visitor is P(buy | offered) - P(buy | not); the expected gain of an offer is uplift x
cart value minus the cost of the agent's minutes.

The policy (`choose`): without a site model trained on enough outcomes in both arms, the rules
and scores decide as before (`rules`). With one (`gain`), a rule-eligible visitor is offered a
chat only when the expected gain is positive and at least the bar the agents' capacity sets
(`Capacity`, `bar`): with k offers the free slots can still take and n eligible visitors expected
before a slot frees, the bar is what keeping the k-th offer for those n visitors is expected to
earn (`keep_value`, over the training population's gains). That is ranking by expected gain done
online: few free offers and many visitors to come raise the bar, offers left free as the window
closes lower it to 0. A model without the site's arrival rate (trained before it was recorded)
falls back to the bar of the load: the gain quantile at the share of slots in use.

The model is a small JSON document (`format: "klantreis.uplift"`) stored per site (SITE#{site}/
UPLIFT_MODEL); `infra/scripts/site_uplift.py` trains and stores it. See docs/model.md.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import json
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from klantreis.cache import TtlCache
from klantreis.engagement.ports import UpliftModelStore
from klantreis.engagement.records import Policy

UPLIFT_FORMAT = "klantreis.uplift"
FEATURES: dict[str, Callable[[UpliftInputs], float]] = {
    "purchase_intent": lambda i: i.purchase_intent,
    "abandonment_risk": lambda i: i.abandonment_risk,
    "log_cart_value": lambda i: math.log1p(max(i.cart_value, 0.0)),
    "checkout": lambda i: 1.0 if i.stage == "checkout" else 0.0,
    "idle_minutes": lambda i: i.idle_minutes,
    "intent_x_risk": lambda i: i.purchase_intent * i.abandonment_risk,
    "intent_squared": lambda i: i.purchase_intent**2,
    "intent_cubed": lambda i: i.purchase_intent**3,
    "idle_squared": lambda i: i.idle_minutes**2,
    "intent_x_idle": lambda i: i.purchase_intent * i.idle_minutes,
}
"""What a model may be fitted on, by name (a model names its own inputs)."""
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "scores": (
        "purchase_intent", "abandonment_risk", "log_cart_value", "checkout", "idle_minutes",
        "intent_x_risk", "intent_squared",
    ),
    "shape": (
        "purchase_intent", "intent_squared", "intent_cubed", "idle_minutes", "idle_squared",
        "intent_x_idle",
    ),
}  # fmt: skip
"""The candidate inputs `fit_uplift` chooses from by cross-validation on the site's own holdout:
`scores` (every input, as first shipped) or `shape` (curves of intent and idle time and their
interaction only: fewer weights to learn from a thin holdout)."""
INPUTS = FEATURE_SETS["scores"]
CV_FOLDS = 3
MIN_SESSIONS_PER_ARM = 2000
MIN_CONVERSIONS_PER_ARM = 100
"""Below these a site's holdout says too little about who a chat moves: the rules decide. In
bench/offer_sim.py a model from about 850 holdout sessions ranked offers worse than the scores
did, one from about 2,500 better (docs/model.md)."""
GAIN_QUANTILES = 101
"""The training population's gains at 0%, 1%, ... 100%: the bars for the agents' capacity (models
stored before 2026-12-04 hold 21, at 0%, 5%, ... 100%; both read alike)."""
MAX_IDLE_MINUTES = 10.0
MAX_FREE_OFFERS = 20
"""The online bar weighs at most this many free offers (more: the bar is about 0 anyway)."""
BAR_STEPS = 60


class UpliftError(ValueError):
    """An uplift model that cannot be used, or training data too thin to learn one from."""


@dataclass(frozen=True)
class UpliftInputs:
    """What the uplift model sees of a rule-eligible visitor at the moment of the decision."""

    purchase_intent: float
    abandonment_risk: float
    cart_value: float
    stage: str
    idle_seconds: int

    @property
    def idle_minutes(self) -> float:
        return min(max(self.idle_seconds, 0) / 60.0, MAX_IDLE_MINUTES)

    def vector(self, names: Sequence[str] = INPUTS) -> list[float]:
        return [FEATURES[name](self) for name in names]


@dataclass(frozen=True)
class UpliftExample:
    """One first-in-session offer (`offered`) or holdout "would have offered", and whether the
    session then bought."""

    inputs: UpliftInputs
    offered: bool
    converted: bool


class Arm(BaseModel):
    """A logistic model of conversion on the standardised inputs."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    bias: float
    weights: list[float] = Field(min_length=1, max_length=len(FEATURES))

    def probability(self, standardised: Sequence[float]) -> float:
        return _logistic(self.bias + sum(w * x for w, x in zip(self.weights, standardised, strict=True)))


class UpliftTraining(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    offered_sessions: int = Field(ge=0)
    offered_conversions: int = Field(ge=0)
    holdout_sessions: int = Field(ge=0)
    holdout_conversions: int = Field(ge=0)
    trained_on: date
    l2: float = Field(ge=0.0)
    feature_set: str | None = None
    """The candidate inputs chosen (FEATURE_SETS); None for models fitted before the choice."""
    cv_log_loss: dict[str, float] = {}
    """Each candidate's mean log loss per session on held-out folds of the site's holdout."""

    @property
    def enough(self) -> bool:
        """Both arms have the outcomes a per-site model needs (`MIN_*_PER_ARM`)."""
        return (
            min(self.offered_sessions, self.holdout_sessions) >= MIN_SESSIONS_PER_ARM
            and min(self.offered_conversions, self.holdout_conversions) >= MIN_CONVERSIONS_PER_ARM
        )


class UpliftModel(BaseModel):
    """A validated uplift model (T-learner: one logistic model per arm)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    format: Literal["klantreis.uplift"]
    version: Literal[1]
    model_version: str = Field(min_length=1, max_length=80)
    """Names this fit in every decision it makes (`uplift-{day}-{hash of the weights}`)."""
    inputs: list[str]
    means: list[float]
    scales: list[float]
    offered: Arm
    holdout: Arm
    offer_cost: float = Field(0.0, ge=0.0)
    """What an offer costs in agent time, in the site's currency (agent minutes per offer x cost
    of a minute); subtracted from every expected gain."""
    gain_quantiles: list[float] = Field(min_length=2, max_length=GAIN_QUANTILES)
    training: UpliftTraining
    eligible_per_hour: float | None = Field(None, gt=0.0)
    """Rule-eligible visitors (first decision of a session) per hour with any, over the training
    period: the arrivals the online bar expects. None: the bar of the load."""
    acceptance: float | None = Field(None, gt=0.0, le=1.0)
    """Share of answered offers accepted over the training period: an offer declined leaves its
    slot free, so k free slots take about k / acceptance offers. None: 1."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        unknown = [name for name in self.inputs if name not in FEATURES]
        if unknown or not self.inputs:
            raise ValueError(f"inputs must be some of {list(FEATURES)}")
        width = len(self.inputs)
        if len(self.means) != width or len(self.scales) != width:
            raise ValueError("means and scales need one value per input")
        if len(self.offered.weights) != width or len(self.holdout.weights) != width:
            raise ValueError("each arm needs one weight per input")
        if any(scale <= 0 for scale in self.scales):
            raise ValueError("scales must be positive")
        if any(b < a for a, b in zip(self.gain_quantiles, self.gain_quantiles[1:], strict=False)):
            raise ValueError("gain_quantiles must not decrease")
        return self

    def _standardised(self, inputs: UpliftInputs) -> list[float]:
        vector = inputs.vector(self.inputs)
        return [(x - m) / s for x, m, s in zip(vector, self.means, self.scales, strict=True)]

    def uplift(self, inputs: UpliftInputs) -> float:
        """P(buy | offered) - P(buy | not offered), -1..1."""
        x = self._standardised(inputs)
        return self.offered.probability(x) - self.holdout.probability(x)

    def expected_gain(self, inputs: UpliftInputs, uplift: float | None = None) -> float:
        lift = self.uplift(inputs) if uplift is None else uplift
        return lift * max(inputs.cart_value, 0.0) - self.offer_cost

    def gain_quantile(self, share: float) -> float:
        """The training population's gain at quantile `share` (0..1), interpolated."""
        last = len(self.gain_quantiles) - 1
        position = min(max(share, 0.0), 1.0) * last
        low = int(position)
        if low >= last:
            return self.gain_quantiles[-1]
        between = position - low
        return self.gain_quantiles[low] * (1 - between) + self.gain_quantiles[low + 1] * between


def parse_uplift_model(text: bytes | str, source: str = "uplift model") -> UpliftModel:
    try:
        return UpliftModel.model_validate_json(text)
    except ValidationError as exc:
        raise UpliftError(
            f"{source} is not a valid uplift model: {exc.error_count()} problem(s): {exc}"
        ) from None


@dataclass(frozen=True)
class Verdict:
    """What the offer policy said about one rule-eligible visitor."""

    policy: Policy
    offer: bool
    model_version: str | None = None
    estimated_uplift: float | None = None
    expected_gain: float | None = None
    min_gain: float | None = None


RULES = Verdict(policy="rules", offer=True)


@dataclass(frozen=True)
class Capacity:
    """What the agents can still take, as the online bar sees it."""

    free_offers: float
    """Offers the free slots can take before a slot frees (free slots / acceptance)."""
    expected_arrivals: float | None
    """Eligible visitors expected before a slot frees; None when the site's rate is unknown."""
    load: float = 1.0
    """Share of the slots in use (0..1): the bar of a model without the site's arrival rate."""


def capacity_window(model: UpliftModel, *, slots: int, busy: int, mean_handle_seconds: float) -> Capacity:
    """The capacity of `slots` agent slots of which `busy` are in use or claimed by the queue:
    k = free slots / acceptance offers for n = the eligible visitors expected (the model's rate)
    before a busy slot frees (mean handle time / busy chats; one handle time with none busy)."""
    if slots <= 0:
        return Capacity(free_offers=0.0, expected_arrivals=None, load=1.0)
    free = max(slots - busy, 0)
    load = min(busy / slots, 1.0)
    if model.eligible_per_hour is None:
        return Capacity(free_offers=float(free), expected_arrivals=None, load=load)
    window_seconds = max(mean_handle_seconds, 1.0) / max(busy, 1)
    return Capacity(
        free_offers=free / (model.acceptance or 1.0),
        expected_arrivals=model.eligible_per_hour * window_seconds / 3600.0,
        load=load,
    )


def bar(model: UpliftModel, capacity: Capacity) -> float:
    """The gain an offer must bring: what keeping one of the k free offers for the n eligible
    visitors still expected is worth (`keep_value`); without a rate, the quantile at the load."""
    if capacity.expected_arrivals is None:
        return max(model.gain_quantile(capacity.load), 0.0)
    if capacity.free_offers <= 0:
        return max(model.gain_quantiles[-1], 0.0)
    return keep_value(model.gain_quantiles, capacity.free_offers, capacity.expected_arrivals)


@functools.lru_cache(maxsize=32)
def _gain_sums(gains: tuple[float, ...]) -> tuple[list[float], list[float]]:
    """The gains sorted (negatives as 0) and the sums from each index on: a model's, computed once
    rather than on every decision."""
    ordered = sorted(max(g, 0.0) for g in gains)
    above = [0.0] * (len(ordered) + 1)
    for i in range(len(ordered) - 1, -1, -1):
        above[i] = above[i + 1] + ordered[i]
    return ordered, above


def keep_value(gains: Sequence[float], free_offers: float, expected_arrivals: float) -> float:
    """V(k, n) - V(k - 1, n): what the k-th free offer is expected to earn if kept for the n
    visitors still to come, their gains drawn from `gains` (the training population's quantiles,
    an equally weighted sample). V(j, n) is the expected gain of the best policy with j offers
    for Poisson(n) arrivals; a visitor arriving in dn is offered when its gain beats V(j) - V(j-1),
    so dV(j)/dn = E[(G - (V(j) - V(j - 1)))+] (solved in BAR_STEPS Euler steps). Offering only
    above this bar takes the best of what comes and leaves no offer unused at the window's end:
    0 when offers outnumber the expected visitors by far."""
    free = min(max(round(free_offers), 1), MAX_FREE_OFFERS)
    if expected_arrivals <= 0:
        return 0.0
    ordered, above = _gain_sums(tuple(gains))

    def excess(threshold: float) -> float:  # E[(G - threshold)+]
        start = bisect.bisect_right(ordered, threshold)
        return (above[start] - threshold * (len(ordered) - start)) / len(ordered)

    step = expected_arrivals / BAR_STEPS
    values = [0.0] * (free + 1)
    for _ in range(BAR_STEPS):
        values = [0.0, *(values[j] + step * excess(values[j] - values[j - 1]) for j in range(1, free + 1))]
    return values[free] - values[free - 1]


def choose(model: UpliftModel | None, inputs: UpliftInputs, capacity: Capacity) -> Verdict:
    """The rules' verdict (offer) without a model trained on enough outcomes; else the gain
    policy's: offer when the expected gain is positive and at least the bar for the capacity."""
    if model is None or not model.training.enough:
        return RULES
    lift = model.uplift(inputs)
    gain = model.expected_gain(inputs, lift)
    threshold = bar(model, capacity)
    return Verdict(
        policy="gain",
        offer=gain > 0.0 and gain >= threshold,
        model_version=model.model_version,
        estimated_uplift=round(lift, 4),
        expected_gain=round(gain, 2),
        min_gain=round(threshold, 2),
    )


# ------------------------------------------------------------------------------- training
def _logistic(raw: float) -> float:
    if raw >= 0:
        return 1.0 / (1.0 + math.exp(-raw))
    odds = math.exp(raw)
    return odds / (1.0 + odds)


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the Newton step of a small system)."""
    size = len(vector)
    rows = [[*matrix[i], vector[i]] for i in range(size)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        head = rows[col][col]
        if abs(head) < 1e-12:
            raise UpliftError("the training inputs are degenerate (a singular system)")
        for r in range(col + 1, size):
            factor = rows[r][col] / head
            if factor:
                for c in range(col, size + 1):
                    rows[r][c] -= factor * rows[col][c]
    solution = [0.0] * size
    for r in range(size - 1, -1, -1):
        total = rows[r][size] - sum(rows[r][c] * solution[c] for c in range(r + 1, size))
        solution[r] = total / rows[r][r]
    return solution


def fit_logistic(xs: Sequence[Sequence[float]], ys: Sequence[bool], l2: float, iterations: int = 25) -> Arm:
    """Newton's method (IRLS) for an L2-penalised logistic regression; the bias is not penalised."""
    width = len(xs[0]) + 1
    beta = [0.0] * width
    for _ in range(iterations):
        gradient = [0.0] * width
        hessian = [[0.0] * width for _ in range(width)]
        for x, y in zip(xs, ys, strict=True):
            row = (1.0, *x)
            p = _logistic(sum(b * v for b, v in zip(beta, row, strict=True)))
            residual = (1.0 if y else 0.0) - p
            weight = max(p * (1.0 - p), 1e-9)
            for i in range(width):
                gradient[i] += residual * row[i]
                weighted = weight * row[i]
                hess_row = hessian[i]
                for j in range(i + 1):
                    hess_row[j] += weighted * row[j]
        for i in range(width):
            for j in range(i):
                hessian[j][i] = hessian[i][j]
        for i in range(1, width):
            gradient[i] -= l2 * beta[i]
            hessian[i][i] += l2
        step = _solve(hessian, gradient)
        beta = [b + s for b, s in zip(beta, step, strict=True)]
        if max(abs(s) for s in step) < 1e-7:
            break
    return Arm(bias=beta[0], weights=beta[1:])


@dataclass(frozen=True)
class _Arms:
    means: list[float]
    scales: list[float]
    offered: Arm
    holdout: Arm

    def probability(self, example: UpliftExample, names: Sequence[str]) -> float:
        vector = example.inputs.vector(names)
        x = [(v - m) / s for v, m, s in zip(vector, self.means, self.scales, strict=True)]
        return (self.offered if example.offered else self.holdout).probability(x)


def _fit_arms(rows: Sequence[UpliftExample], names: Sequence[str], l2: float) -> _Arms:
    """One logistic model per arm on the inputs `names`, standardised over both arms."""
    vectors = [e.inputs.vector(names) for e in rows]
    count, width = len(vectors), len(names)
    means = [sum(v[i] for v in vectors) / count for i in range(width)]
    scales = [math.sqrt(sum((v[i] - means[i]) ** 2 for v in vectors) / count) or 1.0 for i in range(width)]
    standardised = [[(x - m) / s for x, m, s in zip(v, means, scales, strict=True)] for v in vectors]
    arms = {}
    for offered in (True, False):
        picked = [i for i, e in enumerate(rows) if e.offered is offered]
        arms[offered] = fit_logistic(
            [standardised[i] for i in picked], [rows[i].converted for i in picked], l2
        )
    return _Arms(means, scales, arms[True], arms[False])


def cross_validated_log_loss(rows: Sequence[UpliftExample], names: Sequence[str], l2: float) -> float:
    """Mean log loss per session of the per-arm models on `names`, each fold predicted by a fit on
    the others (folds by position, CV_FOLDS of them)."""
    total = 0.0
    for fold in range(CV_FOLDS):
        train = [e for n, e in enumerate(rows) if n % CV_FOLDS != fold]
        fitted = _fit_arms(train, names, l2)
        for example in rows[fold::CV_FOLDS]:
            p = min(max(fitted.probability(example, names), 1e-9), 1.0 - 1e-9)
            total -= math.log(p if example.converted else 1.0 - p)
    return total / len(rows)


def quantiles(values: Sequence[float], count: int) -> list[float]:
    ordered = sorted(values)
    last = len(ordered) - 1
    found = []
    for k in range(count):
        position = last * k / (count - 1)
        low = int(position)
        high = min(low + 1, last)
        share = position - low
        found.append(ordered[low] * (1 - share) + ordered[high] * share)
    return found


def fit_uplift(
    examples: Iterable[UpliftExample],
    *,
    offer_cost: float = 0.0,
    l2: float = 1.0,
    trained_on: date | None = None,
    require_enough: bool = True,
    eligible_per_hour: float | None = None,
    acceptance: float | None = None,
    feature_set: str | None = None,
) -> UpliftModel:
    """The T-learner on a site's holdout outcomes. UpliftError when an arm is empty, or (with
    `require_enough`) has fewer than MIN_SESSIONS_PER_ARM sessions or MIN_CONVERSIONS_PER_ARM
    conversions. `eligible_per_hour` and `acceptance` (the site's arrival rate and offer
    acceptance over the same period) set the online bar (`capacity_window`). The inputs are
    `feature_set` (FEATURE_SETS), or without it the candidate with the least log loss on held-out
    folds of these same examples (CV_FOLDS, both arms): chosen by the site's own data alone."""
    rows = list(examples)
    offered = [e for e in rows if e.offered]
    held = [e for e in rows if not e.offered]
    training = UpliftTraining(
        offered_sessions=len(offered),
        offered_conversions=sum(e.converted for e in offered),
        holdout_sessions=len(held),
        holdout_conversions=sum(e.converted for e in held),
        trained_on=trained_on or datetime.now(UTC).date(),
        l2=l2,
    )
    if not offered or not held:
        raise UpliftError("both arms need outcomes: offered sessions and holdout sessions")
    if require_enough and not training.enough:
        raise UpliftError(
            f"not enough holdout outcomes: {training.offered_sessions} offered sessions "
            f"({training.offered_conversions} bought), {training.holdout_sessions} in the holdout "
            f"({training.holdout_conversions} bought); each arm needs {MIN_SESSIONS_PER_ARM} sessions "
            f"and {MIN_CONVERSIONS_PER_ARM} purchases"
        )
    if feature_set is None:
        losses = {name: cross_validated_log_loss(rows, FEATURE_SETS[name], l2) for name in FEATURE_SETS}
        feature_set = min(losses, key=lambda name: losses[name])
        training = training.model_copy(update={"cv_log_loss": {k: round(v, 6) for k, v in losses.items()}})
    elif feature_set not in FEATURE_SETS:
        raise UpliftError(f"feature_set must be one of {sorted(FEATURE_SETS)}")
    names = FEATURE_SETS[feature_set]
    training = training.model_copy(update={"feature_set": feature_set})
    fitted = _fit_arms(rows, names, l2)
    draft = {
        "format": UPLIFT_FORMAT,
        "version": 1,
        "inputs": list(names),
        "means": fitted.means,
        "scales": fitted.scales,
        "offered": fitted.offered.model_dump(),
        "holdout": fitted.holdout.model_dump(),
        "offer_cost": offer_cost,
        "training": training.model_dump(mode="json"),
        "eligible_per_hour": eligible_per_hour,
        "acceptance": acceptance,
    }
    digest = hashlib.sha256(json.dumps(draft, sort_keys=True).encode()).hexdigest()[:10]
    provisional = UpliftModel.model_validate(
        {**draft, "model_version": "provisional", "gain_quantiles": [0.0] * GAIN_QUANTILES}
    )
    gains = [provisional.expected_gain(e.inputs) for e in rows]
    return provisional.model_copy(
        update={
            "model_version": f"uplift-{training.trained_on.isoformat()}-{digest}",
            "gain_quantiles": quantiles(gains, GAIN_QUANTILES),
        }
    )


class SiteUpliftModels:
    """UpliftSource: the site's stored uplift model (None: the rules decide), cached per site."""

    def __init__(
        self,
        store: UpliftModelStore,
        ttl_seconds: float = 300.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._cached: TtlCache[UpliftModel | None] = TtlCache(ttl_seconds, clock=clock)

    def for_site(self, site_id: str) -> UpliftModel | None:
        return self._cached.get(site_id, self._store.get)
