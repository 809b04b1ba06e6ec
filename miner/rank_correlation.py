"""Daily cross-sectional (rank) correlations between two alphas' values, vectorised over days."""

from __future__ import annotations

import numpy as np

from expressions.kernels.cross_section import rank_2d


def mean_row_correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Mean over rows of the Pearson correlation of a[t] and b[t] where both are finite.

    Rows with fewer than 5 common values or no spread are left out; 0.0 when none is left.
    """
    both = np.isfinite(a) & np.isfinite(b)
    count = both.sum(axis=1)
    x, y = np.where(both, a, 0.0), np.where(both, b, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx, my = x.sum(axis=1) / count, y.sum(axis=1) / count
        dx, dy = np.where(both, x - mx[:, None], 0.0), np.where(both, y - my[:, None], 0.0)
        corr = (dx * dy).sum(axis=1) / np.sqrt((dx * dx).sum(axis=1) * (dy * dy).sum(axis=1))
    corr = corr[(count >= 5) & np.isfinite(corr)]
    return float(corr.mean()) if corr.size else 0.0


def mean_rank_correlation(a: np.ndarray, b: np.ndarray, member: np.ndarray) -> float:
    """Mean over days of the Spearman correlation of a[t] and b[t] over members where both are
    defined (ties get their average rank)."""
    common = member & np.isfinite(a) & np.isfinite(b)
    return mean_row_correlation(ranks(np.where(common, a, np.nan)), ranks(np.where(common, b, np.nan)))


def ranks(values: np.ndarray) -> np.ndarray:
    """Per row, tie-averaged ranks of the finite values (NaN elsewhere)."""
    return rank_2d(np.ascontiguousarray(values, dtype=np.float64), False)
