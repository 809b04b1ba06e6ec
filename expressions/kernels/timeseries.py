"""numba kernels for time-series operators over [T, N] float64 panels (time on axis 0, C order).

Every kernel takes read-only inputs, allocates and returns a new float64 [T, N] array, and never
writes into its inputs. Rolling kernels take ``(x, window, min_count)``: the window holds today
and the ``window - 1`` previous rows (fewer at the start of the panel); NaNs are skipped and the
result is NaN unless at least ``min_count`` non-NaN values are in the window. BRAIN operators pass
``min_count=window`` (pandas ``min_periods=window``), Qlib operators pass ``min_count=1``.

Loop shape: rows outer, columns inner, with one running-state slot per column. On a C-order
panel the inner loop then walks contiguous memory and LLVM vectorises it; a column-outer loop
strides by N*8 bytes and was about 3x slower on [1260, 500]. Columns are cut into blocks of
``BLOCK`` that ``prange`` spreads over the cores (each block's state stays in L1).

Window kernels that are not streaming rescan the window (O(window) per value, vectorised across
columns): for the windows alphas use (5..60) this beats a per-column deque or heap, whose
branches defeat vectorisation.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

BLOCK = 64
# prange over column blocks. Off: on the shared 2-core box it measured no faster (bench/kernels.py)
# and parallel compilation costs ~3 s per kernel on a cold cache.
PARALLEL = False


@njit(cache=True, inline="always", error_model="numpy")
def _block(b, n):
    j0 = b * BLOCK
    return j0, min(n, j0 + BLOCK)


@njit(cache=True, inline="always", error_model="numpy")
def _nblocks(n):
    return (n + BLOCK - 1) // BLOCK


# ---------------------------------------------------------------- streaming: sum, mean, count, var


@njit(cache=True, parallel=PARALLEL, error_model="numpy")
def ts_sum_2d(x, window, min_count, mean=False):
    """Rolling sum (or mean) of non-NaN values, Neumaier-compensated.

    A plain running sum keeps the rounding error of every value that ever left the window, so
    one huge value (1e12 next to 1.0) would corrupt every later window; the compensation term
    carries the lost low-order bits so add-then-remove cancels.
    """
    t_len, n = x.shape
    out = np.empty((t_len, n))
    for b in prange(_nblocks(n)):
        j0, j1 = _block(b, n)
        s = np.zeros(j1 - j0)
        c = np.zeros(j1 - j0)
        cnt = np.zeros(j1 - j0)
        for t in range(t_len):
            for j in range(j0, j1):
                k = j - j0
                v = x[t, j]
                ok = v == v
                add = v if ok else 0.0
                if t >= window:
                    old = x[t - window, j]
                    okold = old == old
                    cnt[k] -= 1.0 if okold else 0.0
                    add -= old if okold else 0.0
                cnt[k] += 1.0 if ok else 0.0
                tot = s[k] + add
                if abs(s[k]) >= abs(add):
                    c[k] += (s[k] - tot) + add
                else:
                    c[k] += (add - tot) + s[k]
                s[k] = tot
                if cnt[k] == 0.0:
                    s[k] = 0.0
                    c[k] = 0.0
                val = s[k] + c[k]
                if mean:
                    val = val / cnt[k]
                out[t, j] = val if cnt[k] >= min_count and cnt[k] > 0 else np.nan
    return out


@njit(cache=True, parallel=PARALLEL, error_model="numpy")
def ts_count_2d(x, window):
    """Number of non-NaN values in the window (partial windows at the start count what exists)."""
    t_len, n = x.shape
    out = np.empty((t_len, n))
    for b in prange(_nblocks(n)):
        j0, j1 = _block(b, n)
        cnt = np.zeros(j1 - j0)
        for t in range(t_len):
            for j in range(j0, j1):
                v = x[t, j]
                cnt[j - j0] += 1.0 if v == v else 0.0
                if t >= window:
                    old = x[t - window, j]
                    cnt[j - j0] -= 1.0 if old == old else 0.0
                out[t, j] = cnt[j - j0]
    return out


@njit(cache=True, parallel=PARALLEL, error_model="numpy")
def ts_var_2d(x, window, min_count, ddof=1):
    """Rolling variance of non-NaN values (Welford add/remove).

    Welford's update avoids the cancellation of sum(x^2) - sum(x)^2 / n on prices far from 0.
    Removal still leaves rounding residue (a 1e4 price leaving a window of 0.6s spoils M2), so
    every ``window`` rows the window is recomputed exactly (amortised O(1)); and a run of equal
    values re-seeds the state so a constant window gives exactly 0, as pandas does.
    """
    t_len, n = x.shape
    out = np.empty((t_len, n))
    for b in prange(_nblocks(n)):
        j0, j1 = _block(b, n)
        m = j1 - j0
        cnt = np.zeros(m)
        mu = np.zeros(m)
        m2 = np.zeros(m)
        last = np.full(m, np.nan)
        run = np.zeros(m)
        for t in range(t_len):
            for j in range(j0, j1):
                k = j - j0
                if t >= window:
                    old = x[t - window, j]
                    if old == old:
                        if cnt[k] <= 1.0:
                            cnt[k] = 0.0
                            mu[k] = 0.0
                            m2[k] = 0.0
                        else:
                            cnt[k] -= 1.0
                            d = old - mu[k]
                            mu[k] -= d / cnt[k]
                            m2[k] -= d * (old - mu[k])
                v = x[t, j]
                if v == v:
                    cnt[k] += 1.0
                    d = v - mu[k]
                    mu[k] += d / cnt[k]
                    m2[k] += d * (v - mu[k])
                    run[k] = run[k] + 1.0 if v == last[k] else 1.0
                    last[k] = v
                if run[k] >= cnt[k] and cnt[k] > 0:
                    mu[k] = last[k]
                    m2[k] = 0.0
                ok = cnt[k] >= min_count and cnt[k] > ddof
                out[t, j] = max(m2[k], 0.0) / (cnt[k] - ddof) if ok else np.nan
            if t % window == window - 1:
                _recompute_moments(x, max(0, t - window + 1), t, j0, j1, mu, m2)
    return out


@njit(cache=True, error_model="numpy")
def _recompute_moments(x, start, t, j0, j1, mu, m2):
    """Exact two-pass mean and M2 of rows start..t: the removals' rounding never outlives a window."""
    cnt = np.zeros(j1 - j0)
    ref = np.full(j1 - j0, np.nan)
    m2[:] = 0.0
    for r in range(start, t + 1):
        for j in range(j0, j1):
            v = x[r, j]
            ref[j - j0] = v if ref[j - j0] != ref[j - j0] else ref[j - j0]
            m2[j - j0] += v - ref[j - j0] if v == v else 0.0
            cnt[j - j0] += 1.0 if v == v else 0.0
    for k in range(j1 - j0):
        mu[k] = ref[k] + m2[k] / cnt[k] if cnt[k] > 0 else 0.0
    m2[:] = 0.0
    for r in range(start, t + 1):
        for j in range(j0, j1):
            v = x[r, j]
            d = v - mu[j - j0] if v == v else 0.0
            m2[j - j0] += d * d


