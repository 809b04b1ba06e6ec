"""Operator declarations: BRAIN time-series operators (one instrument's last d days, today included).

NaN rules, by family (each declaration's ``nan_rule`` names its family):

- ROLLING: NaNs in the window are skipped; the result is NaN unless all ``d`` values of the
  window are non-NaN (pandas ``rolling(d, min_periods=d)``). So the first d-1 days are NaN.
- PAIR (ts_corr, ts_covariance, ts_regression): as ROLLING, counting days where both are non-NaN.
- TODAY (ts_rank, ts_zscore, ts_scale, ts_av_diff, ts_quantile): as ROLLING, and NaN when today
  is NaN.
- SHIFT (ts_delay, ts_delta): plain shifts; NaN where a shifted-in value is NaN.
- FILL (ts_backfill, kth_element, last_diff_value): look back through NaNs within the window.
- PATH (days_from_last_change, hump, trade_when): state carried across days, rules on each op.

Divisions by zero (zero variance, zero range, zero weight) give NaN, never inf.
"""

from __future__ import annotations

import numpy as np

from expressions.errors import EvaluationError
from expressions.kernels import timeseries as ts
from expressions.kernels import timeseries_order as order
from expressions.kernels import timeseries_path as path
from expressions.kernels import timeseries_stats as stats
from expressions.kernels import timeseries_weighted as weighted
from expressions.kernels._wrap import panel, panels, shift, window
from expressions.reference import timeseries as reference
from expressions.registry import Param, operator, window_lookback
from expressions.types import Scalar, Series, Text, Window

ROLLING = "ROLLING: NaNs skipped; NaN unless all d window values are non-NaN"
PAIR = "PAIR: days with both non-NaN count; NaN unless all d days have both"
TODAY = "TODAY: as ROLLING, and NaN when today's value is NaN"
SHIFT = "SHIFT: NaN where the shifted-in value is NaN or missing"
FILL = "FILL: looks back through NaNs within the window"


def _declare(args, nan_rule, cost=2.0, aliases=(), params=(), lookback=window_lookback):
    def register(fn):
        return operator(
            args=args,
            returns=Series,
            category="time_series",
            aliases=aliases,
            params=params,
            lookback=lookback,
            nan_rule=nan_rule,
            cost=cost,
            reference=getattr(reference, fn.__name__),
        )(fn)

    return register


def _delay_lookback(d: int) -> int:
    return d


def _rolling(fn):
    """Declaration of a one-series rolling op ``fn(x, d)``."""
    return _declare((Series, Window), ROLLING)(fn)


@_declare((Series, Window), SHIFT, cost=1.0, aliases=("delay",), lookback=_delay_lookback)
def ts_delay(x, d):
    """Value d days ago."""
    return shift(panel(x), window(d, "ts_delay"))


@_declare((Series, Window), SHIFT, cost=1.0, aliases=("delta",), lookback=_delay_lookback)
def ts_delta(x, d):
    """Today's value minus the value d days ago."""
    return ts.ts_delta_2d(panel(x), window(d, "ts_delta"))


@_declare((Series, Window), ROLLING, aliases=("sum",))
def ts_sum(x, d):
    """Sum over the last d days."""
    d = window(d, "ts_sum")
    return ts.ts_sum_2d(panel(x), d, d)


@_rolling
def ts_mean(x, d):
    """Mean over the last d days."""
    d = window(d, "ts_mean")
    return ts.ts_sum_2d(panel(x), d, d, True)


@_declare((Series, Window), ROLLING, cost=5.0, aliases=("product",))
def ts_product(x, d):
    """Product over the last d days."""
    d = window(d, "ts_product")
    return ts.ts_product_2d(panel(x), d, d)


@_declare((Series, Window), ROLLING, cost=4.0)
def ts_min(x, d):
    """Minimum over the last d days."""
    d = window(d, "ts_min")
    return order.ts_extreme_2d(panel(x), d, d, False, False)


@_declare((Series, Window), ROLLING, cost=4.0)
def ts_max(x, d):
    """Maximum over the last d days."""
    d = window(d, "ts_max")
    return order.ts_extreme_2d(panel(x), d, d, True, False)


@_declare((Series, Window), ROLLING, cost=4.0, aliases=("ts_argmax",))
def ts_arg_max(x, d):
    """Days since the maximum of the last d days (today = 0; ties: the most recent)."""
    d = window(d, "ts_arg_max")
    return order.ts_extreme_2d(panel(x), d, d, True, True)


