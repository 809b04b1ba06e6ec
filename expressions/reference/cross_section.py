"""Slow reference twins: cross-sectional and group operators.

One day at a time with pandas (rank, groupby) and plain numpy; same names and signatures as
the operators. pandas and scipy.stats are imported inside the functions because they are test
dependencies, not runtime ones.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

__all__: list[str] = [
    "rank", "zscore", "scale", "normalize", "quantile", "winsorize", "truncate",
    "regression_neut", "vector_neut",
    "group_neutralize", "group_rank", "group_zscore", "group_mean", "group_scale", "group_sum",
    "group_count", "group_max", "group_min", "group_backfill", "bucket",
]


def _rows(x) -> np.ndarray:
    return np.atleast_2d(np.asarray(x, dtype=np.float64))


def _per_day(x, day_rule) -> np.ndarray:
    """Apply day_rule(pandas Series of the day's non-NaN values) -> values, row by row."""
    import pandas as pd

    x = _rows(x)
    out = np.full(x.shape, np.nan)
    for t, row in enumerate(x):
        day = pd.Series(row).dropna()
        if len(day):
            result = day_rule(day)
            out[t, result.index.to_numpy()] = result.to_numpy()
    return out


def _spread_is_zero(day) -> bool:
    return day.min() == day.max()


def rank(x):
    def day_rule(day):
        if len(day) == 1:
            return day.map(lambda _: 0.5)  # also for a lone inf (inf * 0 would be NaN)
        return (day.rank(method="average") - 1) / (len(day) - 1)

    return _per_day(x, day_rule)


def zscore(x):
    return _per_day(x, lambda day: day * np.nan if _spread_is_zero(day) else (day - day.mean()) / day.std(ddof=0))


def scale(x, scale=1.0):
    return _per_day(x, lambda day: day * np.nan if day.abs().sum() == 0 else day * scale / day.abs().sum())


def normalize(x, useStd=0.0, limit=0.0):  # noqa: N803
    def day_rule(day):
        if useStd and _spread_is_zero(day):
            return day * np.nan
        out = day - day.mean()
        if useStd:
            out = out / day.std(ddof=0)
        return out.clip(-limit, limit) if limit > 0 else out

    return _per_day(x, day_rule)


def quantile(x, driver="gaussian", sigma=1.0):
    from scipy import stats

    inverse_cdf = {
        "gaussian": stats.norm.ppf,
        "uniform": lambda p: 2 * p - 1,
        "cauchy": stats.cauchy.ppf,
    }[driver]

    def day_rule(day):
        p = (day.rank(method="average") - 0.5) / len(day)
        return p * 0 + sigma * np.asarray(inverse_cdf(p.to_numpy()))

    return _per_day(x, day_rule)


def winsorize(x, std=4.0):
    def day_rule(day):
        if _spread_is_zero(day):
            return day
        band = std * day.std(ddof=0)
        return day.clip(day.mean() - band, day.mean() + band)

    return _per_day(x, day_rule)


def truncate(x, maxPercent=0.01):  # noqa: N803
    return _per_day(x, lambda day: day.clip(-maxPercent * day.abs().sum(), maxPercent * day.abs().sum()))


def regression_neut(y, x):
    y, x = np.broadcast_arrays(_rows(y), _rows(x))
    out = np.full(y.shape, np.nan)
    for t in range(y.shape[0]):
        both = ~(np.isnan(y[t]) | np.isnan(x[t]))
        if not both.any():
            continue
        xs, ys = x[t, both], y[t, both]
        if xs.min() == xs.max():
            slope = 0.0
        else:
            slope = np.polyfit(xs, ys, 1)[0]
        intercept = ys.mean() - slope * xs.mean()
        out[t, both] = ys - (intercept + slope * xs)
    return out


def vector_neut(x, y):
    x, y = np.broadcast_arrays(_rows(x), _rows(y))
    out = np.full(x.shape, np.nan)
    for t in range(x.shape[0]):
        both = ~(np.isnan(y[t]) | np.isnan(x[t]))
        xs, ys = x[t, both], y[t, both]
        yy = float(ys @ ys)
        out[t, both] = xs - (float(xs @ ys) / yy) * ys if yy > 0 else xs
    return out


def _per_group(x, g, group_rule) -> np.ndarray:
    """Apply group_rule(pandas Series of one group's non-NaN values) per day and group."""
    import pandas as pd

    x = _rows(x)
    g = np.broadcast_to(np.asarray(g), x.shape)
    out = np.full(x.shape, np.nan)
    for t in range(x.shape[0]):
        frame = pd.DataFrame({"x": x[t], "g": g[t]})
        frame = frame[(frame.g >= 0) & frame.x.notna()]
        for _, members in frame.groupby("g"):
            result = group_rule(members.x)
            out[t, result.index.to_numpy()] = result.to_numpy()
    return out


def group_neutralize(x, group):
    return _per_group(x, group, lambda v: v - v.mean())


def group_rank(x, group):
    return _per_group(x, group, lambda v: v.map(lambda _: 0.5) if len(v) == 1 else (v.rank() - 1) / (len(v) - 1))


def group_zscore(x, group):
    return _per_group(x, group, lambda v: v * np.nan if _spread_is_zero(v) else (v - v.mean()) / v.std(ddof=0))


def group_mean(x, group):
    return _per_group(x, group, lambda v: v * 0 + v.mean())


def group_scale(x, group):
    return _per_group(x, group, lambda v: v * np.nan if _spread_is_zero(v) else (v - v.min()) / (v.max() - v.min()))


def group_sum(x, group):
    return _per_group(x, group, lambda v: v * 0 + v.sum())


def group_count(x, group):
    return _per_group(x, group, lambda v: v * 0 + len(v))


def group_max(x, group):
    return _per_group(x, group, lambda v: v * 0 + v.max())


def group_min(x, group):
    return _per_group(x, group, lambda v: v * 0 + v.min())


def group_backfill(x, group, d, std=4.0):
    x = _rows(x)
    g = np.broadcast_to(np.asarray(group), x.shape)
    out = x.copy()
    for t in range(x.shape[0]):
        first = max(0, t - d + 1)
        pool_x = x[first : t + 1].ravel()
        pool_g = g[first : t + 1].ravel()
        for i in np.flatnonzero(np.isnan(x[t]) & (g[t] >= 0)):
            pool = pool_x[(pool_g == g[t, i]) & ~np.isnan(pool_x)]
            if pool.size:
                band = std * pool.std()
                out[t, i] = np.clip(pool, pool.mean() - band, pool.mean() + band).mean()
    return out


def bucket(x, range="0,1,0.1", buckets=""):  # noqa: A002
    if buckets:
        edges = [float(v) for v in buckets.split(",")]
    else:
        start, end, step = (float(v) for v in range.split(","))
        edges = [start + step * i for i in builtins.range(int(round((end - start) / step)) + 1)]
    x = _rows(x)
    out = np.full(x.shape, -1, dtype=np.int64)
    for position in np.ndindex(x.shape):
        value = x[position]
        if not math.isnan(value):
            below = sum(1 for edge in edges if edge <= value)
            out[position] = min(max(below - 1, 0), len(edges) - 2)
    return out