@njit(cache=True, parallel=PARALLEL, error_model="numpy")
def ewm_mean_2d(x, alpha, min_count):
    """pandas ``ewm(alpha=alpha, adjust=True, ignore_na=False).mean()``.

    A NaN input decays the old weight but adds nothing, so the output repeats the previous
    average (pandas' behaviour). Result NaN until ``min_count`` non-NaN values have been seen.
    """
    t_len, n = x.shape
    out = np.empty((t_len, n))
    keep = 1.0 - alpha
    for b in prange(_nblocks(n)):
        j0, j1 = _block(b, n)
        avg = np.full(j1 - j0, np.nan)
        wt = np.ones(j1 - j0)
        nobs = np.zeros(j1 - j0)
        for t in range(t_len):
            for j in range(j0, j1):
                k = j - j0
                v = x[t, j]
                ok = v == v
                nobs[k] += 1.0 if ok else 0.0
                if avg[k] == avg[k]:
                    wt[k] *= keep
                    if ok:
                        if avg[k] != v:
                            avg[k] = (wt[k] * avg[k] + v) / (wt[k] + 1.0)
                        wt[k] += 1.0
                elif ok:
                    avg[k] = v
                out[t, j] = avg[k] if nobs[k] >= min_count else np.nan
    return out


# ---------------------------------------------------------------- window rescans


