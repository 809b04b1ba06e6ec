"""Operator declarations: cross-sectional (one day across the universe, category "cross_sectional").

All are ``pasteurize=True``: the evaluator masks Series arguments to the universe (NaN outside)
before the call, so NaN here means "not a member today" and every statistic is over the
non-NaN values of the day. Operators with a keyword-only ``member`` (not a language parameter)
take the universe mask there instead, which gives the same values without the masked copy. NaN inputs stay NaN. Standard deviations are population (ddof=0).

Decisions (BRAIN is vague on these; tested in tests/expressions/test_kernels_cross_section.py):
- rank: (average rank - 1) / (count - 1), so the smallest is 0 and the largest 1, ties share
  their average; a day with a single member gives 0.5.
- zscore / normalize(useStd=1): NaN for a day whose values are all equal (std 0).
- scale: NaN for a day whose values are all 0.
- quantile: p = (average rank - 0.5) / count, then gaussian: sigma * Phi^-1(p),
  uniform: sigma * (2p - 1), cauchy: sigma * tan(pi (p - 0.5)).
- truncate: one pass, each value clipped to +- maxPercent * sum(|x|) of its day.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from expressions.errors import ExpressionTypeError
from expressions.kernels import cross_section as kernels
from expressions.reference import cross_section as reference
from expressions.registry import Param, operator
from expressions.types import Scalar, Series, Text

_CS = {"returns": Series, "category": "cross_sectional", "pasteurize": True}


def as_panel(x) -> np.ndarray:
    """A C-contiguous float64 [T, N] view of x (no copy when it already is one)."""
    return np.ascontiguousarray(np.atleast_2d(np.asarray(x, dtype=np.float64)))


@operator(args=(Series,), **_CS, reference=reference.rank, cost=4.0,
          nan_rule="NaN stays NaN; ranks among the day's non-NaN values")
def rank(x, *, member=None):
    """Rank across the day's instruments, uniform in [0, 1], ties averaged (one member: 0.5)."""
    x = as_panel(x)
    return kernels.rank_2d(x, False, member)


@operator(args=(Series,), **_CS, reference=reference.zscore, cost=2.0,
          nan_rule="NaN stays NaN; a day with std 0 is all NaN")
def zscore(x, *, member=None):
    """(x - mean) / std across the day's instruments (population std)."""
    return kernels.zscore_2d(as_panel(x), member)


@operator(args=(Series,), params=(Param("scale", Scalar, 1.0),), **_CS,
          reference=reference.scale, nan_rule="NaN stays NaN; a day with sum|x| = 0 is all NaN")
def scale(x, scale=1.0):
    """x rescaled so that the day's sum of |x| equals `scale` (Alpha101's scale(x, a))."""
    return kernels.scale_2d(as_panel(x), float(scale))


@operator(args=(Series,), params=(Param("useStd", Scalar, 0.0), Param("limit", Scalar, 0.0)),
          **_CS, reference=reference.normalize, cost=2.0)
def normalize(x, useStd=0.0, limit=0.0):  # noqa: N803 - BRAIN's keyword names
    """x minus the day's mean; divided by the std when useStd is non-zero; clipped to +-limit if > 0."""
    return kernels.normalize_2d(as_panel(x), bool(useStd), float(limit))


_DRIVERS = ("gaussian", "uniform", "cauchy")


@operator(args=(Series,), params=(Param("driver", Text, "gaussian"), Param("sigma", Scalar, 1.0)),
          **_CS, reference=reference.quantile, cost=5.0)
def quantile(x, driver="gaussian", sigma=1.0, *, member=None):
    """Rank, shift into (0, 1), then map through the driver's inverse CDF (gaussian/uniform/cauchy)."""
    name = str(driver).strip().lower()
    if name not in _DRIVERS:
        raise ExpressionTypeError(
            f"quantile: driver must be one of {', '.join(_DRIVERS)}, got {driver!r}"
        )
    x = as_panel(x)
    p = kernels.rank_2d(x, True, member)
    if name == "gaussian":
        return float(sigma) * ndtri(p)
    if name == "uniform":
        return float(sigma) * (2.0 * p - 1.0)
    return float(sigma) * np.tan(np.pi * (p - 0.5))


@operator(args=(Series,), params=(Param("std", Scalar, 4.0),), **_CS,
          reference=reference.winsorize, cost=2.0)
def winsorize(x, std=4.0):
    """x clipped to the day's mean +- std standard deviations."""
    return kernels.winsorize_2d(as_panel(x), float(std))


@operator(args=(Series,), params=(Param("maxPercent", Scalar, 0.01),), **_CS,
          reference=reference.truncate)
def truncate(x, maxPercent=0.01):  # noqa: N803 - BRAIN's keyword name
    """x clipped to +- maxPercent of the day's sum of |x| (one pass)."""
    return kernels.truncate_2d(as_panel(x), float(maxPercent))


@operator(args=(Series, Series), **_CS, reference=reference.regression_neut, cost=3.0,
          nan_rule="NaN where y or x is NaN; constant x gives y - mean(y)")
def regression_neut(y, x):
    """Residual of the day's cross-sectional OLS regression y = a + b * x."""
    y, x = np.broadcast_arrays(as_panel(y), as_panel(x))
    return kernels.regression_neut_2d(np.ascontiguousarray(y), np.ascontiguousarray(x))


@operator(args=(Series, Series), **_CS, reference=reference.vector_neut, cost=2.0,
          nan_rule="NaN where x or y is NaN; y = 0 leaves x unchanged")
def vector_neut(x, y):
    """x minus its projection on y across the day: x - (x.y / y.y) y."""
    x, y = np.broadcast_arrays(as_panel(x), as_panel(y))
    return kernels.vector_neut_2d(np.ascontiguousarray(x), np.ascontiguousarray(y))
