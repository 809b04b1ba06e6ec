"""numba kernels for path-dependent time-series operators (state carried from day to day).

Same layout as ``expressions.kernels.timeseries``: rows outer, columns inner, one state slot
per column. These have no min_count: their NaN rule is written on each kernel.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy")
def ts_kth_2d(x, window, k):
    """The k-th most recent non-NaN value among the last ``window`` rows (k=1: backfill).

    NaN when the window holds fewer than k non-NaN values.
    """
    t_len, n = x.shape
    out = np.empty((t_len, n))
    for t in range(t_len):
        start = max(0, t - window + 1)
        for j in range(n):
            seen = 0
            val = np.nan
            for r in range(t, start - 1, -1):
                v = x[r, j]
                if v == v:
                    seen += 1
                    if seen == k:
                        val = v
                        break
            out[t, j] = val
    return out


@njit(cache=True, error_model="numpy")
def last_diff_value_2d(x, window):
    """The most recent non-NaN value in the previous ``window - 1`` rows that differs from today's.

    NaN when today is NaN or no earlier value in the window differs.
    """
    t_len, n = x.shape
    out = np.empty((t_len, n))
    for t in range(t_len):
        start = max(0, t - window + 1)
        for j in range(n):
            today = x[t, j]
            val = np.nan
            if today == today:
                for r in range(t - 1, start - 1, -1):
                    v = x[r, j]
                    if v == v and v != today:
                        val = v
                        break
            out[t, j] = val
    return out


@njit(cache=True, error_model="numpy")
def days_from_last_change_2d(x):
    """Days since the value last differed from the previous non-NaN value (0 on a change day).

    The first non-NaN value counts as a change; a NaN day gives NaN and is skipped.
    """
    t_len, n = x.shape
    out = np.empty((t_len, n))
    last = np.full(n, np.nan)
    changed = np.zeros(n)
    for t in range(t_len):
        for j in range(n):
            v = x[t, j]
            if v != v:
                out[t, j] = np.nan
                continue
            if v != last[j]:
                changed[j] = t
                last[j] = v
            out[t, j] = t - changed[j]
    return out


@njit(cache=True, error_model="numpy")
def hump_2d(x, limit):
    """Keep yesterday's output unless today's value moved more than ``limit[t]`` from it.

    ``out[t] = x[t]`` when yesterday's output is NaN or ``|x[t] - out[t-1]| > limit[t]``, else
    ``out[t-1]``; a NaN today gives NaN (and the next valid value is taken as is).
    """
    t_len, n = x.shape
    out = np.empty((t_len, n))
    for t in range(t_len):
        for j in range(n):
            v = x[t, j]
            prev = out[t - 1, j] if t > 0 else np.nan
            if v != v or prev != prev or abs(v - prev) > limit[t]:
                out[t, j] = v
            else:
                out[t, j] = prev
    return out


@njit(cache=True, error_model="numpy")
def trade_when_2d(enter, value, exit_):
    """NaN where ``exit_ > 0``; else ``value`` where ``enter > 0``; else yesterday's output.

    NaN conditions count as false. Before the first entry the output is NaN.
    """
    t_len, n = value.shape
    out = np.empty((t_len, n))
    for t in range(t_len):
        for j in range(n):
            if exit_[t, j] > 0:
                out[t, j] = np.nan
            elif enter[t, j] > 0:
                out[t, j] = value[t, j]
            else:
                out[t, j] = out[t - 1, j] if t > 0 else np.nan
    return out


@njit(cache=True, error_model="numpy")
def ewm_mean_2d(x, alpha, min_count):
    """pandas ``ewm(alpha=alpha, adjust=True, ignore_na=False).mean()``.

    A NaN input decays the old weight but adds nothing, so the output repeats the previous
    average (pandas' behaviour). Result NaN until ``min_count`` non-NaN values have been seen.
    Written with selects, not branches, so the column loop vectorises.
    """
    t_len, n = x.shape
    out = np.empty((t_len, n))
    keep = 1.0 - alpha
    avg = np.full(n, np.nan)
    wt = np.ones(n)
    nobs = np.zeros(n)
    for t in range(t_len):
        for j in range(n):
            v = x[t, j]
            ok = v == v
            a = avg[j]
            started = a == a
            w = wt[j] * keep if started else wt[j]
            merged = (w * a + v) / (w + 1.0) if a != v else a
            avg[j] = (merged if started else v) if ok else a
            wt[j] = w + 1.0 if ok and started else w
            nobs[j] += 1.0 if ok else 0.0
            out[t, j] = avg[j] if nobs[j] >= min_count else np.nan
    return out
