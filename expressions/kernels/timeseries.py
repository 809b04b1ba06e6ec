"""numba kernels for time-series operators over [T, N] float64 panels (time on axis 0, C order).

Every kernel takes read-only inputs, allocates and returns a new float64 [T, N] array, and never
writes into its inputs. Rolling kernels take ``(x, window, min_count)``: the window holds today
and the ``window - 1`` previous rows (fewer at the start of the panel); NaNs are skipped and the
result is NaN unless at least ``min_count`` non-NaN values are in the window. BRAIN operators pass
``min_count=window`` (pandas ``min_periods=window``), Qlib operators pass ``min_count=1``.

Loop shape: rows outer, columns inner, one state slot per column: on a C-order panel the inner
loop walks contiguous memory and LLVM vectorises it (a column-outer loop strides by N*8 bytes).

Rolling reductions use the two-block scheme (van Herk / Gil-Werman): time is cut into blocks of
``window`` rows; the window ending at row ``b0 + i`` of a block is the suffix of the previous
block from offset ``i + 1`` plus the prefix of its own block up to ``i``. Prefixes run forward,
suffixes are filled backward once per block, so each value costs O(1) and, unlike a running sum
with add/remove, no value ever outlives its window: a 1e15 that left leaves no rounding residue.
When ``min_count >= window`` (BRAIN) the ``_full_*`` variants keep no counts: a NaN in the window
must give NaN, and float arithmetic propagates it on its own (half the memory traffic).
Kernels run on one thread: results are bit-identical from run to run and process pool workers
already share the cores.
"""

from __future__ import annotations

import llvmlite.binding
import numpy as np
from numba import njit

# The fused loops below keep several per-column state rows; LLVM vectorises such a loop only
# behind runtime no-overlap checks, at most 8 by default, and falls back to scalar code above
# that (measured 1.5-4x slower here). The checks run once per row, so a higher cap is cheap.
# Set before any kernel compiles; it changes which loops vectorise, never a result.
llvmlite.binding.set_option("alphaminer", "-runtime-memory-check-threshold=256")


@njit(cache=True, inline="always", error_model="numpy")
def _suffix_rows(window, t_len):
    """Rows of a suffix table: offsets 0..block length (the last one is the empty suffix)."""
    return min(window, t_len) + 1


# ---------------------------------------------------------------- two-block sums


@njit(cache=True, error_model="numpy")
def ts_sum_2d(x, window, min_count, mean=False):
    """Rolling sum (or mean) of non-NaN values, two-block (no add/remove drift)."""
    if min_count >= window:
        return _full_sum(x, window, mean)
    t_len, n = x.shape
    out = np.empty((t_len, n))
    suf = np.zeros((2, _suffix_rows(window, t_len), n))  # sum, count
    pre_s, pre_c = np.empty(n), np.empty(n)
    for b0 in range(0, t_len, window):
        b1 = min(t_len, b0 + window)
        pre_s[:] = 0.0
        pre_c[:] = 0.0
        for t in range(b0, b1):
            i = t - b0 + 1
            for j in range(n):
                v = x[t, j]
                ok = v == v
                pre_s[j] += v if ok else 0.0
                pre_c[j] += 1.0 if ok else 0.0
                s = suf[0, i, j] + pre_s[j]
                c = suf[1, i, j] + pre_c[j]
                val = s / c if mean else s
                out[t, j] = val if c >= min_count and c > 0 else np.nan
        if b1 - b0 == window:
            for t in range(b1 - 1, b0 - 1, -1):
                i = t - b0
                for j in range(n):
                    v = x[t, j]
                    ok = v == v
                    suf[0, i, j] = suf[0, i + 1, j] + (v if ok else 0.0)
                    suf[1, i, j] = suf[1, i + 1, j] + (1.0 if ok else 0.0)
    return out


@njit(cache=True, error_model="numpy")
def _full_sum(x, window, mean):
    """Sum or mean that is NaN unless all ``window`` values are present (BRAIN).

    A NaN anywhere in the window must give NaN, which float addition already does: no counts,
    half the memory traffic of the general kernel.
    """
    t_len, n = x.shape
    out = np.empty((t_len, n))
    suf = np.zeros((_suffix_rows(window, t_len), n))
    pre = np.empty(n)
    div = float(window) if mean else 1.0
    for b0 in range(0, t_len, window):
        b1 = min(t_len, b0 + window)
        pre[:] = 0.0
        for t in range(b0, b1):
            for j in range(n):
                pre[j] += x[t, j]
                out[t, j] = (suf[t - b0 + 1, j] + pre[j]) / div
        if b1 - b0 == window:
            for t in range(b1 - 1, b0 - 1, -1):
                for j in range(n):
                    suf[t - b0, j] = suf[t - b0 + 1, j] + x[t, j]
    out[: window - 1] = np.nan
    return out


