"""Operator declarations: the Qlib dialect (``Mean($close, 5)``), with Qlib's own semantics.

Semantics follow microsoft/qlib ``qlib/data/ops.py`` (and ``_libs/rolling.pyx``):

- Rolling ops use pandas ``rolling(N, min_periods=1)``: the first rows use the shorter window
  that exists and NaNs are skipped (one non-NaN value is enough; Std/Var need 2 (ddof=1), Skew 3,
  Kurt 4). ``N == 0`` means an expanding window.
- ``Ref(x, N)`` is ``shift(N)``: N < 0 reads the future (labels only; the miner never uses it).
- An instrument's history starts at its first non-NaN value (Qlib loads it from its first
  date): the NaNs before it belong to no window. This matters only where Qlib keeps NaNs in a
  window: ``IdxMax``/``IdxMin`` and ``WMA`` (and ``Delta(x, 0)``, x minus the first value).
- ``IdxMax``/``IdxMin``: 1-based position of ``np.argmax``/``np.argmin`` from the window start
  (oldest on ties; numpy's rule that the first NaN in the window wins is kept).
- ``Rank``: pandas ``rolling.rank(pct=True)``: average rank of the last value / non-NaN count.
- ``Slope``/``Rsquare``/``Resi``: OLS of the non-NaN values on their positions in the window;
  ``Resi`` is today's residual; NaN below 2 values. Computed stably: Qlib's one-pass running
  sums (``_libs/rolling.pyx``) drift with the history they have seen, so its Rsquare is off by
  ~2.5e-8 on the S&P data and it may give +-inf for a 1-value window where this gives NaN.
  ``Rsquare`` and ``Corr`` are NaN where a rolling std <= 2e-5.
- ``WMA``: weights 1..L normalised, then ``np.nanmean(w * x)``. ``EMA``: ``ewm(span=N)``.
- Elementwise ops are numpy's: comparisons give 1.0/0.0 and a NaN compares false (``Ne``:
  true), also for the infix ``> >= < <= == !=`` of Qlib text (the parser maps them here),
  except before the instrument's first value (rows Qlib never loads), which stay NaN;
  ``And``/``Or``/``Not``/``If`` (and ``& |``) read a value as true when it is non-zero (NaN is
  true); Qlib's bitwise ops raise on non-boolean floats, where these read non-zero as true.
"""

from __future__ import annotations

import numpy as np

from expressions.errors import EvaluationError
from expressions.kernels import qlib as qk
from expressions.kernels import timeseries as ts
from expressions.kernels import timeseries_order as order
from expressions.kernels import timeseries_path as path
from expressions.kernels import timeseries_stats as stats
from expressions.kernels._wrap import nan_where, panel, panels, shift
from expressions.reference import qlib as twins
from expressions.reference import timeseries as reference
from expressions.registry import OpSpec, add, window_lookback
from expressions.types import Bool, Scalar, Series, Window

ROLLING = "pandas rolling(N, min_periods=1): NaNs skipped; NaN only for an all-NaN window"


def _window(n, x: np.ndarray, op: str, minimum: int = 1) -> int:
    """Qlib's N: 0 = expanding (the whole history), else a window of at least ``minimum``."""
    days = int(n)
    if days == 0:
        return max(x.shape[0], 1)
    if days < minimum:
        raise EvaluationError(f"{op}: the rolling window must be >= {minimum}, got {n!r}")
    return days


def _ref_lookback(n: int) -> int:
    return max(int(n), 0)


def _declare(qlib_name, args, returns, fn, doc, nan_rule, lookback, cost, reference_fn):
    fn.__name__ = fn.__qualname__ = f"qlib_{qlib_name.lower()}"
    fn.__doc__ = doc
    add(
        OpSpec(
            name=fn.__name__,
            args=args,
            returns=returns,
            fn=fn,
            doc=doc,
            category="qlib",
            dialect="qlib",
            qlib_name=qlib_name,
            lookback=lookback,
            nan_rule=nan_rule,
            cost=cost,
            reference=reference_fn,
        )
    )
    return fn


def _rolling(qlib_name, doc, compute, cost=2.0, minimum=1):
    """Declare ``qlib_name(x, N)`` computing ``compute(x, window)`` on a panel."""

    def fn(x, n):
        x = panel(x)
        return compute(x, _window(n, x, qlib_name, minimum))

    ref = getattr(twins, f"qlib_{qlib_name.lower()}", None) or getattr(reference, f"qlib_{qlib_name.lower()}")
    return _declare(qlib_name, (Series, Window), Series, fn, doc, ROLLING, window_lookback, cost, ref)


def _std(x, n):
    return ts.ts_var_2d(x, n, 1, 1, True)


