"""Per-day cross-sectional standardisation of a feature before a model sees it.

Models are fitted on many days at once; a raw feature's level drifts over time (prices, volumes,
volatility regimes), so each day's cross-section is mapped to a comparable scale first:

- ``rank``: the day's percentile rank among the universe members, centred: -0.5 .. 0.5 (ties
  averaged). Robust to outliers and bad ticks; the default.
- ``zscore``: (x - day mean) / day std, clipped to +-5.
- ``none``: the raw values.

A missing value (NaN, or outside the universe) becomes 0 after ``rank`` / ``zscore``: the
day's neutral value, so that every model (ridge included) can use the row.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from pipelines.pool.errors import PoolError

STANDARDIZERS = ("rank", "zscore", "none")
ZSCORE_CLIP = 5.0


def standardize(values: np.ndarray, universe: np.ndarray, how: str = "rank") -> np.ndarray:
    """Standardise each row (day) of ``values`` [T, N] over the universe members.

    Parameters
    ----------
    values : float [T, N] raw feature values.
    universe : bool [T, N] membership; values outside it are treated as missing.
    how : ``rank``, ``zscore`` or ``none`` (see the module docstring).

    Returns
    -------
    float64 [T, N]; missing values are 0 (``rank``/``zscore``) or NaN (``none``).
    """
    if how not in STANDARDIZERS:
        raise PoolError(f"unknown standardisation {how!r}; choose one of {', '.join(STANDARDIZERS)}")
    masked = np.where(universe & np.isfinite(values), values, np.nan).astype(np.float64)
    if how == "none":
        return masked
    if how == "rank":
        scaled = _centred_rank(masked)
    else:
        scaled = _clipped_zscore(masked)
    return np.where(np.isfinite(scaled), scaled, 0.0)


def _centred_rank(masked: np.ndarray) -> np.ndarray:
    ranks = rankdata(masked, axis=1, nan_policy="omit")
    counts = np.isfinite(masked).sum(axis=1, keepdims=True).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        centred = (ranks - 1.0) / (counts - 1.0) - 0.5
    return np.where(counts > 1, centred, 0.0)


def _clipped_zscore(masked: np.ndarray) -> np.ndarray:
    present = np.isfinite(masked)
    counts = present.sum(axis=1, keepdims=True)
    filled = np.where(present, masked, 0.0)
    mean = filled.sum(axis=1, keepdims=True) / np.maximum(counts, 1)
    variance = (np.where(present, masked - mean, 0.0) ** 2).sum(axis=1, keepdims=True) / np.maximum(counts, 1)
    std = np.sqrt(variance)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (masked - mean) / std
    return np.clip(np.where(std > 0, z, 0.0), -ZSCORE_CLIP, ZSCORE_CLIP)
