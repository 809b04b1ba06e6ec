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
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = np.column_stack(
            [qlib_pandas(feature, {k: pd.Series(v[:, j]) for k, v in fields.items()}).to_numpy() for j in range(N)]
        )
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
