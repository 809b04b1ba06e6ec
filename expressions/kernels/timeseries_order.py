"""numba kernels: rolling order statistics (extremes and their positions, ranks, quantiles).

Same conventions as ``expressions.kernels.timeseries``: [T, N] float64 C-order input, rows
outer and columns inner, NaNs skipped, NaN result below ``min_count`` non-NaN values.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from expressions.kernels.timeseries import _suffix_rows


@njit(cache=True, error_model="numpy")
def ts_extreme_2d(x, window, min_count, is_max, arg):
    """Rolling max/min of non-NaN values, or (``arg``) days since it (today = 0, ties: newest).

    Two-block: prefix and suffix extremes with their rows. Ties go to the newer row: the
    prefix takes ``>=`` going forward, the suffix keeps its first hit going backward, and the
    (newer) prefix wins a tie with the suffix.
    """
    t_len, n = x.shape
    out = np.empty((t_len, n))
    sign = 1.0 if is_max else -1.0
    suf = np.zeros((3, _suffix_rows(window, t_len), n))  # best, row, count
    suf[0] = -np.inf
    suf[1] = -1.0
    best, pos, cnt = np.empty(n), np.empty(n), np.empty(n)
    for b0 in range(0, t_len, window):
        b1 = min(t_len, b0 + window)
        best[:] = -np.inf
        pos[:] = -1.0
        cnt[:] = 0.0
        for t in range(b0, b1):
            i = t - b0 + 1
            for j in range(n):
                v = sign * x[t, j]
                take = v >= best[j]
                best[j] = v if take else best[j]
                pos[j] = t if take else pos[j]
                cnt[j] += 1.0 if v == v else 0.0
                sb = suf[0, i, j]
                mine = best[j] > sb or (best[j] == sb and pos[j] >= 0)
                val = t - (pos[j] if mine else suf[1, i, j]) if arg else sign * max(best[j], sb)
                c = cnt[j] + suf[2, i, j]
                out[t, j] = val if c >= min_count and c > 0 else np.nan
        if b1 - b0 == window:
            for t in range(b1 - 1, b0 - 1, -1):
                i = t - b0
                for j in range(n):
                    v = sign * x[t, j]
                    sb, sp = suf[0, i + 1, j], suf[1, i + 1, j]
                    take = v > sb or (v == v and sp < 0)
                    suf[0, i, j] = v if take else sb
                    suf[1, i, j] = t if take else sp
                    suf[2, i, j] = suf[2, i + 1, j] + (1.0 if v == v else 0.0)
    return out


@njit(cache=True, error_model="numpy")
def ts_rank_2d(x, window, min_count, mode):
    """Rank of today's value among the window's non-NaN values, ties averaged.

    With ``less`` values below today, ``equal`` values equal to it (today included) and ``n``
    non-NaN values, the average 1-based rank is ``a = less + (equal + 1) / 2``. ``mode`` 0
    (BRAIN): ``(a - 1) / (n - 1)`` in [0, 1], 0.5 when n == 1; 1 (pandas/Qlib ``pct=True``):
    ``a / n``; 2 (midpoint, for quantile transforms): ``(a - 0.5) / n`` in (0, 1).
    NaN when today is NaN or fewer than ``min_count`` non-NaN values.

    One counter per column: each window value adds ``(v < today) + (v <= today)``, which sums to
    ``2 * less + equal``; the non-NaN count is a running count.
    """
    t_len, n = x.shape
    out = np.empty((t_len, n))
    score, cnt = np.empty(n), np.zeros(n)
    for t in range(t_len):
        score[:] = 0.0
        for r in range(max(0, t - window + 1), t + 1):
            for j in range(n):
                v = x[r, j]
                c = x[t, j]
                score[j] += (1.0 if v < c else 0.0) + (1.0 if v <= c else 0.0)
        for j in range(n):
            v = x[t, j]
            cnt[j] += 1.0 if v == v else 0.0
            if t >= window:
                old = x[t - window, j]
                cnt[j] -= 1.0 if old == old else 0.0
            a = (score[j] + 1.0) * 0.5
            if mode == 0:
                val = 0.5 if cnt[j] == 1.0 else (a - 1.0) / (cnt[j] - 1.0)
            elif mode == 1:
                val = a / cnt[j]
            else:
                val = (a - 0.5) / cnt[j]
            out[t, j] = val if v == v and cnt[j] >= min_count else np.nan
    return out


# Above this window the O(window) vectorised network costs more than a per-column sorted buffer.
NETWORK_MAX_WINDOW = 100


@njit(cache=True, error_model="numpy")
def ts_quantile_2d(x, window, min_count, q):
    """Rolling q-quantile of the non-NaN values, linear interpolation (pandas' default)."""
    if window <= NETWORK_MAX_WINDOW:
        return _quantile_network(x, window, min_count, q)
    return _quantile_sorted(x, window, min_count, q)


@njit(cache=True, inline="always", error_model="numpy")
def _interpolate(col, c, q, min_count):
    """The q-quantile of the ``c`` smallest values ``col(k)`` (sorted), or NaN."""
    if c < min_count or c <= 0:
        return np.nan
    pos = q * (c - 1.0)
    lo = int(pos)
    hi = min(lo + 1, int(c) - 1)
    return col[lo] + (col[hi] - col[lo]) * (pos - lo)


@njit(cache=True, error_model="numpy")
def _quantile_network(x, window, min_count, q):
    """Every column's window kept sorted in ``srt[rank, column]`` (NaN stored as +inf).

    Removing ``old`` and inserting ``v`` is, for each rank k, with ``a[k]`` the sorted values
    after the removal (``s[k + 1]`` where ``s[k] >= old``, else ``s[k]``):
    ``s'[k] = min(a[k], max(a[k - 1], v))``: no branches, so it vectorises across columns.
    """
    t_len, n = x.shape
    out = np.empty((t_len, n))
    w = min(window, t_len)
    srt = np.full((w + 1, n), np.inf)  # row w stays +inf
    prev, vin, vout, cnt = np.empty(n), np.empty(n), np.full(n, np.inf), np.zeros(n)
    for t in range(t_len):
        for j in range(n):
            v = x[t, j]
            vin[j] = v if v == v else np.inf
            cnt[j] += 1.0 if v == v else 0.0
            if t >= window:
                old = x[t - window, j]
                vout[j] = old if old == old else np.inf
                cnt[j] -= 1.0 if old == old else 0.0
        prev[:] = -np.inf
        for k in range(w):
            for j in range(n):
                s = srt[k, j]
                a = srt[k + 1, j] if s >= vout[j] else s
                srt[k, j] = min(a, max(prev[j], vin[j]))
                prev[j] = a
        for j in range(n):
            out[t, j] = _interpolate(srt[:, j], cnt[j], q, min_count)
    return out


@njit(cache=True, error_model="numpy")
def _quantile_sorted(x, window, min_count, q):
    """Column-outer: the window sorted in a buffer; a new value replaces the leaving one by
    shifting only the entries between their two positions."""
    t_len, n = x.shape
    out = np.empty((t_len, n))
    buf = np.empty(min(window, t_len) + 1)
    for j in range(n):
        size = 0
        for t in range(t_len):
            v = x[t, j]
            old = x[t - window, j] if t >= window else np.nan
            if old == old:
                k = np.searchsorted(buf[:size], old)
                size -= 1
                for m in range(k, size):
                    buf[m] = buf[m + 1]
            if v == v:
                k = size
                while k > 0 and buf[k - 1] > v:
                    buf[k] = buf[k - 1]
                    k -= 1
                buf[k] = v
                size += 1
            out[t, j] = _interpolate(buf, float(size), q, min_count)
    return out


@njit(cache=True, error_model="numpy")
def qlib_idx_extreme_2d(x, window, is_max):
    """Qlib ``IdxMax``/``IdxMin``: 1-based position of ``np.argmax``/``np.argmin`` in the window.

    Like numpy, the first NaN of the window wins, and ties go to the oldest value. The window
    is shorter at the start (pandas ``min_periods=1``); all-NaN windows give NaN.
    """
    t_len, n = x.shape
    out = np.empty((t_len, n))
    sign = 1.0 if is_max else -1.0
    best, pos, first_nan, cnt = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    for t in range(t_len):
        start = max(0, t - window + 1)
        best[:] = -np.inf
        pos[:] = start
        first_nan[:] = -1.0
        cnt[:] = 0.0
        for r in range(start, t + 1):
            for j in range(n):
                v = sign * x[r, j]
                ok = v == v
                take = v > best[j]
                best[j] = v if take else best[j]
                pos[j] = r if take else pos[j]
                first_nan[j] = r if (not ok and first_nan[j] < 0) else first_nan[j]
                cnt[j] += 1.0 if ok else 0.0
        for j in range(n):
            p = first_nan[j] if first_nan[j] >= 0 else pos[j]
            out[t, j] = p - start + 1.0 if cnt[j] > 0 else np.nan
    return out
