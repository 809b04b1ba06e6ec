"""numba kernels for Qlib operators whose conventions no BRAIN kernel shares.

Same input conventions as ``expressions.kernels.timeseries``: [T, N] float64 C-order, rows outer
and columns inner. Qlib loads an instrument from its first date, so a column's history starts at
its first non-NaN value here: the NaNs before it are not part of any window (they matter where
Qlib keeps NaNs in the window: ``np.argmax`` returns a NaN's position, ``WMA`` weighs by length).

Slow twins: ``expressions.reference.qlib``.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy")
def first_valid_rows(x):
    """Per column, the first row holding a non-NaN value (``T`` when there is none)."""
    t_len, n = x.shape
    first = np.full(n, t_len)
    for j in range(n):
        for t in range(t_len):
            if x[t, j] == x[t, j]:
                first[j] = t
                break
    return first


@njit(cache=True, error_model="numpy")
def idx_extreme_2d(x, window, is_max):
    """Qlib ``IdxMax``/``IdxMin``: 1-based position of ``np.argmax``/``np.argmin`` in the window.

    The window is the last ``window`` rows, cut at the column's first non-NaN row. As in numpy,
    the first NaN of the window wins and ties go to the oldest value. NaN before the first value
    and for windows without a non-NaN value.
    """
    t_len, n = x.shape
    out = np.full((t_len, n), np.nan)
    first = first_valid_rows(x)
    sign = 1.0 if is_max else -1.0
    for j in range(n):
        for t in range(first[j], t_len):
            start = max(first[j], t - window + 1)
            best, pos, first_nan, count = -np.inf, start, -1, 0
            for r in range(start, t + 1):
                v = sign * x[r, j]
                if v != v:
                    first_nan = r if first_nan < 0 else first_nan
                    continue
                count += 1
                if v > best:
                    best, pos = v, r
            found = first_nan if first_nan >= 0 else pos
            out[t, j] = found - start + 1.0 if count else np.nan
    return out


@njit(cache=True, error_model="numpy")
def wma_2d(x, window):
    """Qlib ``WMA``: ``np.nanmean(w * a)`` with ``w = (1..L) / sum(1..L)`` over the window ``a``.

    ``L`` is the window's length (NaNs included, cut at the column's first non-NaN row), so a
    NaN keeps its weight out of the sum but the mean still divides by the non-NaN count.
    """
    t_len, n = x.shape
    out = np.full((t_len, n), np.nan)
    first = first_valid_rows(x)
    for j in range(n):
        for t in range(first[j], t_len):
            start = max(first[j], t - window + 1)
            length = t - start + 1
            total = length * (length + 1) / 2.0
            acc, count = 0.0, 0
            for r in range(start, t + 1):
                v = x[r, j]
                if v == v:
                    acc += (r - start + 1.0) / total * v
                    count += 1
            out[t, j] = acc / count if count else np.nan
    return out