@njit(cache=True, error_model="numpy")
def ts_count_2d(x, window):
    """Number of non-NaN values in the window (partial windows at the start count what exists)."""
    t_len, n = x.shape
    out = np.empty((t_len, n))
    cnt = np.zeros(n)
    for t in range(t_len):
        for j in range(n):
            v = x[t, j]
            cnt[j] += 1.0 if v == v else 0.0
            if t >= window:
                old = x[t - window, j]
                cnt[j] -= 1.0 if old == old else 0.0
            out[t, j] = cnt[j]
    return out


@njit(cache=True, error_model="numpy")
def ts_product_2d(x, window, min_count):
    """Rolling product of non-NaN values (two-block: no division, so zeros are harmless)."""
    t_len, n = x.shape
    out = np.empty((t_len, n))
    suf = np.zeros((2, _suffix_rows(window, t_len), n))  # product, count
    suf[0] = 1.0
    pre_p, pre_c = np.empty(n), np.empty(n)
    for b0 in range(0, t_len, window):
        b1 = min(t_len, b0 + window)
        pre_p[:] = 1.0
        pre_c[:] = 0.0
        for t in range(b0, b1):
            i = t - b0 + 1
            for j in range(n):
                v = x[t, j]
                ok = v == v
                pre_p[j] *= v if ok else 1.0
                pre_c[j] += 1.0 if ok else 0.0
                c = suf[1, i, j] + pre_c[j]
                out[t, j] = suf[0, i, j] * pre_p[j] if c >= min_count and c > 0 else np.nan
        if b1 - b0 == window:
            for t in range(b1 - 1, b0 - 1, -1):
                i = t - b0
                for j in range(n):
                    v = x[t, j]
                    ok = v == v
                    suf[0, i, j] = suf[0, i + 1, j] * (v if ok else 1.0)
                    suf[1, i, j] = suf[1, i + 1, j] + (1.0 if ok else 0.0)
    return out


# ---------------------------------------------------------------- two-block variance


@njit(cache=True, error_model="numpy")
def block_refs(x, y, b0, b1, first, ref_x, ref_y, time_x=False):
    """Per column, the first (``first``) or last row of b0..b1-1 where x and y are both non-NaN:
    its values go to ``ref_x`` / ``ref_y`` (0 when there is none); x is the row number if
    ``time_x``.

    Sums of deviations from such a reference lose no digits on prices far from 0 and give exact
    zeros on constant stretches. Any non-empty prefix of a block holds its first valid row and
    any non-empty suffix its last, so the reference is always a value of the part it shifts.
    """
    ref_x[:] = np.nan
    ref_y[:] = np.nan
    for k in range(b1 - b0):
        t = b0 + k if first else b1 - 1 - k
        for j in range(ref_x.size):
            u, v = float(t) if time_x else x[t, j], y[t, j]
            take = (ref_x[j] != ref_x[j]) & (u == u) & (v == v)
            ref_x[j] = u if take else ref_x[j]
            ref_y[j] = v if take else ref_y[j]
    for j in range(ref_x.size):
        ref_x[j] = 0.0 if ref_x[j] != ref_x[j] else ref_x[j]
        ref_y[j] = 0.0 if ref_y[j] != ref_y[j] else ref_y[j]