@njit(cache=True, parallel=PARALLEL, error_model="numpy")
def ts_product_2d(x, window, min_count):
    """Rolling product of non-NaN values (rescan: a running product breaks on zeros)."""
    t_len, n = x.shape
    out = np.empty((t_len, n))
    for b in prange(_nblocks(n)):
        j0, j1 = _block(b, n)
        p = np.empty(j1 - j0)
        cnt = np.empty(j1 - j0)
        for t in range(t_len):
            p[:] = 1.0
            cnt[:] = 0.0
            for r in range(max(0, t - window + 1), t + 1):
                for j in range(j0, j1):
                    v = x[r, j]
                    ok = v == v
                    p[j - j0] *= v if ok else 1.0
                    cnt[j - j0] += 1.0 if ok else 0.0
            for j in range(j0, j1):
                ok = cnt[j - j0] >= min_count and cnt[j - j0] > 0
                out[t, j] = p[j - j0] if ok else np.nan
    return out


@njit(cache=True, parallel=PARALLEL, error_model="numpy")
def ts_extreme_2d(x, window, min_count, is_max, arg):
    """Rolling max/min of non-NaN values, or (``arg``) days since it (today = 0, ties: newest)."""
    t_len, n = x.shape
    out = np.empty((t_len, n))
    sign = 1.0 if is_max else -1.0
    for b in prange(_nblocks(n)):
        j0, j1 = _block(b, n)
        best = np.empty(j1 - j0)
        pos = np.empty(j1 - j0)
        cnt = np.empty(j1 - j0)
        for t in range(t_len):
            best[:] = -np.inf
            pos[:] = -1.0
            cnt[:] = 0.0
            for r in range(max(0, t - window + 1), t + 1):
                for j in range(j0, j1):
                    v = sign * x[r, j]
                    ok = v == v
                    take = v >= best[j - j0]
                    best[j - j0] = v if take else best[j - j0]
                    pos[j - j0] = r if take else pos[j - j0]
                    cnt[j - j0] += 1.0 if ok else 0.0
            for j in range(j0, j1):
                k = j - j0
                val = t - pos[k] if arg else sign * best[k]
                out[t, j] = val if cnt[k] >= min_count and cnt[k] > 0 else np.nan
    return out


@njit(cache=True, parallel=PARALLEL, error_model="numpy")
def qlib_idx_extreme_2d(x, window, is_max):
    """Qlib ``IdxMax``/``IdxMin``: 1-based position of ``np.argmax``/``np.argmin`` in the window.

    Like numpy, the first NaN of the window wins, and ties go to the oldest value. The window
    is shorter at the start (pandas ``min_periods=1``); all-NaN windows give NaN.
    """
    t_len, n = x.shape
    out = np.empty((t_len, n))
    sign = 1.0 if is_max else -1.0
    for b in prange(_nblocks(n)):
        j0, j1 = _block(b, n)
        best = np.empty(j1 - j0)
        pos = np.empty(j1 - j0)
        first_nan = np.empty(j1 - j0)
        cnt = np.empty(j1 - j0)
        for t in range(t_len):
            start = max(0, t - window + 1)
            best[:] = -np.inf
            pos[:] = start
            first_nan[:] = -1.0
            cnt[:] = 0.0
            for r in range(start, t + 1):
                for j in range(j0, j1):
                    k = j - j0
                    v = sign * x[r, j]
                    ok = v == v
                    take = v > best[k]
                    best[k] = v if take else best[k]
                    pos[k] = r if take else pos[k]
                    first_nan[k] = r if (not ok and first_nan[k] < 0) else first_nan[k]
                    cnt[k] += 1.0 if ok else 0.0
            for j in range(j0, j1):
                k = j - j0
                p = first_nan[k] if first_nan[k] >= 0 else pos[k]
                out[t, j] = p - start + 1.0 if cnt[k] > 0 else np.nan
    return out