def _flat(x, n):
    """Qlib's ``np.isclose(rolling std, 0, atol=2e-05)``."""
    return _std(x, n) <= 2e-05


def _rsquare(x, n):
    return nan_where(stats.ts_regression_2d(x, x, n, 1, stats.REG_RSQUARE, True), _flat(x, n))


_ROLLING_OPS = (
    ("Mean", "Rolling mean.", lambda x, n: ts.ts_sum_2d(x, n, 1, True), 2.0, 1),
    ("Sum", "Rolling sum.", lambda x, n: ts.ts_sum_2d(x, n, 1), 2.0, 1),
    ("Std", "Rolling sample standard deviation (ddof=1).", _std, 3.0, 1),
    ("Var", "Rolling sample variance (ddof=1).", lambda x, n: ts.ts_var_2d(x, n, 1, 1), 3.0, 1),
    ("Skew", "Rolling skewness (pandas); N >= 3.", lambda x, n: stats.ts_moment_2d(x, n, 1, 3), 6.0, 3),
    ("Kurt", "Rolling excess kurtosis (pandas); N >= 4.", lambda x, n: stats.ts_moment_2d(x, n, 1, 4), 6.0, 4),
    ("Max", "Rolling maximum.", lambda x, n: order.ts_extreme_2d(x, n, 1, True, False), 4.0, 1),
    ("Min", "Rolling minimum.", lambda x, n: order.ts_extreme_2d(x, n, 1, False, False), 4.0, 1),
    ("IdxMax", "1-based position of the rolling maximum from the window start.", lambda x, n: qk.idx_extreme_2d(x, n, True), 4.0, 1),
    ("IdxMin", "1-based position of the rolling minimum from the window start.", lambda x, n: qk.idx_extreme_2d(x, n, False), 4.0, 1),
    ("Med", "Rolling median.", lambda x, n: order.ts_quantile_2d(x, n, 1, 0.5), 10.0, 1),
    ("Mad", "Rolling mean absolute deviation from the window mean.", lambda x, n: stats.ts_moment_2d(x, n, 1, 1), 5.0, 1),
    ("Rank", "Percentile (pct=True) rank of the last value within its window.", lambda x, n: order.ts_rank_2d(x, n, 1, 1), 5.0, 1),
    ("Count", "Number of non-NaN values in the window.", ts.ts_count_2d, 1.0, 1),
    ("Slope", "Slope of the rolling regression on the time index.", lambda x, n: stats.ts_regression_2d(x, x, n, 1, stats.REG_SLOPE, True), 8.0, 1),
    ("Resi", "Today's residual of the rolling regression on the time index.", lambda x, n: stats.ts_regression_2d(x, x, n, 1, stats.REG_RESIDUAL, True), 8.0, 1),
    ("Rsquare", "R-squared of the rolling regression on the time index.", _rsquare, 8.0, 1),
    ("WMA", "Linearly weighted moving average (Qlib's nanmean of weighted values).", qk.wma_2d, 3.0, 1),
    ("EMA", "Exponential moving average, pandas ewm(span=N).", lambda x, n: path.ewm_mean_2d(x, 2.0 / (n + 1.0), 1), 2.0, 1),
)

for _name, _doc, _compute, _cost, _minimum in _ROLLING_OPS:
    _rolling(_name, _doc, _compute, _cost, _minimum)


def _ref(x, n):
    return shift(panel(x), int(n))


_declare("Ref", (Series, Window), Series, _ref, "Value N days ago (N < 0: the future).",
         "NaN where nothing was shifted in", _ref_lookback, 1.0, reference.qlib_ref)


def _delta(x, n):
    x = panel(x)
    if int(n) != 0:
        return ts.ts_delta_2d(x, _window(n, x, "Delta"))
    first = qk.first_valid_rows(x)
    listed = first < x.shape[0]
    start = np.full(x.shape[1], np.nan)
    start[listed] = x[first[listed], np.flatnonzero(listed)]
    return x - start


_declare("Delta", (Series, Window), Series, _delta, "x minus its value N days ago (N = 0: minus the first value).",
         "NaN where either value is NaN", window_lookback, 1.0, twins.qlib_delta)


def _quantile(x, n, qscore):
    x = panel(x)
    return order.ts_quantile_2d(x, _window(n, x, "Quantile"), 1, float(qscore))


_declare("Quantile", (Series, Window, Scalar), Series, _quantile,
         "Rolling qscore-quantile, linear interpolation.", ROLLING,
         lambda n, *_: window_lookback(n), 10.0, reference.qlib_quantile)


