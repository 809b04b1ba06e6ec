"""numba kernels: rolling moments, pair statistics, regression and order statistics.

Same conventions as ``expressions.kernels.timeseries``: [T, N] float64 C-order input, rows
outer and columns inner in blocks of ``BLOCK`` spread by ``prange``, NaNs skipped, NaN result
below ``min_count`` non-NaN values (pairs: below ``min_count`` rows where both are non-NaN).

Moments are computed two-pass over each window (mean first, then centred sums). Running sums of
powers lose every significant digit on prices (x^4 of 500.0 is 6e10) and on constant stretches,
and windows are short enough (O(window) per value, vectorised) for the exact form to be cheap.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from expressions.kernels.timeseries import PARALLEL, _block, _nblocks

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


@njit(cache=True, parallel=PARALLEL, error_model="numpy")
def ts_moment_2d(x, window, min_count, kind):
    """Rolling skewness / excess kurtosis (pandas' bias-corrected formulas) or mean abs deviation.

    Skew needs 3 and kurtosis 4 non-NaN values (pandas); a window with zero variance gives NaN.
    ``MOMENT_MAD``: mean of |x - mean| over the non-NaN values (Qlib ``Mad``).
    """
    t_len, n = x.shape
    out = np.empty((t_len, n))
    for b in prange(_nblocks(n)):
        j0, j1 = _block(b, n)
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


@njit(cache=True, parallel=PARALLEL, error_model="numpy")
def ts_pair_2d(x, y, window, min_count, kind):
    """Rolling covariance (ddof=1) or Pearson correlation over rows where both are non-NaN.

    Correlation is NaN when either side has zero variance in the window.
    """
    t_len, n = x.shape
    out = np.empty((t_len, n))
    for b in prange(_nblocks(n)):
        j0, j1 = _block(b, n)
        m = j1 - j0
        mx, my, cnt = np.empty(m), np.empty(m), np.empty(m)
        sxx, syy, sxy = np.empty(m), np.empty(m), np.empty(m)
        for t in range(t_len):
            start = max(0, t - window + 1)
            _pair_sums(x, y, start, t, j0, j1, mx, my, cnt, sxx, syy, sxy, False)
            for j in range(j0, j1):
                k = j - j0
                c = cnt[k]
                if c < min_count or c < 2.0:
                    out[t, j] = np.nan
                elif kind == PAIR_COV:
                    out[t, j] = sxy[k] / (c - 1.0)
                elif sxx[k] > 0.0 and syy[k] > 0.0:
                    out[t, j] = sxy[k] / np.sqrt(sxx[k] * syy[k])
                else:
                    out[t, j] = np.nan
    return out


@njit(cache=True, inline="always", error_model="numpy")
def _pair_sums(x, y, start, t, j0, j1, mx, my, cnt, sxx, syy, sxy, time_x):
    """Centred sums over rows start..t where both values are non-NaN (x = row index if time_x).

    The means are taken as the first pair plus the mean offset from it, so a constant window
    gives exactly zero deviations (and zero variance) instead of rounding residue.
    """
    mx[:] = np.nan
    my[:] = np.nan
    for r in range(start, t + 1):
        for j in range(j0, j1):
            u = float(r) if time_x else x[r, j]
            v = y[r, j]
            ok = u == u and v == v
            first = ok and mx[j - j0] != mx[j - j0]
            mx[j - j0] = u if first else mx[j - j0]
            my[j - j0] = v if first else my[j - j0]
    sxx[:] = 0.0
    syy[:] = 0.0
    cnt[:] = 0.0
    for r in range(start, t + 1):
        for j in range(j0, j1):
            u = float(r) if time_x else x[r, j]
            v = y[r, j]
            ok = u == u and v == v
            sxx[j - j0] += u - mx[j - j0] if ok else 0.0
            syy[j - j0] += v - my[j - j0] if ok else 0.0
            cnt[j - j0] += 1.0 if ok else 0.0
    mx += sxx / cnt
    my += syy / cnt
    sxx[:] = 0.0
    syy[:] = 0.0
    sxy[:] = 0.0
    for r in range(start, t + 1):
        for j in range(j0, j1):
            u = float(r) if time_x else x[r, j]
            v = y[r, j]
            ok = u == u and v == v
            du = u - mx[j - j0] if ok else 0.0
            dv = v - my[j - j0] if ok else 0.0
            sxx[j - j0] += du * du
            syy[j - j0] += dv * dv
            sxy[j - j0] += du * dv


@njit(cache=True, parallel=PARALLEL, error_model="numpy")
def ts_regression_2d(y, x, window, min_count, rettype, time_x):
    """Rolling OLS of y on x (with intercept) over rows where both are non-NaN.

    ``rettype``: 0 residual of today (y - fitted), 1 intercept, 2 slope, 3 fitted value today,
    6 R-squared. ``time_x``: regress on the row index instead of x (Qlib ``Slope``/``Resi``/
    ``Rsquare``; OLS is shift invariant so this equals Qlib's 1..N positions). NaN with fewer
    than 2 points, zero variance of x, or (R-squared) zero variance of y.
    """
    t_len, n = y.shape
    out = np.empty((t_len, n))
    for b in prange(_nblocks(n)):
        j0, j1 = _block(b, n)
        m = j1 - j0
        mx, my, cnt = np.empty(m), np.empty(m), np.empty(m)
        sxx, syy, sxy = np.empty(m), np.empty(m), np.empty(m)
        for t in range(t_len):
            start = max(0, t - window + 1)
            _pair_sums(x, y, start, t, j0, j1, mx, my, cnt, sxx, syy, sxy, time_x)
            for j in range(j0, j1):
                k = j - j0
                if cnt[k] < min_count or cnt[k] < 2.0 or not sxx[k] > 0.0:
                    out[t, j] = np.nan
                    continue
                slope = sxy[k] / sxx[k]
                intercept = my[k] - slope * mx[k]
                xt = float(t) if time_x else x[t, j]
                if rettype == REG_SLOPE:
                    out[t, j] = slope
                elif rettype == REG_INTERCEPT:
                    out[t, j] = intercept
                elif rettype == REG_FITTED:
                    out[t, j] = intercept + slope * xt
                elif rettype == REG_RESIDUAL:
                    out[t, j] = y[t, j] - (intercept + slope * xt)
                elif syy[k] > 0.0:
                    out[t, j] = sxy[k] * sxy[k] / (sxx[k] * syy[k])
                else:
                    out[t, j] = np.nan
    return out


@njit(cache=True, parallel=PARALLEL, error_model="numpy")
def ts_quantile_2d(x, window, min_count, q):
    """Rolling q-quantile of the non-NaN values, linear interpolation (pandas' default).

    Column-outer: each column keeps its window sorted in a small buffer (binary search, shift
    insert/remove: O(window) memmove per row, far below a sort per row).
    """
    t_len, n = x.shape
    out = np.empty((t_len, n))
    for j in prange(n):
        buf = np.empty(window)
        size = 0
        for t in range(t_len):
            if t >= window:
                old = x[t - window, j]
                if old == old:
                    i = np.searchsorted(buf[:size], old)
                    buf[i : size - 1] = buf[i + 1 : size].copy()
                    size -= 1
            v = x[t, j]
            if v == v:
                i = np.searchsorted(buf[:size], v)
                buf[i + 1 : size + 1] = buf[i:size].copy()
                buf[i] = v
                size += 1
            if size == 0 or size < min_count:
                out[t, j] = np.nan
                continue
            pos = q * (size - 1)
            lo = int(np.floor(pos))
            hi = min(lo + 1, size - 1)
            out[t, j] = buf[lo] + (buf[hi] - buf[lo]) * (pos - lo)
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


@njit(cache=True, parallel=PARALLEL, error_model="numpy")
def norm_ppf_2d(u):
    """Elementwise standard normal quantile of probabilities in (0, 1); NaN outside."""
    t_len, n = u.shape
    out = np.empty((t_len, n))
    for t in prange(t_len):
        for j in range(n):
            out[t, j] = _norm_ppf(u[t, j])
    return out
