"""Slow, obvious twins of ``expressions.kernels.qlib`` and of Qlib's elementwise comparisons.

Each works cell by cell in plain Python/numpy, written from ``qlib/data/ops.py`` and
``qlib/data/_libs/rolling.pyx`` without sharing code with the kernels. A column's history
starts at its first non-NaN value (Qlib loads an instrument from its first date).
"""

from __future__ import annotations

import numpy as np


def _columns(x):
    x = np.asarray(x, dtype=float)
    for j in range(x.shape[1]):
        column = x[:, j]
        valid = np.flatnonzero(~np.isnan(column))
        yield j, column, (int(valid[0]) if len(valid) else len(column))


def _per_window(x, n, compute):
    """``compute(window_values, t)`` for every row from the first value on; NaN before it."""
    x = np.asarray(x, dtype=float)
    out = np.full(x.shape, np.nan)
    for j, column, first in _columns(x):
        for t in range(first, len(column)):
            values = column[max(first, t - n + 1) : t + 1]
            if not np.isnan(values).all():  # pandas min_periods=1
                out[t, j] = compute(values, column[t])
    return out


def qlib_idxmax(x, n):
    return _per_window(x, n, lambda a, _: np.argmax(a) + 1)


def qlib_idxmin(x, n):
    return _per_window(x, n, lambda a, _: np.argmin(a) + 1)


def qlib_wma(x, n):
    def weighted_mean(a, _):
        weights = np.arange(1, len(a) + 1) / np.arange(1, len(a) + 1).sum()
        return np.nanmean(weights * a)

    return _per_window(x, n, weighted_mean)


def qlib_delta(x, n):
    """x minus its value n rows ago; n == 0: minus the column's first value (Qlib's expanding)."""
    x = np.asarray(x, dtype=float)
    out = np.full(x.shape, np.nan)
    for j, column, first in _columns(x):
        for t in range(len(column)):
            if n == 0:
                out[t, j] = column[t] - column[first] if first < len(column) else np.nan
            elif t >= n:
                out[t, j] = column[t] - column[t - n]
    return out


def _cellwise(rule):
    """``rule(*floats)`` per cell; NaN before the column's first row where a non-constant
    argument has a value (Qlib has no such rows); scalars and constant columns never list."""

    def twin(*args):
        arrays = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in args))
        out = np.full(arrays[0].shape, np.nan)
        for t, j in np.ndindex(out.shape):
            series = [a[:, j] for a in arrays if len(set(a[:, j].tolist())) != 1 or np.isnan(a[0, j])]
            if not series or any(not np.isnan(s[r]) for s in series for r in range(t + 1)):
                out[t, j] = rule(*(float(a[t, j]) for a in arrays))
        return out

    return twin


def _compare(test):
    return _cellwise(lambda a, b: 1.0 if test(a, b) else 0.0)  # Python floats: NaN compares false


qlib_gt = _compare(lambda a, b: a > b)
qlib_ge = _compare(lambda a, b: a >= b)
qlib_lt = _compare(lambda a, b: a < b)
qlib_le = _compare(lambda a, b: a <= b)
qlib_eq = _compare(lambda a, b: a == b)
qlib_ne = _compare(lambda a, b: a != b)
qlib_and = _compare(lambda a, b: a != 0 and b != 0)
qlib_or = _compare(lambda a, b: a != 0 or b != 0)
qlib_not = _cellwise(lambda a: 0.0 if a != 0 else 1.0)
qlib_if = _cellwise(lambda condition, left, right: left if condition != 0 else right)
