"""Slow reference twins: time-series operators (BRAIN names, and Qlib's as ``qlib_*``).

Each twin has the operator's name and signature and is written the obvious way: pandas rolling
where pandas has the operation, else a Python loop over every window. Slow on purpose.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd


def _df(x) -> pd.DataFrame:
    return pd.DataFrame(np.asarray(x, dtype=float))


def _roll(x, d: int, min_periods: int):
    return _df(x).rolling(int(d), min_periods=min_periods)


def _per_window(x, d: int, func) -> np.ndarray:
    """out[t, j] = func(window values of column j ending at t, oldest first, t)."""
    x = np.asarray(x, dtype=float)
    out = np.full(x.shape, np.nan)
    for t in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[t, j] = func(x[max(0, t - d + 1) : t + 1, j], t)
    return out


def _full(win: np.ndarray, d: int) -> np.ndarray | None:
    """The window's values when all d are present (BRAIN's min_periods=d), else None."""
    return win if len(win) == d and not np.isnan(win).any() else None


def _pair(x, y, d: int, func, min_count: int) -> np.ndarray:
    """out[t, j] = func(xs, ys, x_t, y_t) over rows where both are non-NaN, or NaN."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    out = np.full(x.shape, np.nan)
    for t in range(x.shape[0]):
        for j in range(x.shape[1]):
            xs, ys = x[max(0, t - d + 1) : t + 1, j], y[max(0, t - d + 1) : t + 1, j]
            ok = ~np.isnan(xs) & ~np.isnan(ys)
            if ok.sum() >= max(min_count, 2):
                out[t, j] = func(xs[ok], ys[ok], x[t, j], y[t, j])
    return out


# ---------------------------------------------------------------- BRAIN


def ts_delay(x, d):
    return _df(x).shift(int(d)).to_numpy()


def ts_delta(x, d):
    return np.asarray(x, float) - ts_delay(x, d)


def ts_sum(x, d):
    return _roll(x, d, d).sum().to_numpy()


def ts_mean(x, d):
    return _roll(x, d, d).mean().to_numpy()


def ts_product(x, d):
    return _roll(x, d, d).apply(np.nanprod, raw=True).to_numpy()


def ts_min(x, d):
    return _roll(x, d, d).min().to_numpy()


def ts_max(x, d):
    return _roll(x, d, d).max().to_numpy()


def ts_arg_max(x, d):
    return _per_window(x, d, lambda w, t: np.nan if _full(w, d) is None else np.argmax(w[::-1]))


def ts_arg_min(x, d):
    return _per_window(x, d, lambda w, t: np.nan if _full(w, d) is None else np.argmin(w[::-1]))


def _nanstd(a):
    a = a[~np.isnan(a)]
    return np.std(a, ddof=1) if len(a) > 1 else np.nan


def ts_std_dev(x, d):
    # np.std per window, not pandas' rolling std: pandas' running sums keep ~1e-7 of residue
    # after a 1e4 price level has left the window.
    return _roll(x, d, d).apply(_nanstd, raw=True).to_numpy()


def ts_zscore(x, d):
    std = ts_std_dev(x, d)
    return (np.asarray(x, float) - ts_mean(x, d)) / np.where(std > 0, std, np.nan)


def ts_scale(x, d):
    low, high = ts_min(x, d), ts_max(x, d)
    return (np.asarray(x, float) - low) / np.where(high > low, high - low, np.nan)


def ts_av_diff(x, d):
    return np.asarray(x, float) - ts_mean(x, d)


def _brain_rank(w, d):
    if _full(w, d) is None:
        return np.nan
    if d == 1:
        return 0.5
    today = w[-1]
    return (np.sum(w[:-1] < today) + np.sum(w[:-1] == today) / 2) / (d - 1)


def ts_rank(x, d):
    return _per_window(x, d, lambda w, t: _brain_rank(w, d))


def ts_corr(x, y, d):
    def corr(xs, ys, *_):
        if len(xs) < d or np.ptp(xs) == 0 or np.ptp(ys) == 0:
            return np.nan
        return np.corrcoef(xs, ys)[0, 1]

    return _pair(x, y, d, corr, d)


