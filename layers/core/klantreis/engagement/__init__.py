"""Engagement: the purchase-propensity model that scores a live session (pure Python, no
training libraries; `make train` builds its JSON, `make evaluate` measures it)."""

from klantreis.engagement.model import (
    DEFAULT_MODEL_PATH,
    ModelError,
    PropensityModel,
    SessionFeatures,
    default_model,
    from_csv_row,
    load_model,
    parse_model,
    score,
)

__all__ = [
    "DEFAULT_MODEL_PATH",
    "ModelError",
    "PropensityModel",
    "SessionFeatures",
    "default_model",
    "from_csv_row",
    "load_model",
    "parse_model",
    "score",
]