@_declare((Series, Window), ROLLING, cost=4.0, aliases=("ts_argmin",))
def ts_arg_min(x, d):
    """Days since the minimum of the last d days (today = 0; ties: the most recent)."""
    d = window(d, "ts_arg_min")
    return order.ts_extreme_2d(panel(x), d, d, False, True)


@_declare((Series, Window), ROLLING, cost=3.0, aliases=("stddev",))
def ts_std_dev(x, d):
    """Sample standard deviation (ddof=1) over the last d days; NaN for d = 1."""
    d = window(d, "ts_std_dev")
    return ts.ts_var_2d(panel(x), d, d, 1, True)


@_declare((Series, Window), TODAY, cost=4.0)
def ts_zscore(x, d):
    """(x - ts_mean(x, d)) / ts_std_dev(x, d); NaN when the deviation is 0."""
    d = window(d, "ts_zscore")
    x = panel(x)
    std = ts.ts_var_2d(x, d, d, 1, True)
    return (x - ts.ts_sum_2d(x, d, d, True)) / np.where(std > 0, std, np.nan)


@_declare((Series, Window), TODAY, cost=6.0)
def ts_scale(x, d):
    """(x - ts_min(x, d)) / (ts_max(x, d) - ts_min(x, d)) in [0, 1]; NaN when the range is 0."""
    d = window(d, "ts_scale")
    x = panel(x)
    low = order.ts_extreme_2d(x, d, d, False, False)
    span = order.ts_extreme_2d(x, d, d, True, False) - low
    return (x - low) / np.where(span > 0, span, np.nan)


@_declare((Series, Window), TODAY, cost=2.0)
def ts_av_diff(x, d):
    """x - ts_mean(x, d)."""
    d = window(d, "ts_av_diff")
    x = panel(x)
    return x - ts.ts_sum_2d(x, d, d, True)


@_declare((Series, Window), TODAY, cost=5.0)
def ts_rank(x, d):
    """Today's rank among the last d values in [0, 1]: (less + ties_other / 2) / (d - 1).

    With ``less`` earlier values below today and ``ties_other`` earlier values equal to it,
    this is (average 1-based rank - 1) / (count - 1); 0.5 when d = 1.
    """
    d = window(d, "ts_rank")
    return order.ts_rank_2d(panel(x), d, d, 0)


@_declare((Series, Series, Window), PAIR, cost=8.0, aliases=("correlation",))
def ts_corr(x, y, d):
    """Pearson correlation of x and y over the last d days; NaN if either is constant."""
    d = window(d, "ts_corr")
    x, y = panels(x, y)
    return stats.ts_pair_2d(x, y, d, d, stats.PAIR_CORR)


@_declare((Series, Series, Window), PAIR, cost=8.0, aliases=("covariance",))
def ts_covariance(x, y, d):
    """Sample covariance (ddof=1) of x and y over the last d days."""
    d = window(d, "ts_covariance")
    x, y = panels(x, y)
    return stats.ts_pair_2d(x, y, d, d, stats.PAIR_COV)


@_declare((Series, Window), "counts NaNs; NaN for the first d-1 days", cost=1.0)
def ts_count_nans(x, d):
    """Number of NaN values among the last d days."""
    d = window(d, "ts_count_nans")
    nans = d - ts.ts_count_2d(panel(x), d)
    nans[: d - 1] = np.nan
    return nans


@_declare((Series, Window), ROLLING, cost=3.0, aliases=("decay_linear",))
def ts_decay_linear(x, d):
    """Linearly weighted mean: today's weight d, yesterday's d-1, ..., over the weights' sum."""
    d = window(d, "ts_decay_linear")
    return weighted.ts_weighted_mean_2d(panel(x), d, d, 0, 1.0)


@_declare((Series, Window), ROLLING, cost=3.0, params=(Param("factor", Scalar, 1.0),))
def ts_decay_exp_window(x, d, factor=1.0):
    """Exponentially weighted mean: weight factor**k for the value k days ago, over their sum."""
    d = window(d, "ts_decay_exp_window")
    if not 0.0 < factor <= 1.0:
        raise EvaluationError(f"ts_decay_exp_window: factor must be in (0, 1], got {factor!r}")
    return weighted.ts_weighted_mean_2d(panel(x), d, d, 1, float(factor))