def ts_covariance(x, y, d):
    return _pair(x, y, d, lambda xs, ys, *_: np.cov(xs, ys)[0, 1], d)


def ts_count_nans(x, d):
    return _df(np.isnan(np.asarray(x, float)).astype(float)).rolling(d, min_periods=d).sum().to_numpy()


def _weighted(w, weights):
    return np.nan if np.isnan(w).any() else np.sum(weights * w) / np.sum(weights)


def ts_decay_linear(x, d):
    return _per_window(x, d, lambda w, t: _weighted(w, np.arange(1, d + 1)) if len(w) == d else np.nan)


def ts_decay_exp_window(x, d, factor=1.0):
    weights = factor ** np.arange(d)[::-1]
    return _per_window(x, d, lambda w, t: _weighted(w, weights) if len(w) == d else np.nan)


def kth_element(x, d, k=1):
    def kth(w, t):
        valid = w[~np.isnan(w)][::-1]
        return valid[int(k) - 1] if len(valid) >= k else np.nan

    return _per_window(x, d, kth)


def ts_backfill(x, d):
    return kth_element(x, d, 1)


def last_diff_value(x, d):
    def last_diff(w, t):
        earlier = w[:-1][~np.isnan(w[:-1]) & (w[:-1] != w[-1])]
        return earlier[-1] if len(earlier) and not np.isnan(w[-1]) else np.nan

    return _per_window(x, d, last_diff)


def _ols(xs, ys, xt, yt, rettype):
    design = np.column_stack([np.ones_like(xs), xs])
    (intercept, slope), *_ = np.linalg.lstsq(design, ys, rcond=None)
    if np.ptp(xs) == 0:
        return np.nan
    fitted = intercept + slope * xt
    sse = np.sum((ys - intercept - slope * xs) ** 2)
    sst = np.sum((ys - ys.mean()) ** 2)
    r2 = 1 - sse / sst if sst > 0 else np.nan
    return {0: yt - fitted, 1: intercept, 2: slope, 3: fitted, 6: r2}[int(rettype)]


def ts_regression(y, x, d, rettype=0):
    return _pair(x, y, d, lambda xs, ys, xt, yt: _ols(xs, ys, xt, yt, rettype), d)


def ts_skewness(x, d):
    return _roll(x, d, d).skew().to_numpy()


def ts_kurtosis(x, d):
    return _roll(x, d, d).kurt().to_numpy()


def ts_median(x, d):
    return _roll(x, d, d).median().to_numpy()


def ts_quantile(x, d, driver="gaussian"):
    def quantile(w, t):
        if _full(w, d) is None:
            return np.nan
        u = (np.sum(w < w[-1]) + np.sum(w == w[-1]) / 2) / d
        if driver == "uniform":
            return 2 * u - 1
        if driver == "cauchy":
            return np.tan(np.pi * (u - 0.5))
        return NormalDist().inv_cdf(u)

    return _per_window(x, d, quantile)


def days_from_last_change(x):
    x = np.asarray(x, float)
    out = np.full(x.shape, np.nan)
    for j in range(x.shape[1]):
        last, changed = np.nan, 0
        for t in range(x.shape[0]):
            if np.isnan(x[t, j]):
                continue
            if x[t, j] != last:
                last, changed = x[t, j], t
            out[t, j] = t - changed
    return out


def hump(x, hump=0.01):
    x = np.asarray(x, float)
    out = np.full(x.shape, np.nan)
    for t in range(x.shape[0]):
        limit = hump * np.nansum(np.abs(x[t]))
        for j in range(x.shape[1]):
            prev = out[t - 1, j] if t else np.nan
            keep = not np.isnan(prev) and not np.isnan(x[t, j]) and abs(x[t, j] - prev) <= limit
            out[t, j] = prev if keep else x[t, j]
    return out


def trade_when(enter, value, exit):  # noqa: A002
    enter, value, exit = (np.broadcast_to(np.asarray(a, float), np.shape(value)) for a in (enter, value, exit))
    out = np.full(np.shape(value), np.nan)
    for t in range(out.shape[0]):
        for j in range(out.shape[1]):
            if exit[t, j] > 0:
                out[t, j] = np.nan
            elif enter[t, j] > 0:
                out[t, j] = value[t, j]
            elif t:
                out[t, j] = out[t - 1, j]
    return out


