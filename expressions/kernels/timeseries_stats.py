"""numba kernels: rolling moments, pair statistics, regression and order statistics.

Same conventions as ``expressions.kernels.timeseries``: [T, N] float64 C-order input, rows
outer and columns inner, NaNs skipped, NaN result below ``min_count`` non-NaN values (pairs:
below ``min_count`` rows where both are non-NaN).

Moments are computed two-pass over each window (mean first, then centred sums). Running sums of
powers lose every significant digit on prices (x^4 of 500.0 is 6e10) and on constant stretches,
and windows are short enough (O(window) per value, vectorised) for the exact form to be cheap.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from expressions.kernels.timeseries import _suffix_rows

MOMENT_SKEW = 3
MOMENT_KURT = 4
MOMENT_MAD = 1

PAIR_COV = 0
PAIR_CORR = 1

REG_RESIDUAL = 0
REG_INTERCEPT = 1
REG_SLOPE = 2
REG_FITTED = 3
REG_RSQUARE = 6


@njit(cache=True, error_model="numpy")
def ts_moment_2d(x, window, min_count, kind):
    """Rolling skewness / excess kurtosis (pandas' bias-corrected formulas) or mean abs deviation.

    Skew needs 3 and kurtosis 4 non-NaN values (pandas); a window with zero variance gives NaN.
    ``MOMENT_MAD``: mean of |x - mean| over the non-NaN values (Qlib ``Mad``).
    """
    t_len, n = x.shape
    out = np.empty((t_len, n))
    j0, j1 = 0, n
    m = j1 - j0
    s1, cnt, ref = np.empty(m), np.empty(m), np.empty(m)
    m2, m3, m4 = np.empty(m), np.empty(m), np.empty(m)
    for t in range(t_len):
        start = max(0, t - window + 1)
        s1[:] = 0.0
        cnt[:] = 0.0
        ref[:] = np.nan
        for r in range(start, t + 1):
            for j in range(j0, j1):
                k = j - j0
                v = x[r, j]
                ok = v == v
                ref[k] = v if ref[k] != ref[k] else ref[k]
                s1[k] += v - ref[k] if ok else 0.0
                cnt[k] += 1.0 if ok else 0.0
        for k in range(m):
            s1[k] = ref[k] + s1[k] / cnt[k]
        m2[:] = 0.0
        m3[:] = 0.0
        m4[:] = 0.0
        for r in range(start, t + 1):
            for j in range(j0, j1):
                v = x[r, j]
                d = v - s1[j - j0] if v == v else 0.0
                d2 = d * d
                m2[j - j0] += abs(d) if kind == MOMENT_MAD else d2
                m3[j - j0] += d2 * d
                m4[j - j0] += d2 * d2
        for j in range(j0, j1):
            k = j - j0
            c = cnt[k]
            out[t, j] = _moment_value(kind, c, m2[k], m3[k], m4[k], min_count)
    return out


@njit(cache=True, inline="always", error_model="numpy")
def _moment_value(kind, c, m2, m3, m4, min_count):
    if c < min_count or c == 0:
        return np.nan
    if kind == MOMENT_MAD:
        return m2 / c
    if c < kind or m2 <= 0.0:
        return np.nan
    var = m2 / c
    if kind == MOMENT_SKEW:
        return np.sqrt(c * (c - 1.0)) * (m3 / c) / ((c - 2.0) * var**1.5)
    g2 = (m4 / c) / (var * var)
    return ((c * c - 1.0) * g2 - 3.0 * (c - 1.0) ** 2) / ((c - 2.0) * (c - 3.0))


@njit(cache=True, error_model="numpy")
def ts_pair_2d(x, y, window, min_count, kind):
    """Rolling covariance (ddof=1) or Pearson correlation over rows where both are non-NaN.

    Correlation is NaN when either side has zero variance in the window.
    """
    return _pair_window_2d(x, y, window, min_count, False, kind)


@njit(cache=True, error_model="numpy")
def ts_regression_2d(y, x, window, min_count, rettype, time_x):
    """Rolling OLS of y on x (with intercept) over rows where both are non-NaN.

    ``rettype``: 0 residual of today (y - fitted), 1 intercept, 2 slope, 3 fitted value today,
    6 R-squared. ``time_x``: regress on the row index instead of x (Qlib ``Slope``/``Resi``/
    ``Rsquare``; OLS is shift invariant so this equals Qlib's 1..N positions). NaN with fewer
    than 2 points, zero variance of x, or (R-squared) zero variance of y.
    """
    return _pair_window_2d(x, y, window, min_count, time_x, _REGRESSION + rettype)


_REGRESSION = 10  # statistic codes of _pair_window_2d: PAIR_* below it, _REGRESSION + rettype


@njit(cache=True, inline="always", error_model="numpy")
def _pair_add(u, v, st, k, j):
    """Pair (u, v) into part state ``st[:, k, j]``: refs, count, sums of deviations and products.

    Rows of ``st``: 0 ref u, 1 ref v, 2 count, 3 sum du, 4 sum dv, 5 sum du^2, 6 sum dv^2,
    7 sum du*dv; refs are the part's first pair, so a constant part gives exact zeros.
    """
    ok = u == u and v == v
    first = ok and st[2, k, j] == 0.0
    st[0, k, j] = u if first else st[0, k, j]
    st[1, k, j] = v if first else st[1, k, j]
    du = u - st[0, k, j] if ok else 0.0
    dv = v - st[1, k, j] if ok else 0.0
    st[2, k, j] += 1.0 if ok else 0.0
    st[3, k, j] += du
    st[4, k, j] += dv
    st[5, k, j] += du * du
    st[6, k, j] += dv * dv
    st[7, k, j] += du * dv


@njit(cache=True, inline="always", error_model="numpy")
def _pair_value(a, ka, b, kb, j, stat, ut, vt, min_count):
    """The statistic of parts a and b merged (Chan et al.): ``ut``, ``vt`` are today's pair."""
    na, nb = a[2, ka, j], b[2, kb, j]
    n = na + nb
    if n < min_count or n < 2.0:
        return np.nan
    ia = 1.0 / na if na > 0 else 0.0
    ib = 1.0 / nb if nb > 0 else 0.0
    f = na * nb / n if na > 0 and nb > 0 else 0.0
    du = (b[0, kb, j] - a[0, ka, j]) + (b[3, kb, j] * ib - a[3, ka, j] * ia)
    dv = (b[1, kb, j] - a[1, ka, j]) + (b[4, kb, j] * ib - a[4, ka, j] * ia)
    cuu = max(a[5, ka, j] - a[3, ka, j] ** 2 * ia + b[5, kb, j] - b[3, kb, j] ** 2 * ib + du * du * f, 0.0)
    cvv = max(a[6, ka, j] - a[4, ka, j] ** 2 * ia + b[6, kb, j] - b[4, kb, j] ** 2 * ib + dv * dv * f, 0.0)
    cuv = a[7, ka, j] - a[3, ka, j] * a[4, ka, j] * ia + b[7, kb, j] - b[3, kb, j] * b[4, kb, j] * ib + du * dv * f
    if stat == PAIR_COV:
        return cuv / (n - 1.0)
    if stat == PAIR_CORR:
        return cuv / np.sqrt(cuu * cvv) if cuu > 0.0 and cvv > 0.0 else np.nan
    if not cuu > 0.0:
        return np.nan
    slope = cuv / cuu
    if stat == _REGRESSION + REG_SLOPE:
        return slope
    if stat == _REGRESSION + REG_RSQUARE:
        return cuv * cuv / (cuu * cvv) if cvv > 0.0 else np.nan
    mu = b[0, kb, j] + b[3, kb, j] * ib - du * (na / n) if nb > 0 else a[0, ka, j] + a[3, ka, j] * ia
    mv = b[1, kb, j] + b[4, kb, j] * ib - dv * (na / n) if nb > 0 else a[1, ka, j] + a[4, ka, j] * ia
    intercept = mv - slope * mu
    if stat == _REGRESSION + REG_INTERCEPT:
        return intercept
    if stat == _REGRESSION + REG_FITTED:
        return intercept + slope * ut
    return vt - (intercept + slope * ut)


@njit(cache=True, error_model="numpy")
def _pair_window_2d(x, y, window, min_count, time_x, stat):
    """Two-block pair moments (see ``expressions.kernels.timeseries``); x = row index if time_x."""
    t_len, n = x.shape
    out = np.empty((t_len, n))
    suf = np.zeros((8, _suffix_rows(window, t_len), n))
    pre = np.empty((8, 1, n))
    for b0 in range(0, t_len, window):
        b1 = min(t_len, b0 + window)
        pre[:] = 0.0
        for t in range(b0, b1):
            i = t - b0 + 1
            for j in range(n):
                u = float(t) if time_x else x[t, j]
                _pair_add(u, y[t, j], pre, 0, j)
                out[t, j] = _pair_value(suf, i, pre, 0, j, stat, u, y[t, j], min_count)
        if b1 - b0 == window:
            for t in range(b1 - 1, b0 - 1, -1):
                i = t - b0
                for j in range(n):
                    suf[:, i, j] = suf[:, i + 1, j]
                    _pair_add(float(t) if time_x else x[t, j], y[t, j], suf, i, j)
    return out


@njit(cache=True, error_model="numpy")
def ts_quantile_2d(x, window, min_count, q):
    """Rolling q-quantile of the non-NaN values, linear interpolation (pandas' default).

    Column-outer: each column keeps its window sorted in a small buffer; a new value replaces
    the leaving one by shifting only the entries between their two positions.
    """
    t_len, n = x.shape
    out = np.empty((t_len, n))
    buf = np.empty(min(window, t_len) + 1)
    for j in range(n):
        size = 0
        for t in range(t_len):
            if t >= window:
                size = _sorted_remove(buf, size, x[t - window, j])
            size = _sorted_insert(buf, size, x[t, j])
            if size == 0 or size < min_count:
                out[t, j] = np.nan
                continue
            pos = q * (size - 1)
            lo = int(np.floor(pos))
            hi = min(lo + 1, size - 1)
            out[t, j] = buf[lo] + (buf[hi] - buf[lo]) * (pos - lo)
    return out


@njit(cache=True, inline="always", error_model="numpy")
def _sorted_remove(buf, size, v):
    """Drop one copy of v (if not NaN) from the sorted ``buf[:size]``; returns the new size."""
    if v != v:
        return size
    i = np.searchsorted(buf[:size], v)
    for k in range(i, size - 1):
        buf[k] = buf[k + 1]
    return size - 1


@njit(cache=True, inline="always", error_model="numpy")
def _sorted_insert(buf, size, v):
    """Insert v (if not NaN) into the sorted ``buf[:size]``; returns the new size."""
    if v != v:
        return size
    k = size
    while k > 0 and buf[k - 1] > v:
        buf[k] = buf[k - 1]
        k -= 1
    buf[k] = v
    return size + 1


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


_A = (-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.3577518672690, -30.66479806614716, 2.506628277459239)
_B = (-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572)
_C = (-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783)
_D = (0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416)


@njit(cache=True, error_model="numpy")
def _norm_ppf(p):
    """Standard normal quantile: Acklam's rational approximation plus one Halley step (~1e-15)."""
    if not 0.0 < p < 1.0:
        return np.nan
    if p < 0.02425 or p > 0.97575:
        q = np.sqrt(-2.0 * np.log(min(p, 1.0 - p)))
        num = ((((_C[0] * q + _C[1]) * q + _C[2]) * q + _C[3]) * q + _C[4]) * q + _C[5]
        x = num / ((((_D[0] * q + _D[1]) * q + _D[2]) * q + _D[3]) * q + 1.0)
        x = x if p < 0.5 else -x
    else:
        q = p - 0.5
        r = q * q
        num = (((((_A[0] * r + _A[1]) * r + _A[2]) * r + _A[3]) * r + _A[4]) * r + _A[5]) * q
        x = num / (((((_B[0] * r + _B[1]) * r + _B[2]) * r + _B[3]) * r + _B[4]) * r + 1.0)
    err = 0.5 * math.erfc(-x / np.sqrt(2.0)) - p
    u = err * np.sqrt(2.0 * np.pi) * np.exp(x * x / 2.0)
    return x - u / (1.0 + x * u / 2.0)


@njit(cache=True, error_model="numpy")
def norm_ppf_2d(u):
    """Elementwise standard normal quantile of probabilities in (0, 1); NaN outside."""
    t_len, n = u.shape
    out = np.empty((t_len, n))
    for t in range(t_len):
        for j in range(n):
            out[t, j] = _norm_ppf(u[t, j])
    return out