@_declare((Series, Window), FILL, cost=2.0)
def ts_backfill(x, d):
    """NaN replaced by the most recent non-NaN value within the last d days."""
    return path.ts_kth_2d(panel(x), window(d, "ts_backfill"), 1)


@_declare((Series, Window), FILL, cost=2.0, params=(Param("k", Scalar, 1.0),))
def kth_element(x, d, k=1.0):
    """The k-th most recent non-NaN value within the last d days (k=1: ts_backfill)."""
    kth = window(k, "kth_element k")
    return path.ts_kth_2d(panel(x), window(d, "kth_element"), kth)


@_declare((Series, Window), FILL, cost=2.0)
def last_diff_value(x, d):
    """The most recent value within the last d days that differs from today's; NaN if none."""
    return path.last_diff_value_2d(panel(x), window(d, "last_diff_value"))


_RETTYPES = {0: "residual", 1: "intercept", 2: "slope", 3: "fitted", 6: "R-squared"}


@_declare(
    (Series, Series, Window), PAIR, cost=10.0, params=(Param("rettype", Scalar, 0.0),)
)
def ts_regression(y, x, d, rettype=0.0):
    """OLS of y on x over the last d days: rettype 0 residual, 1 intercept, 2 slope, 3 fitted, 6 R2."""
    d = window(d, "ts_regression")
    if rettype not in _RETTYPES:
        raise EvaluationError(
            f"ts_regression: rettype must be one of {sorted(_RETTYPES)}, got {rettype!r}"
        )
    y, x = panels(y, x)
    return stats.ts_regression_2d(y, x, d, d, int(rettype), False)


@_declare((Series, Window), ROLLING, cost=6.0)
def ts_skewness(x, d):
    """Sample skewness (pandas' bias-corrected) over the last d days; NaN if constant or d < 3."""
    d = window(d, "ts_skewness")
    return stats.ts_moment_2d(panel(x), d, d, stats.MOMENT_SKEW)


@_declare((Series, Window), ROLLING, cost=6.0)
def ts_kurtosis(x, d):
    """Excess kurtosis (pandas' bias-corrected) over the last d days; NaN if constant or d < 4."""
    d = window(d, "ts_kurtosis")
    return stats.ts_moment_2d(panel(x), d, d, stats.MOMENT_KURT)


@_declare((Series, Window), ROLLING, cost=10.0)
def ts_median(x, d):
    """Median of the last d days."""
    d = window(d, "ts_median")
    return order.ts_quantile_2d(panel(x), d, d, 0.5)


_DRIVERS = ("gaussian", "uniform", "cauchy")


@_declare((Series, Window), TODAY, cost=6.0, params=(Param("driver", Text, "gaussian"),))
def ts_quantile(x, d, driver="gaussian"):
    """Inverse CDF of the driver at today's midpoint rank (a - 0.5) / d in the last d days."""
    if driver not in _DRIVERS:
        raise EvaluationError(f"ts_quantile: driver must be one of {_DRIVERS}, got {driver!r}")
    d = window(d, "ts_quantile")
    u = order.ts_rank_2d(panel(x), d, d, 2)
    return inverse_cdf(u, driver)


def inverse_cdf(u: np.ndarray, driver: str) -> np.ndarray:
    """The driver distribution's quantile function at u in (0, 1); uniform maps to [-1, 1]."""
    if driver == "uniform":
        return 2.0 * u - 1.0
    if driver == "cauchy":
        return np.tan(np.pi * (u - 0.5))
    return stats.norm_ppf_2d(u)


@_declare((Series,), "PATH: NaN today gives NaN; the first value counts as a change", cost=1.0)
def days_from_last_change(x):
    """Days since the value last changed (0 on a change day)."""
    return path.days_from_last_change_2d(panel(x))


@_declare((Series,), "PATH: NaN today gives NaN", cost=2.0, params=(Param("hump", Scalar, 0.01),))
def hump(x, hump=0.01):
    """Keep yesterday's value unless today's moved by more than hump * sum(|x|) over instruments."""
    x = panel(x)
    limit = float(hump) * np.nansum(np.abs(x), axis=1)
    return path.hump_2d(x, limit)


@_declare(
    (Series, Series, Series), "PATH: NaN conditions are false; NaN before the first entry", cost=1.0
)
def trade_when(enter, value, exit):  # noqa: A002 - BRAIN's argument name
    """value when enter > 0, NaN when exit > 0 (exit wins), else yesterday's output."""
    enter, value, exit = panels(enter, value, exit)
    return path.trade_when_2d(enter, value, exit)