# ---------------------------------------------------------------- Qlib (qlib/data/ops.py semantics)


def qlib_ref(x, n):
    return _df(x).shift(int(n)).to_numpy()


def qlib_delta(x, n):
    return np.asarray(x, float) - qlib_ref(x, n)


def _qlib_roll(method):
    def twin(x, n):
        return getattr(_roll(x, n, 1), method)().to_numpy()

    twin.__name__ = f"qlib_{method}"
    return twin


qlib_mean = _qlib_roll("mean")
qlib_sum = _qlib_roll("sum")


def qlib_std(x, n):
    return _roll(x, n, 1).apply(_nanstd, raw=True).to_numpy()


def qlib_var(x, n):
    return qlib_std(x, n) ** 2


qlib_skew = _qlib_roll("skew")
qlib_kurt = _qlib_roll("kurt")
qlib_max = _qlib_roll("max")
qlib_min = _qlib_roll("min")
qlib_med = _qlib_roll("median")
qlib_count = _qlib_roll("count")


def qlib_quantile(x, n, qscore):
    return _roll(x, n, 1).quantile(qscore).to_numpy()


def qlib_idxmax(x, n):
    return _roll(x, n, 1).apply(lambda a: a.argmax() + 1, raw=True).to_numpy()


def qlib_idxmin(x, n):
    return _roll(x, n, 1).apply(lambda a: a.argmin() + 1, raw=True).to_numpy()


def qlib_mad(x, n):
    def mad(a):
        a = a[~np.isnan(a)]
        return np.mean(np.abs(a - a.mean()))

    return _roll(x, n, 1).apply(mad, raw=True).to_numpy()


def qlib_rank(x, n):
    return _roll(x, n, 1).rank(pct=True).to_numpy()


def qlib_wma(x, n):
    def weighted_mean(a):
        w = np.arange(len(a)) + 1
        return np.nanmean(w / w.sum() * a)

    return _roll(x, n, 1).apply(weighted_mean, raw=True).to_numpy()


def qlib_ema(x, n):
    return _df(x).ewm(span=n, min_periods=1).mean().to_numpy()


def _time_regression(x, n, pick):
    """Qlib's rolling regression of the window's non-NaN values on their positions 1..n."""
    x = np.asarray(x, float)
    out = np.full(x.shape, np.nan)
    for t in range(x.shape[0]):
        for j in range(x.shape[1]):
            ys = x[max(0, t - n + 1) : t + 1, j]
            pos = np.arange(n - len(ys) + 1, n + 1, dtype=float)
            ok = ~np.isnan(ys)
            if ok.sum() >= 2:
                slope, intercept = np.polyfit(pos[ok], ys[ok], 1)
                out[t, j] = pick(slope, intercept, pos[ok], ys[ok], x[t, j], n)
    return out


def qlib_slope(x, n):
    return _time_regression(x, n, lambda b, a, xs, ys, yt, n: b)


def qlib_resi(x, n):
    return _time_regression(x, n, lambda b, a, xs, ys, yt, n: yt - (a + b * n))


def qlib_rsquare(x, n):
    r2 = _time_regression(x, n, lambda b, a, xs, ys, yt, n: np.corrcoef(xs, ys)[0, 1] ** 2)
    r2[np.isclose(qlib_std(x, n), 0, atol=2e-05)] = np.nan
    return r2


def qlib_corr(x, y, n):
    res = _roll(x, n, 1).corr(_df(y)).to_numpy().copy()
    flat = np.isclose(qlib_std(x, n), 0, atol=2e-05) | np.isclose(qlib_std(y, n), 0, atol=2e-05)
    res[flat] = np.nan
    return res


def qlib_cov(x, y, n):
    # pandas rolling(n, min_periods=1).cov over rows where both exist, ddof=1, computed exactly.
    return _pair(x, y, n, lambda xs, ys, *_: np.cov(xs, ys)[0, 1], 1)