@njit(cache=True, parallel=PARALLEL, error_model="numpy")
def ts_rank_2d(x, window, min_count, mode):
    """Rank of today's value among the window's non-NaN values, ties averaged.

    With ``less`` values below today, ``equal`` values equal to it (today included) and ``n``
    non-NaN values, the average 1-based rank is ``a = less + (equal + 1) / 2``. ``mode`` 0
    (BRAIN): ``(a - 1) / (n - 1)`` in [0, 1], 0.5 when n == 1; 1 (pandas/Qlib ``pct=True``):
    ``a / n``; 2 (midpoint, for quantile transforms): ``(a - 0.5) / n`` in (0, 1).
    NaN when today is NaN or fewer than ``min_count`` non-NaN values.
    """
    t_len, n = x.shape
    out = np.empty((t_len, n))
    for b in prange(_nblocks(n)):
        j0, j1 = _block(b, n)
        less = np.empty(j1 - j0)
        equal = np.empty(j1 - j0)
        cnt = np.empty(j1 - j0)
        for t in range(t_len):
            less[:] = 0.0
            equal[:] = 0.0
            cnt[:] = 0.0
            for r in range(max(0, t - window + 1), t + 1):
                for j in range(j0, j1):
                    v = x[r, j]
                    c = x[t, j]
                    less[j - j0] += 1.0 if v < c else 0.0
                    equal[j - j0] += 1.0 if v == c else 0.0
                    cnt[j - j0] += 1.0 if v == v else 0.0
            for j in range(j0, j1):
                k = j - j0
                a = less[k] + (equal[k] + 1.0) * 0.5
                if mode == 0:
                    val = 0.5 if cnt[k] == 1.0 else (a - 1.0) / (cnt[k] - 1.0)
                elif mode == 1:
                    val = a / cnt[k]
                else:
                    val = (a - 0.5) / cnt[k]
                ok = x[t, j] == x[t, j] and cnt[k] >= min_count
                out[t, j] = val if ok else np.nan
    return out


@njit(cache=True, parallel=PARALLEL, error_model="numpy")
def ts_weighted_mean_2d(x, window, min_count, kind, factor):
    """Weighted mean over the window's non-NaN values, weights renormalised over them.

    ``kind`` 0: linear decay, today's weight ``window``, then ``window - 1``, ... (BRAIN
    ``ts_decay_linear``); 1: exponential, weight ``factor**days_ago``; 2: Qlib ``WMA``: weights
    1..L over a window of length L (oldest 1), normalised by their full sum, then
    ``np.nanmean(w * x)`` (divides by the count of non-NaN values, Qlib's own formula).
    """
    t_len, n = x.shape
    out = np.empty((t_len, n))
    for b in prange(_nblocks(n)):
        j0, j1 = _block(b, n)
        acc = np.empty(j1 - j0)
        wsum = np.empty(j1 - j0)
        cnt = np.empty(j1 - j0)
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
                for j in range(j0, j1):
                    v = x[r, j]
                    ok = v == v
                    acc[j - j0] += w * v if ok else 0.0
                    wsum[j - j0] += w if ok else 0.0
                    cnt[j - j0] += 1.0 if ok else 0.0
            for j in range(j0, j1):
                k = j - j0
                val = acc[k] / cnt[k] if kind == 2 else acc[k] / wsum[k]
                out[t, j] = val if cnt[k] >= min_count and cnt[k] > 0 else np.nan
    return out
