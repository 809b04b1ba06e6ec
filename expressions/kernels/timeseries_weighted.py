"""numba kernels: rolling weighted means (BRAIN ts_decay_linear / ts_decay_exp_window, Qlib WMA).

Same conventions as ``expressions.kernels.timeseries``: [T, N] float64 C-order input, rows
outer and columns inner, NaNs skipped, NaN result below ``min_count`` non-NaN values; full
windows take the two-block scheme described there, exact (no value outlives its window).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from expressions.kernels.timeseries import _suffix_rows


@njit(cache=True, error_model="numpy")
def ts_weighted_mean_2d(x, window, min_count, kind, factor):
    """Weighted mean over the window's non-NaN values, weights renormalised over them.

    ``kind`` 0: linear decay, today's weight ``window``, then ``window - 1``, ... (BRAIN
    ``ts_decay_linear``); 1: exponential, weight ``factor**days_ago``; 2: Qlib ``WMA``: weights
    1..L over a window of length L (oldest 1), normalised by their full sum, then
    ``np.nanmean(w * x)`` (divides by the count of non-NaN values, Qlib's own formula).
    Full windows of kinds 0 and 1 (``min_count >= window``) take the two-block path.
    """
    if kind != 2 and min_count >= window:
        return _full_weighted_mean(x, window, kind, factor)
    return _weighted_mean_rescan(x, window, min_count, kind, factor)


@njit(cache=True, error_model="numpy")
def _full_weighted_mean(x, window, kind, factor):
    """Linear (kind 0) or exponential (kind 1) weighted mean, NaN unless all values are present.

    Two-block, unnormalised sums. At offset i of a block the prefix's share is
    ``(window - i) * P0 + P1`` with P0 = sum(v), P1 = sum(offset * v) (kind 1: ``P0 = factor *
    P0 + v``); the previous block's suffix from i + 1 adds ``T(i) = sum((q - i) * v)`` (kind 1:
    ``factor**(i + 1) * sum(factor**(window - 1 - q) * v)``), built backward by ``T(i - 1) =
    T(i) + sum(v[i:])``: one state row, one table row stored per row (stores bound these loops).
    No subtraction anywhere, so nothing outlives its window. NaNs propagate (BRAIN).
    """
    t_len, n = x.shape
    out = np.empty((t_len, n))
    half = _suffix_rows(window, t_len) // 2 + 1
    # Table row r (the suffix's share at offset r - 1) is even[r // 2] or odd[r // 2]: the backward
    # pass reads row r + 1 while it writes row r, which LLVM vectorizes only across two arrays.
    even, odd, state = _aligned_zeros(half, n), _aligned_zeros(half, n), _aligned_zeros(2, n)
    powers = factor ** np.arange(window + 1.0)
    scale = 2.0 / (window * (window + 1.0)) if kind == 0 else 1.0 / powers[:window].sum()
    for b0 in range(0, t_len, window):
        b1 = min(t_len, b0 + window)
        if kind == 0:
            _linear_prefix(x, b0, b1, window, scale, state, even, odd, out)
        else:
            _exp_prefix(x, b0, b1, factor, scale, state[0], even, odd, out)
        if b1 - b0 == window and kind == 0:
            _linear_suffix(x, b0, window, state[0], even, odd)
        elif b1 - b0 == window:
            _exp_suffix(x, b0, window, powers, state[0], even, odd)
    out[: window - 1] = np.nan
    return out


@njit(cache=True, error_model="numpy")
def _aligned_zeros(rows, n):
    """[rows, n rounded up to 8] zeros, rows on 64-byte lines (split vector stores cost ~30%)."""
    width = (n + 7) // 8 * 8
    buf = np.zeros(rows * width + 8)
    lead = (-buf.ctypes.data) % 64 // 8
    return buf[lead : lead + rows * width].reshape(rows, width)


@njit(cache=True, error_model="numpy")
def _linear_prefix(x, b0, b1, window, scale, state, even, odd, out):
    """Forward rows of a block, linear: P0 += v, P1 += i * v, out = (prefix + T(i)) * scale."""
    p0, p1 = state[0], state[1]
    p0[:] = 0.0
    p1[:] = 0.0
    for t in range(b0, b1):
        i = t - b0
        c0, c1 = float(window - i), float(i)
        xs, os, tail = x[t], out[t], even[(i + 1) // 2] if i % 2 == 1 else odd[i // 2]
        for j in range(xs.shape[0]):
            v = xs[j]
            a = p0[j] + v
            b = p1[j] + c1 * v
            p0[j] = a
            p1[j] = b
            os[j] = (c0 * a + b + tail[j]) * scale


@njit(cache=True, error_model="numpy")
def _exp_prefix(x, b0, b1, factor, scale, p0, even, odd, out):
    """Forward rows of a block, exponential: P0 = factor * P0 + v, out = (P0 + T(i)) * scale."""
    p0[:] = 0.0
    for t in range(b0, b1):
        i = t - b0
        xs, os, tail = x[t], out[t], even[(i + 1) // 2] if i % 2 == 1 else odd[i // 2]
        for j in range(xs.shape[0]):
            a = factor * p0[j] + xs[j]
            p0[j] = a
            os[j] = (a + tail[j]) * scale


@njit(cache=True, error_model="numpy")
def _linear_suffix(x, b0, window, q0, even, odd):
    """Backward rows of a full block, linear: table rows window - 1 .. 1 (row window stays 0)."""
    q0[:] = 0.0
    for q in range(window - 1, 0, -1):
        if q % 2 == 0:
            _chained_row(x[b0 + q], q0, odd[q // 2], even[q // 2])
        else:
            _chained_row(x[b0 + q], q0, even[(q + 1) // 2], odd[q // 2])


@njit(cache=True, error_model="numpy")
def _chained_row(x, q0, prev, tail):
    """Q0 += v; T(q - 1) = T(q) + Q0 (``prev`` holds T(q))."""
    for j in range(x.shape[0]):
        a = q0[j] + x[j]
        q0[j] = a
        tail[j] = prev[j] + a


@njit(cache=True, error_model="numpy")
def _exp_suffix(x, b0, window, powers, q0, even, odd):
    """Backward rows of a full block, exponential: Q0 += factor**(window - 1 - q) * v, T = factor**q * Q0."""
    q0[:] = 0.0
    for q in range(window - 1, 0, -1):
        w, to = powers[window - 1 - q], powers[q]
        xs, tail = x[b0 + q], even[q // 2] if q % 2 == 0 else odd[q // 2]
        for j in range(xs.shape[0]):
            a = q0[j] + w * xs[j]
            q0[j] = a
            tail[j] = to * a


@njit(cache=True, error_model="numpy")
def _weighted_mean_rescan(x, window, min_count, kind, factor):
    """Any kind and min_count, rescanning the window (O(window) per value)."""
    t_len, n = x.shape
    out = np.empty((t_len, n))
    acc, wsum, cnt = np.empty(n), np.empty(n), np.empty(n)
    for t in range(t_len):
        start = max(0, t - window + 1)
        length = t - start + 1
        acc[:] = 0.0
        wsum[:] = 0.0
        cnt[:] = 0.0
        for r in range(start, t + 1):
            if kind == 0:
                w = float(window - (t - r))
            elif kind == 1:
                w = factor ** (t - r)
            else:
                w = (r - start + 1.0) / (length * (length + 1.0) * 0.5)
            for j in range(n):
                v = x[r, j]
                ok = v == v
                acc[j] += w * v if ok else 0.0
                wsum[j] += w if ok else 0.0
                cnt[j] += 1.0 if ok else 0.0
        for j in range(n):
            val = acc[j] / cnt[j] if kind == 2 else acc[j] / wsum[j]
            out[t, j] = val if cnt[j] >= min_count and cnt[j] > 0 else np.nan
    return out