def _pair(kind, name):
    def fn(x, y, n):
        x, y = panels(x, y)
        n = _window(n, x, name)
        out = stats.ts_pair_2d(x, y, n, 1, kind)
        return nan_where(out, _flat(x, n) | _flat(y, n)) if kind == stats.PAIR_CORR else out

    return fn


_declare("Corr", (Series, Series, Window), Series, _pair(stats.PAIR_CORR, "Corr"),
         "Rolling correlation; NaN where either rolling std <= 2e-5.", ROLLING,
         window_lookback, 8.0, reference.qlib_corr)
_declare("Cov", (Series, Series, Window), Series, _pair(stats.PAIR_COV, "Cov"),
         "Rolling sample covariance.", ROLLING, window_lookback, 8.0, reference.qlib_cov)


# ---------------------------------------------------------------- elementwise (numpy semantics)


def _unary(func):
    return lambda x: func(panel(x))


def _binary(func):
    return lambda a, b: func(*panels(a, b)).astype(np.float64)


def _truth(a):
    return np.asarray(a) != 0


def _from_listing(func):
    """``func`` on panels, NaN before the first row where a series argument has a value.

    These ops turn NaN into numbers (a NaN compares false, is true for And/Or/If); the rows
    before an instrument's first value are not part of its history in Qlib, so they stay NaN.
    """

    def fn(*args):
        arrays = panels(*args)
        out = np.array(func(*arrays), dtype=np.float64)
        out[np.arange(out.shape[0])[:, None] < _first_rows(arrays)[None, :]] = np.nan
        return out

    return fn


def _first_rows(arrays) -> np.ndarray:
    """Per column, the first row where an argument has a value; a constant column (the
    evaluator's broadcast literal) does not count unless every argument is constant there."""
    t_len = arrays[0].shape[0]
    first = np.full(arrays[0].shape[1], t_len + 1)
    for a in arrays:
        constant = (a == a[:1]).all(axis=0)
        first = np.minimum(first, np.where(constant, t_len + 1, qk.first_valid_rows(a)))
    return np.where(first > t_len, 0, first)


def _if(cond, left, right):
    return np.where(_truth(cond), left, right)


_ELEMENTWISE = (
    ("Abs", (Series,), Series, _unary(np.abs), "Absolute value."),
    ("Sign", (Series,), Series, _unary(lambda x: np.sign(x.astype(np.float32)).astype(np.float64)), "Sign (-1, 0, 1)."),
    ("Log", (Series,), Series, _unary(np.log), "Natural log (NaN below 0, -inf at 0)."),
    ("Power", (Series, Scalar), Series, lambda x, e: np.power(panel(x), float(e)), "x to the power e."),
    ("Add", (Series, Series), Series, _binary(np.add), "a + b."),
    ("Sub", (Series, Series), Series, _binary(np.subtract), "a - b."),
    ("Mul", (Series, Series), Series, _binary(np.multiply), "a * b."),
    ("Div", (Series, Series), Series, _binary(np.divide), "a / b (inf on division by 0)."),
    ("Greater", (Series, Series), Series, _binary(np.maximum), "Elementwise maximum (NaN wins)."),
    ("Less", (Series, Series), Series, _binary(np.minimum), "Elementwise minimum (NaN wins)."),
    ("Gt", (Series, Series), Bool, _from_listing(np.greater), "1 where a > b else 0."),
    ("Ge", (Series, Series), Bool, _from_listing(np.greater_equal), "1 where a >= b else 0."),
    ("Lt", (Series, Series), Bool, _from_listing(np.less), "1 where a < b else 0."),
    ("Le", (Series, Series), Bool, _from_listing(np.less_equal), "1 where a <= b else 0."),
    ("Eq", (Series, Series), Bool, _from_listing(np.equal), "1 where a == b else 0."),
    ("Ne", (Series, Series), Bool, _from_listing(np.not_equal), "1 where a != b else 0 (NaN != NaN)."),
    ("And", (Series, Series), Bool, _from_listing(lambda a, b: _truth(a) & _truth(b)), "1 where both are non-zero."),
    ("Or", (Series, Series), Bool, _from_listing(lambda a, b: _truth(a) | _truth(b)), "1 where either is non-zero."),
    ("Not", (Series,), Bool, _from_listing(lambda a: ~_truth(a)), "1 where the value is 0."),
    ("If", (Series, Series, Series), Series, _from_listing(_if), "left where cond is non-zero, else right."),
)

for _name, _args, _returns, _fn, _doc in _ELEMENTWISE:
    _declare(_name, _args, _returns, _fn, _doc, "numpy semantics: NaN propagates, compares false",
             lambda *_: 0, 1.0, getattr(twins, f"qlib_{_name.lower()}", None))
