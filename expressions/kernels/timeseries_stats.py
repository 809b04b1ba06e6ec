"""numba kernels: rolling moments, pair statistics (covariance, correlation, regression).

Same conventions as ``expressions.kernels.timeseries``: [T, N] float64 C-order input, rows
outer and columns inner, NaNs skipped, NaN result below ``min_count`` non-NaN values (pairs:
below ``min_count`` rows where both are non-NaN).

Skewness and kurtosis are computed two-pass over each window (mean first, then centred sums):
running sums of powers lose every significant digit on prices (x^4 of 500.0 is 6e10) and on
constant stretches. Pair sums use the two-block scheme of ``expressions.kernels.timeseries``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from expressions.kernels.timeseries import _suffix_rows, block_refs

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
    s1, cnt, ref = np.empty(n), np.empty(n), np.empty(n)
    m2, m3, m4 = np.empty(n), np.empty(n), np.empty(n)
    for t in range(t_len):
        start = max(0, t - window + 1)
        s1[:] = 0.0
        cnt[:] = 0.0
        ref[:] = np.nan
        for r in range(start, t + 1):
            for j in range(n):
                v = x[r, j]
                ok = v == v
                ref[j] = v if ref[j] != ref[j] else ref[j]
                s1[j] += v - ref[j] if ok else 0.0
                cnt[j] += 1.0 if ok else 0.0
        for j in range(n):
            s1[j] = ref[j] + s1[j] / cnt[j]
        m2[:] = 0.0
        m3[:] = 0.0
        m4[:] = 0.0
        for r in range(start, t + 1):
            for j in range(n):
                v = x[r, j]
                d = v - s1[j] if v == v else 0.0
                d2 = d * d
                m2[j] += abs(d) if kind == MOMENT_MAD else d2
                m3[j] += d2 * d
                m4[j] += d2 * d2
        for j in range(n):
            c = cnt[j]
            out[t, j] = _moment_value(kind, c, m2[j], m3[j], m4[j], min_count)
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
    return _pair_window_2d(x, y, window, min_count, kind, False)


@njit(cache=True, error_model="numpy")
def ts_regression_2d(y, x, window, min_count, rettype, time_x):
    """Rolling OLS of y on x (with intercept) over rows where both are non-NaN.

    ``rettype``: 0 residual of today (y - fitted), 1 intercept, 2 slope, 3 fitted value today,
    6 R-squared. ``time_x``: regress on the row index instead of x (Qlib ``Slope``/``Resi``/
    ``Rsquare``; OLS is shift invariant so this equals Qlib's 1..N positions). NaN with fewer
    than 2 points, zero variance of x, or (R-squared) zero variance of y.
    """
    return _pair_window_2d(x, y, window, min_count, _REGRESSION + rettype, time_x)


_REGRESSION = 10  # statistic codes of _pair_window_2d: PAIR_* below it, _REGRESSION + rettype


@njit(cache=True, error_model="numpy")
def _pair_window_2d(x, y, window, min_count, stat, time_x):
    """Two-block pair sums of (u, v) = (x, y) (see ``expressions.kernels.timeseries``); u is
    the row number when ``time_x`` (no [T, N] array of row numbers: a fresh 5 MB costs more in
    page faults than the kernel).

    Each part sums deviations du, dv from its reference pair (``block_refs``) and their
    squares and product; the suffix's sums are re-based onto the prefix's reference, then the
    centred sums are ``c * S_uv - S_u * S_v`` (times 1/c), exact zeros on constant windows.
    """
    if min_count >= window and not time_x:
        if stat == PAIR_COV:
            return _full_cov_2d(x, y, window)
        return _full_pair_window_2d(x, y, window, stat)
    t_len, n = x.shape
    out = np.empty((t_len, n))
    rows = _suffix_rows(window, t_len)
    sc, su, sv = np.zeros((rows, n)), np.zeros((rows, n)), np.zeros((rows, n))
    suu, svv, suv = np.zeros((rows, n)), np.zeros((rows, n)), np.zeros((rows, n))
    pc, pu, pv, puu, pvv, puv = np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    rsu, rsv, rpu, rpv = np.zeros(n), np.zeros(n), np.empty(n), np.empty(n)
    for b0 in range(0, t_len, window):
        b1 = min(t_len, b0 + window)
        block_refs(x, y, b0, b1, True, rpu, rpv, time_x)
        for a in (pc, pu, pv, puu, pvv, puv):
            a[:] = 0.0
        for t in range(b0, b1):
            i = t - b0 + 1
            for j in range(n):
                u, v = float(t) if time_x else x[t, j], y[t, j]
                ok = (u == u) & (v == v)
                du = u - rpu[j] if ok else 0.0
                dv = v - rpv[j] if ok else 0.0
                pc[j] += 1.0 if ok else 0.0
                pu[j] += du
                pv[j] += dv
                puu[j] += du * du
                pvv[j] += dv * dv
                puv[j] += du * dv
                na = sc[i, j]
                both = (na > 0) & (pc[j] > 0)
                eu = rpu[j] - rsu[j] if both else 0.0
                ev = rpv[j] - rsv[j] if both else 0.0
                c = na + pc[j]
                au = su[i, j] - na * eu + pu[j]
                av = sv[i, j] - na * ev + pv[j]
                cuu = c * (suu[i, j] - eu * (2.0 * su[i, j] - na * eu) + puu[j]) - au * au
                cvv = c * (svv[i, j] - ev * (2.0 * sv[i, j] - na * ev) + pvv[j]) - av * av
                cuv = c * (suv[i, j] - eu * sv[i, j] - ev * su[i, j] + na * eu * ev + puv[j]) - au * av
                ok = (c >= min_count) & (c >= 2.0)
                val = _pair_value(stat, c, cuu, cvv, cuv, au, av, rpu[j], rpv[j], u, v)
                out[t, j] = val if ok else np.nan
        if b1 - b0 == window:
            block_refs(x, y, b0, b1, False, rsu, rsv, time_x)
            for t in range(b1 - 1, b0 - 1, -1):
                i = t - b0
                for j in range(n):
                    u, v = float(t) if time_x else x[t, j], y[t, j]
                    ok = (u == u) & (v == v)
                    du = u - rsu[j] if ok else 0.0
                    dv = v - rsv[j] if ok else 0.0
                    sc[i, j] = sc[i + 1, j] + (1.0 if ok else 0.0)
                    su[i, j] = su[i + 1, j] + du
                    sv[i, j] = sv[i + 1, j] + dv
                    suu[i, j] = suu[i + 1, j] + du * du
                    svv[i, j] = svv[i + 1, j] + dv * dv
                    suv[i, j] = suv[i + 1, j] + du * dv
    return out


@njit(cache=True, error_model="numpy")
def _full_pair_window_2d(x, y, window, stat):
    """``_pair_window_2d`` when all ``window`` pairs must be present (BRAIN): NaNs propagate
    through the sums, and the references are the block's first and last rows."""
    t_len, n = x.shape
    out = np.empty((t_len, n))
    rows = _suffix_rows(window, t_len)
    su, sv = np.zeros((rows, n)), np.zeros((rows, n))
    suu, svv, suv = np.zeros((rows, n)), np.zeros((rows, n)), np.zeros((rows, n))
    pu, pv, puu, pvv, puv = np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    rsu, rsv = np.zeros(n), np.zeros(n)
    c = float(window)
    for b0 in range(0, t_len, window):
        b1 = min(t_len, b0 + window)
        for a in (pu, pv, puu, pvv, puv):
            a[:] = 0.0
        for t in range(b0, b1):
            i = t - b0 + 1
            na = float(window - i)
            for j in range(n):
                u, v = x[t, j], y[t, j]
                du, dv = u - x[b0, j], v - y[b0, j]
                pu[j] += du
                pv[j] += dv
                puu[j] += du * du
                pvv[j] += dv * dv
                puv[j] += du * dv
                eu = x[b0, j] - rsu[j] if na > 0 else 0.0
                ev = y[b0, j] - rsv[j] if na > 0 else 0.0
                au = su[i, j] - na * eu + pu[j]
                av = sv[i, j] - na * ev + pv[j]
                cuu = c * (suu[i, j] - eu * (2.0 * su[i, j] - na * eu) + puu[j]) - au * au
                cvv = c * (svv[i, j] - ev * (2.0 * sv[i, j] - na * ev) + pvv[j]) - av * av
                cuv = c * (suv[i, j] - eu * sv[i, j] - ev * su[i, j] + na * eu * ev + puv[j]) - au * av
                out[t, j] = _pair_value(stat, c, cuu, cvv, cuv, au, av, x[b0, j], y[b0, j], u, v)
        if b1 - b0 == window:
            rsu[:] = x[b1 - 1]
            rsv[:] = y[b1 - 1]
            for t in range(b1 - 1, b0 - 1, -1):
                i = t - b0
                for j in range(n):
                    du, dv = x[t, j] - rsu[j], y[t, j] - rsv[j]
                    su[i, j] = su[i + 1, j] + du
                    sv[i, j] = sv[i + 1, j] + dv
                    suu[i, j] = suu[i + 1, j] + du * du
                    svv[i, j] = svv[i + 1, j] + dv * dv
                    suv[i, j] = suv[i + 1, j] + du * dv
    out[: window - 1] = np.nan
    if window < 2:
        out[:] = np.nan
    return out


@njit(cache=True, error_model="numpy")
def _full_cov_2d(x, y, window):
    """``_full_pair_window_2d`` for the covariance, which needs no sums of squares (3 sums, not
    5: 40% less memory traffic)."""
    t_len, n = x.shape
    out = np.empty((t_len, n))
    rows = _suffix_rows(window, t_len)
    su, sv, suv = np.zeros((rows, n)), np.zeros((rows, n)), np.zeros((rows, n))
    pu, pv, puv, rsu, rsv = np.empty(n), np.empty(n), np.empty(n), np.zeros(n), np.zeros(n)
    c = float(window)
    for b0 in range(0, t_len, window):
        b1 = min(t_len, b0 + window)
        pu[:] = 0.0
        pv[:] = 0.0
        puv[:] = 0.0
        for t in range(b0, b1):
            i = t - b0 + 1
            na = float(window - i)
            for j in range(n):
                du, dv = x[t, j] - x[b0, j], y[t, j] - y[b0, j]
                pu[j] += du
                pv[j] += dv
                puv[j] += du * dv
                eu = x[b0, j] - rsu[j] if na > 0 else 0.0
                ev = y[b0, j] - rsv[j] if na > 0 else 0.0
                au = su[i, j] - na * eu + pu[j]
                av = sv[i, j] - na * ev + pv[j]
                cuv = c * (suv[i, j] - eu * sv[i, j] - ev * su[i, j] + na * eu * ev + puv[j]) - au * av
                out[t, j] = cuv / (c * (c - 1.0))
        if b1 - b0 == window:
            rsu[:] = x[b1 - 1]
            rsv[:] = y[b1 - 1]
            for t in range(b1 - 1, b0 - 1, -1):
                i = t - b0
                for j in range(n):
                    du, dv = x[t, j] - rsu[j], y[t, j] - rsv[j]
                    su[i, j] = su[i + 1, j] + du
                    sv[i, j] = sv[i + 1, j] + dv
                    suv[i, j] = suv[i + 1, j] + du * dv
    out[: window - 1] = np.nan
    if window < 2:
        out[:] = np.nan
    return out


@njit(cache=True, inline="always", error_model="numpy")
def _pair_value(stat, c, cuu, cvv, cuv, au, av, ru, rv, ut, vt):
    """The statistic from c times the centred sums (rounding below 0 clamped, NaN kept);
    ``au``/``av``: summed deviations from the references ``ru``/``rv``; ``ut``/``vt``: today's
    pair."""
    cuu = 0.0 if cuu < 0.0 else cuu  # noqa: FURB136 (numba's max() drops a NaN)
    cvv = 0.0 if cvv < 0.0 else cvv  # noqa: FURB136
    if stat == PAIR_COV:
        return cuv / (c * (c - 1.0))
    if stat == PAIR_CORR:
        return cuv / np.sqrt(cuu * cvv) if (cuu > 0.0) & (cvv > 0.0) else np.nan
    slope = cuv / cuu if cuu > 0.0 else np.nan
    if stat == _REGRESSION + REG_SLOPE:
        return slope
    if stat == _REGRESSION + REG_RSQUARE:
        return cuv * cuv / (cuu * cvv) if (cuu > 0.0) & (cvv > 0.0) else np.nan
    intercept = (rv + av / c) - slope * (ru + au / c)
    if stat == _REGRESSION + REG_INTERCEPT:
        return intercept
    if stat == _REGRESSION + REG_FITTED:
        return intercept + slope * ut
    return vt - (intercept + slope * ut)


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
