"""The Qlib dialect: every Alpha158 feature computes, and features match Qlib's own semantics.

The comparison side re-implements Qlib's operators the way ``qlib/data/ops.py`` does: one
pandas Series per instrument, ``rolling(N, min_periods=1)``, ``rolling.apply`` for IdxMax /
Rank / Quantile, and a per-window least squares on positions 1..N for Slope / Rsquare / Resi.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from expressions.registry import REGISTRY, resolve

ALPHA158 = Path(__file__).resolve().parents[3] / "shared" / "data" / "alpha158_features.txt"
T, N = 80, 5


def alpha158_lines() -> list[tuple[str, str]]:
    if not ALPHA158.exists():
        pytest.skip(f"{ALPHA158} not found")
    return [tuple(line.split("\t", 1)) for line in ALPHA158.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def fields() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    close = 30 * np.exp(np.cumsum(rng.normal(0, 0.02, (T, N)), axis=0))
    open_ = close * (1 + rng.normal(0, 0.01, (T, N)))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0, 0.01, (T, N))))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0, 0.01, (T, N))))
    volume = np.round(rng.lognormal(10, 0.5, (T, N)), -2)
    data = {"open": open_, "high": high, "low": low, "close": close, "volume": volume}
    holes = rng.random((T, N)) < 0.05
    data = {k: np.where(holes, np.nan, v) for k, v in data.items()}
    data["vwap"] = (data["high"] + data["low"] + data["close"]) / 3
    return data


def test_every_alpha158_operator_is_declared_with_its_qlib_name():
    names = {name for _, expr in alpha158_lines() for name in re.findall(r"([A-Z][A-Za-z]*)\(", expr)}
    missing = sorted(n for n in names if resolve(n, "qlib") is None or resolve(n, "qlib").dialect != "qlib")
    assert not missing, f"Qlib operators without a declaration: {missing}"


def test_every_alpha158_line_parses_and_evaluates(fields):
    from expressions.evaluator import Evaluator
    from expressions.parser import parse

    evaluator = Evaluator(fields, {})
    for name, expr in alpha158_lines():
        values = evaluator.evaluate(parse(expr, dialect="qlib"))
        assert values.shape == (T, N), name
        assert np.isfinite(values[-20:]).mean() > 0.5, f"{name}: mostly non-finite: {expr}"


# ---------------------------------------------------------------- pandas re-implementation of Qlib


def _polyfit_window(n, pick):
    def apply(a):
        pos = np.arange(n - len(a) + 1, n + 1, dtype=float)
        ok = ~np.isnan(a)
        if ok.sum() < 2:
            return np.nan
        slope, intercept = np.polyfit(pos[ok], a[ok], 1)
        return pick(slope, intercept, pos[ok], a[ok], a[-1], n)

    return apply


def qlib_pandas(feature: str, f: dict[str, pd.Series]) -> pd.Series:
    close, high, low, volume = f["close"], f["high"], f["low"], f["volume"]
    roll = lambda s, n: s.rolling(n, min_periods=1)  # noqa: E731
    ret = close / close.shift(1)
    if feature == "MA5":
        return roll(close, 5).mean() / close
    if feature == "STD20":
        return roll(close, 20).std() / close
    if feature == "BETA10":
        return roll(close, 10).apply(_polyfit_window(10, lambda b, *_: b), raw=True) / close
    if feature == "RSQR10":
        r2 = roll(close, 10).apply(
            _polyfit_window(10, lambda b, a, xs, ys, *_: np.corrcoef(xs, ys)[0, 1] ** 2), raw=True
        )
        return r2.mask(np.isclose(roll(close, 10).std(), 0, atol=2e-05))
    if feature == "RESI5":
        resi = roll(close, 5).apply(_polyfit_window(5, lambda b, a, xs, ys, yt, n: yt - (a + b * n)), raw=True)
        return resi / close
    if feature == "IMXD10":
        idx = lambda s, fn: roll(s, 10).apply(lambda a: fn(a) + 1, raw=True)  # noqa: E731
        return (idx(high, np.argmax) - idx(low, np.argmin)) / 10
    if feature == "RANK20":
        return roll(close, 20).rank(pct=True)
    if feature == "QTLU5":
        return roll(close, 5).quantile(0.8) / close
    if feature == "CORR10":
        res = roll(close, 10).corr(np.log(volume + 1))
        flat = np.isclose(roll(close, 10).std(), 0, atol=2e-05) | np.isclose(
            roll(np.log(volume + 1), 10).std(), 0, atol=2e-05
        )
        return res.mask(flat)
    if feature == "SUMP10":
        diff = close - close.shift(1)
        return roll(np.maximum(diff, 0), 10).sum() / (roll(np.abs(diff), 10).sum() + 1e-12)
    if feature == "WVMA5":
        x = np.abs(ret - 1) * volume
        return roll(x, 5).std() / (roll(x, 5).mean() + 1e-12)
    if feature == "VMA5":
        return roll(volume, 5).mean() / (volume + 1e-12)
    raise KeyError(feature)


FEATURES = ["MA5", "STD20", "BETA10", "RSQR10", "RESI5", "IMXD10", "RANK20", "QTLU5", "CORR10",
            "SUMP10", "WVMA5", "VMA5"]


@pytest.mark.parametrize("feature", FEATURES)
def test_alpha158_feature_matches_a_pandas_reimplementation_of_qlib(feature, fields):
    expr = dict(alpha158_lines())[feature]
    from expressions.evaluator import Evaluator
    from expressions.parser import parse

    got = Evaluator(fields, {}).evaluate(parse(expr, dialect="qlib"))
    want = np.full((T, N), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for j in range(N):
            listed = int(np.flatnonzero(np.isfinite(fields["close"][:, j]))[0])  # Qlib loads from the first date
            columns = {k: pd.Series(v[listed:, j], index=range(listed, T)) for k, v in fields.items()}
            want[listed:, j] = qlib_pandas(feature, columns).to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-10, err_msg=f"{feature}: {expr}")


# ---------------------------------------------------------------- elementwise: numpy's semantics


NAN = np.nan
ELEMENTWISE = [
    ("qlib_gt", ([1, NAN, 3], [0, 0, 3]), [1, 0, 0]),
    ("qlib_ne", ([1, NAN], [1, NAN]), [0, 1]),
    ("qlib_and", ([1, 0, NAN], [1, 1, 1]), [1, 0, 1]),
    ("qlib_not", ([1, 0],), [0, 1]),
    ("qlib_if", ([1, 0, NAN], [5, 5, 5], [7, 7, 7]), [5, 7, 5]),
    ("qlib_greater", ([1, NAN, 3], [2, 0, 0]), [2, NAN, 3]),
    ("qlib_sign", ([-2, 0, NAN],), [-1, 0, NAN]),
    ("qlib_log", ([1, 0],), [0, -np.inf]),
    ("qlib_div", ([1, 1], [4, 0]), [0.25, np.inf]),
]


@pytest.mark.parametrize("name, columns, expected", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
def test_elementwise_follows_numpy(name, columns, expected):
    args = [np.array(c, dtype=float)[:, None] for c in columns]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        got = REGISTRY[name].fn(*args)
    np.testing.assert_array_equal(got[:, 0], expected)


def test_scalar_arguments_broadcast_and_power_takes_a_scalar():
    x = np.array([[-1.0, 2.0]])
    np.testing.assert_array_equal(REGISTRY["qlib_greater"].fn(x, 0.0), [[0.0, 2.0]])
    np.testing.assert_array_equal(REGISTRY["qlib_power"].fn(x, 2.0), [[1.0, 4.0]])


def test_skew_and_kurt_reject_short_windows_like_qlib():
    from expressions.errors import EvaluationError

    with pytest.raises(EvaluationError, match="Skew"):
        REGISTRY["qlib_skew"].fn(np.ones((5, 2)), 2)
    with pytest.raises(EvaluationError, match="Kurt"):
        REGISTRY["qlib_kurt"].fn(np.ones((5, 2)), 3)


# ---------------------------------------------------------------- kernels against their slow twins


def messy_panel(t: int = 70, n: int = 6, seed: int = 3) -> np.ndarray:
    """Prices rounded to ties, NaN holes, a column listed late, one with a NaN on its last day,
    one entirely NaN and one constant stretch."""
    rng = np.random.default_rng(seed)
    x = np.round(20 + np.cumsum(rng.normal(0, 1, (t, n)), axis=0), 0)
    x[rng.random((t, n)) < 0.12] = np.nan
    x[:9, 1] = np.nan
    x[-1, 2] = np.nan
    x[:, 3] = np.nan
    x[20:40, 4] = 7.0
    return x


ROLLING_TWINS = ["qlib_idxmax", "qlib_idxmin", "qlib_wma", "qlib_delta"]
WINDOWS = [1, 2, 5, 30, 200]  # 200 > T: every window is partial


@pytest.mark.parametrize("name", ROLLING_TWINS)
@pytest.mark.parametrize("window", WINDOWS)
def test_qlib_kernels_match_their_slow_twins(name, window):
    spec = REGISTRY[resolve("Mean", "qlib").name] and REGISTRY[name]
    x = messy_panel()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = spec.reference(x, window)
    got = spec.fn(x, window)
    assert spec.reference.__module__ == "expressions.reference.qlib"
    assert np.isnan(got[:, 3]).all() and np.array_equal(np.isnan(got), np.isnan(want)), name
    np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9, err_msg=f"{name}({window})")


def test_idxmax_hand_computed_nan_ties_and_listing():
    x = np.array([np.nan, np.nan, 3, 5, 5, np.nan, 1, 9])[:, None]
    # listed at row 2: windows [3], [3 5], [3 5 5] -> the first max; then [5 5 nan], [5 nan 1],
    # [nan 1 9]: the NaN's position wins, as in np.argmax
    want = [np.nan, np.nan, 1, 2, 2, 3, 2, 1]
    np.testing.assert_array_equal(REGISTRY["qlib_idxmax"].fn(x, 3)[:, 0], want)
    np.testing.assert_array_equal(REGISTRY["qlib_idxmin"].fn(x, 3)[:, 0], [np.nan, np.nan, 1, 1, 1, 3, 2, 1])


def test_wma_hand_computed_partial_window_and_nan():
    x = np.array([np.nan, 2.0, 4.0, np.nan, 8.0])[:, None]
    # row 2: weights 1/3, 2/3 -> mean(2/3, 8/3) = 5/3; row 3: window [2 4 nan], w = 1/6 2/6 3/6
    # -> nanmean(2/6, 8/6) = 5/6; row 4: window [4 nan 8] -> nanmean(4/6, 24/6) = 14/6
    np.testing.assert_allclose(REGISTRY["qlib_wma"].fn(x, 3)[:, 0], [np.nan, 2.0, 5 / 3, 5 / 6, 14 / 6])


def test_delta_zero_is_minus_the_first_value():
    x = np.array([[np.nan, 1.0], [2.0, 3.0], [5.0, np.nan]])
    np.testing.assert_array_equal(REGISTRY["qlib_delta"].fn(x, 0), [[np.nan, 0], [0, 2], [3, np.nan]])


COMPARISONS = ["qlib_gt", "qlib_ge", "qlib_lt", "qlib_le", "qlib_eq", "qlib_ne", "qlib_and", "qlib_or", "qlib_not",
               "qlib_if"]


@pytest.mark.parametrize("name", COMPARISONS)
def test_comparisons_match_their_twins_with_nan_false(name):
    rng = np.random.default_rng(5)
    a, b = (np.round(rng.normal(0, 1, (30, 4)), 0) for _ in range(2))
    a[rng.random(a.shape) < 0.2] = np.nan
    b[rng.random(b.shape) < 0.2] = np.nan
    a[:3, 0] = b[:2, 0] = np.nan  # column 0 starts at row 2
    spec = REGISTRY[name]
    args = [a, b, -b][: spec.arity]
    got = spec.fn(*args)
    np.testing.assert_array_equal(got, spec.reference(*args))
    assert np.isnan(got[:2, 0]).all() and (name == "qlib_if" or not np.isnan(got[3:]).any())
    scalars = [a, 0.0, 1.0][: spec.arity]
    np.testing.assert_array_equal(spec.fn(*scalars), spec.reference(*scalars))


def test_qlib_text_comparisons_use_qlib_nan_rule_and_brain_keeps_its_own():
    from expressions.evaluator import Evaluator

    close = np.array([[np.nan], [1.0], [2.0], [np.nan], [1.0], [3.0]])
    evaluator = Evaluator({"close": close}, {})
    cntp = evaluator.evaluate("Mean($close>Ref($close, 1), 3)", dialect="qlib")[:, 0]
    # row 0 is before the first value (no row in Qlib); then $close > Ref is F T F F T
    # (NaN compares false), averaged over the rows that exist
    np.testing.assert_allclose(cntp, [np.nan, 0, 1 / 2, 1 / 3, 1 / 3, 1 / 3])
    both = evaluator.evaluate("($close > 0) & ($close < 2)", dialect="qlib")[:, 0]
    np.testing.assert_array_equal(both, [np.nan, 1, 0, 0, 1, 0])
    brain = evaluator.evaluate("close > ts_delay(close, 1)")[:, 0]
    assert np.isnan(brain[[0, 1, 3, 4]]).all() and brain[2] == 1.0


# ---------------------------------------------------------------- against Qlib's own operator classes


@pytest.fixture(scope="module")
def qlib_ops():
    """(ops module, run(tree_factory, *columns) -> [T, N]) over Qlib's engine, per column."""
    ops = pytest.importorskip("qlib.data.ops", reason="pyqlib is not installed (CI): the twins above check the semantics")
    from qlib.data.base import Feature
    from qlib.data.cache import H

    data: dict[str, np.ndarray] = {}

    class ArrayFeature(Feature):
        def _load_internal(self, instrument, start_index, end_index, freq):
            column = data[self._name][start_index : end_index + 1, int(instrument)]
            return pd.Series(column, index=pd.RangeIndex(start_index, end_index + 1), dtype=np.float64)

    def run(build, **columns):
        data.clear()
        data.update(columns)
        tree = build(*(ArrayFeature(name) for name in columns))
        first = next(iter(columns.values()))
        out = np.full(first.shape, np.nan)
        for j in range(first.shape[1]):
            listed = np.flatnonzero(np.isfinite(first[:, j]))  # Qlib loads from the first date
            if len(listed):
                H["f"].clear()
                series = tree.load(str(j), int(listed[0]), first.shape[0] - 1, "day")
                out[series.index.to_numpy(), j] = series.to_numpy(dtype=np.float64)
        return out

    return ops, run