@njit(cache=True, error_model="numpy")
def ts_var_2d(x, window, min_count, ddof=1, root=False):
    """Rolling variance of non-NaN values, two-block with shifted sums.

    Each part sums deviations from its own reference (``block_refs``); the suffix's sums are
    re-based onto the prefix's reference before merging. One division per value: ``q`` gives
    both 1/n and 1/(n - ddof). ``root``: the standard deviation instead (saves a pass).
    """
    if min_count >= window:
        return _full_var(x, window, ddof, root)
    t_len, n = x.shape
    out = np.empty((t_len, n))
    rows = _suffix_rows(window, t_len)
    sc, s1, s2 = np.zeros((rows, n)), np.zeros((rows, n)), np.zeros((rows, n))
    rs, rp, unused = np.zeros(n), np.empty(n), np.empty(n)
    pc, p1, p2 = np.empty(n), np.empty(n), np.empty(n)
    for b0 in range(0, t_len, window):
        b1 = min(t_len, b0 + window)
        block_refs(x, x, b0, b1, True, rp, unused)
        pc[:] = 0.0
        p1[:] = 0.0
        p2[:] = 0.0
        for t in range(b0, b1):
            i = t - b0 + 1
            for j in range(n):
                v = x[t, j]
                ok = v == v
                d = v - rp[j] if ok else 0.0
                pc[j] += 1.0 if ok else 0.0
                p1[j] += d
                p2[j] += d * d
                na = sc[i, j]
                e = rp[j] - rs[j] if (na > 0) & (pc[j] > 0) else 0.0
                c = na + pc[j]
                a1 = s1[i, j] - na * e + p1[j]
                a2 = s2[i, j] - e * (2.0 * s1[i, j] - na * e) + p2[j]
                q = 1.0 / (c * (c - ddof))
                m2 = max(a2 - a1 * a1 * ((c - ddof) * q), 0.0)
                var = np.sqrt(m2 * (c * q)) if root else m2 * (c * q)
                out[t, j] = var if (c >= min_count) & (c > ddof) else np.nan
        if b1 - b0 == window:
            block_refs(x, x, b0, b1, False, rs, unused)
            for t in range(b1 - 1, b0 - 1, -1):
                i = t - b0
                for j in range(n):
                    v = x[t, j]
                    ok = v == v
                    d = v - rs[j] if ok else 0.0
                    sc[i, j] = sc[i + 1, j] + (1.0 if ok else 0.0)
                    s1[i, j] = s1[i + 1, j] + d
                    s2[i, j] = s2[i + 1, j] + d * d
    return out


@njit(cache=True, error_model="numpy")
def _full_var(x, window, ddof, root):
    """Variance that is NaN unless all ``window`` values are present (BRAIN): NaNs propagate
    through the sums, and the references are simply the block's first and last rows (every
    window of a block holds its first row, every non-empty suffix the last)."""
    t_len, n = x.shape
    out = np.empty((t_len, n))
    rows = _suffix_rows(window, t_len)
    s1, s2 = np.zeros((rows, n)), np.zeros((rows, n))
    rs, p1, p2 = np.zeros(n), np.empty(n), np.empty(n)
    c = float(window)
    q = 1.0 / (c * (c - ddof))
    for b0 in range(0, t_len, window):
        b1 = min(t_len, b0 + window)
        p1[:] = 0.0
        p2[:] = 0.0
        for t in range(b0, b1):
            i = t - b0 + 1
            na = float(window - i)
            for j in range(n):
                d = x[t, j] - x[b0, j]
                p1[j] += d
                p2[j] += d * d
                e = x[b0, j] - rs[j] if na > 0 else 0.0
                a1 = s1[i, j] - na * e + p1[j]
                a2 = s2[i, j] - e * (2.0 * s1[i, j] - na * e) + p2[j]
                m2 = a2 - a1 * a1 * ((c - ddof) * q)
                var = (0.0 if m2 < 0.0 else m2) * (c * q)  # noqa: FURB136 (max() drops a NaN)
                out[t, j] = np.sqrt(var) if root else var
        if b1 - b0 == window:
            rs[:] = x[b1 - 1]
            for t in range(b1 - 1, b0 - 1, -1):
                for j in range(n):
                    d = x[t, j] - rs[j]
                    s1[t - b0, j] = s1[t - b0 + 1, j] + d
                    s2[t - b0, j] = s2[t - b0 + 1, j] + d * d
    out[: window - 1] = np.nan
    if c <= ddof:
        out[:] = np.nan
    return out


# ---------------------------------------------------------------- shifts and weighted means


@njit(cache=True, error_model="numpy")
def ts_delta_2d(x, periods):
    """``x[t] - x[t - periods]`` (``periods >= 0``); NaN where there is no earlier row."""
    t_len, n = x.shape
    out = np.empty((t_len, n))
    for t in range(t_len):
        for j in range(n):
            out[t, j] = x[t, j] - x[t - periods, j] if t >= periods else np.nan
    return out