QLIB_ROLLING = [("IdxMax", "qlib_idxmax"), ("IdxMin", "qlib_idxmin"), ("WMA", "qlib_wma"), ("Slope", "qlib_slope"),
                ("Resi", "qlib_resi"), ("Rsquare", "qlib_rsquare"), ("Delta", "qlib_delta")]


@pytest.mark.parametrize("qlib_name, name", QLIB_ROLLING)
@pytest.mark.parametrize("window", [1, 5, 30])
def test_rolling_ops_equal_qlibs_own(qlib_ops, qlib_name, name, window):
    ops, run = qlib_ops
    x = messy_panel()
    x[:, 3] = 1.0 + np.arange(x.shape[0]) % 4  # Qlib's loop needs a listed column
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = run(lambda f: getattr(ops, qlib_name)(f, window), x=x)
    got = REGISTRY[name].fn(x, window)
    if qlib_name in ("IdxMax", "IdxMin", "Delta"):
        np.testing.assert_array_equal(got, want, err_msg=f"{qlib_name}({window})")
    else:  # nanmean sums pairwise; Qlib's regression keeps drifting running sums and gives
        # +-inf instead of NaN for some 1-value windows (ours: NaN)
        want = np.where(np.isinf(want), np.nan, want)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=f"{qlib_name}({window})")


@pytest.mark.parametrize("qlib_name", ["Gt", "Ge", "Lt", "Le", "Eq", "Ne"])
def test_comparisons_and_logic_equal_qlibs_own(qlib_ops, qlib_name):
    ops, run = qlib_ops
    rng = np.random.default_rng(11)
    a, b = (np.round(rng.normal(0, 1, (40, 3)), 0) for _ in range(2))
    a[rng.random(a.shape) < 0.2] = np.nan
    a[0] = 1.0
    b[rng.random(b.shape) < 0.2] = np.nan
    op = getattr(ops, qlib_name)
    want = run(lambda fa, fb: ops.Mean(ops.And(op(fa, fb), ops.Or(ops.Gt(fa, 0), ops.Ne(fb, fb))), 4), a=a, b=b)
    text = f"Mean({qlib_name}($a, $b) & (($a > 0) | ($b != $b)), 4)"
    from expressions.evaluator import Evaluator

    got = Evaluator({"a": a, "b": b}, {}).evaluate(text, dialect="qlib")
    np.testing.assert_array_equal(got, want, err_msg=text)
