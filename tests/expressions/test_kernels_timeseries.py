"""Every time-series and Qlib operator in REGISTRY against its slow reference twin.

Table-driven (bottleneck style): one test over REGISTRY x windows on small random panels with
NaNs, ties (rounded values) and constant stretches; hypothesis arrays for a few; hand-computed
cases for the definitions that are ours (ts_rank, ts_arg_max, hump, trade_when, ...).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from expressions.kernels import timeseries as ts_kernels
from expressions.kernels import timeseries_order as order_kernels
from expressions.kernels import timeseries_weighted as weighted_kernels
from expressions.registry import operators
from expressions.types import Scalar, Series, Text, Window

T, N = 60, 7
WINDOWS = (*range(1, 13), 30, T, T + 5)
# Ops whose definitions need a minimum window (Qlib raises below it).
MIN_WINDOW = {"qlib_skew": 3, "qlib_kurt": 4}
# pandas' rolling cov/corr use mean(xy) - mean(x)mean(y): ~1e-7 relative error after a 1e4 level.
RTOL = {"qlib_corr": 1e-5}
EXTRA = {"qlib_quantile": (0.3,), "ts_decay_exp_window": (0.7,)}

SPECS = [
    s
    for s in operators()
    if s.category in ("time_series", "qlib") and s.reference is not None
]


def make_panel(seed: int, t: int = T, n: int = N) -> np.ndarray:
    """Rounded normals (ties), ~10% NaNs, one constant stretch, one all-NaN stretch."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(size=(t, n)), 1)
    x[rng.random((t, n)) < 0.1] = np.nan
    x[10:25, 0] = 1.5
    x[30:42, 1] = np.nan
    x[5:20, 2] = np.round(x[5:20, 2] * 1e3 + 1e4, 1)  # price-like level
    return x


def call(spec, series, window):
    series, extra = iter(series), list(EXTRA.get(spec.name, ()))
    args = []
    for tp in spec.args:
        if tp is Window:
            args.append(window)
        elif tp is Scalar:
            args.append(extra.pop(0))
        else:
            args.append(next(series))
    args.extend(extra)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(spec.fn(*args)), np.asarray(spec.reference(*args))


def assert_matches(spec, got, want, window, x):
    assert got.dtype == np.float64 and got.shape == want.shape, (
        f"{spec.name} window={window}: dtype/shape {got.dtype}{got.shape} vs {want.shape}"
    )
    close = np.isclose(got, want, rtol=RTOL.get(spec.name, 1e-7), atol=1e-9, equal_nan=True)
    if not close.all():
        t, j = np.argwhere(~close)[0]
        lo = max(0, t - window + 1)
        raise AssertionError(
            f"{spec.name} window={window} shape={x.shape}: {int((~close).sum())} mismatches; "
            f"first at [t={t}, col={j}]: got {got[t, j]!r}, reference {want[t, j]!r}; "
            f"window values {x[lo:t + 1, j].tolist()}"
        )


@pytest.fixture(scope="module")
def panels():
    return make_panel(1), make_panel(2), make_panel(3)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_matches_reference_on_every_window(spec, panels):
    before = [p.copy() for p in panels]
    frozen = [p.copy() for p in panels]
    for p in frozen:
        p.flags.writeable = False  # cached evaluator results are read-only
    for window in WINDOWS:
        if window < MIN_WINDOW.get(spec.name, 1):
            continue
        got, want = call(spec, frozen, window)
        assert_matches(spec, got, want, window, panels[0])
    for p, b in zip(panels, before):
        np.testing.assert_array_equal(p, b, err_msg=f"{spec.name} modified its input")


HYPOTHESIS_OPS = ("ts_mean", "ts_std_dev", "ts_rank", "ts_corr", "ts_max", "qlib_slope", "ts_decay_linear")
values = st.one_of(st.just(np.nan), st.floats(-1e3, 1e3, allow_nan=False).map(lambda v: round(v, 2)))


@pytest.mark.parametrize("name", HYPOTHESIS_OPS)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_matches_reference_on_hypothesis_arrays(name, data):
    spec = next(s for s in SPECS if s.name == name)
    shape = (data.draw(st.integers(1, 25)), data.draw(st.integers(1, 4)))
    x = data.draw(arrays(np.float64, shape, elements=values))
    y = data.draw(arrays(np.float64, shape, elements=values))
    window = data.draw(st.integers(1, 30))
    got, want = call(spec, (x, y, x), window)
    assert_matches(spec, got, want, window, x)


def test_large_value_leaving_the_window_leaves_no_residue():
    x = np.array([[1e15], [1.0], [2.0], [3.0], [4.0]])
    got = REG("ts_sum").fn(x, 2)
    np.testing.assert_array_equal(got[2:, 0], [3.0, 5.0, 7.0])


def test_variance_of_constant_window_is_exactly_zero_after_large_values():
    x = np.array([[1e8], [3.0], [0.1], [0.1], [0.1]])
    assert REG("ts_std_dev").fn(x, 3)[4, 0] == 0.0
    assert np.isnan(REG("ts_zscore").fn(x, 3)[4, 0])


def REG(name):
    return next(s for s in operators() if s.name == name)


# Hand-computed cases for the definitions this project chose (column vectors, one instrument).
HAND = [
    ("ts_rank", ([3, 1, 2, 2],), 4, [np.nan, np.nan, np.nan, (1 + 0.5) / 3]),
    ("ts_rank", ([5, 7],), 1, [0.5, 0.5]),
    ("ts_arg_max", ([1, 4, 2, 4],), 4, [np.nan, np.nan, np.nan, 0]),
    ("ts_arg_min", ([1, 4, 2, 4],), 3, [np.nan, np.nan, 2, 1]),
    ("ts_decay_linear", ([1, 2, 4],), 3, [np.nan, np.nan, (1 + 4 + 12) / 6]),
    ("ts_delta", ([1, 2, 4],), 2, [np.nan, np.nan, 3]),
    ("ts_count_nans", ([1, np.nan, np.nan, 4],), 3, [np.nan, np.nan, 2, 2]),
    ("ts_backfill", ([1, np.nan, np.nan, np.nan],), 3, [1, 1, 1, np.nan]),
    ("last_diff_value", ([1, 2, 2, 2],), 3, [np.nan, 1, 1, np.nan]),
    ("days_from_last_change", ([1, 1, np.nan, 2, 2],), None, [0, 1, np.nan, 0, 1]),
    ("trade_when", ([1, 0, 0, 1], [5, 6, 7, 8], [0, 0, 1, 0]), None, [5, 5, np.nan, 8]),
    ("qlib_idxmax", ([1, 3, 3, 2],), 3, [1, 2, 2, 1]),
    ("qlib_idxmin", ([2, np.nan, 1],), 3, [1, 2, 2]),
    ("qlib_rank", ([1, 1, 2],), 3, [1.0, 0.75, 1.0]),
    ("qlib_wma", ([2, 4],), 2, [2 * 1 / 1, (2 * 1 / 3 + 4 * 2 / 3) / 2]),
    ("qlib_mean", ([np.nan, 2, 4],), 2, [np.nan, 2, 3]),
    ("qlib_count", ([np.nan, 2, 4],), 2, [0, 1, 2]),
    ("qlib_ref", ([1, 2, 3],), -1, [2, 3, np.nan]),
    ("qlib_resi", ([1, 2, 4],), 3, [np.nan, 0.0, 4 - (1.5 * 3 - 0.0 + (7 / 3 - 1.5 * 2))]),
]


@pytest.mark.parametrize("name, columns, window, expected", HAND, ids=[h[0] for h in HAND])
def test_hand_computed_case(name, columns, window, expected):
    arrays_ = [np.array(c, dtype=float)[:, None] for c in columns]
    args = arrays_ + ([window] if window is not None else [])
    got = REG(name).fn(*args)[:, 0]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12, err_msg=name)


def test_hump_keeps_yesterday_unless_the_move_is_large():
    x = np.array([[1.0, -1.0], [1.01, -1.0], [1.5, -1.0]])
    got = REG("hump").fn(x, hump=0.01)  # limits: 0.02, 0.0201, 0.025
    np.testing.assert_array_equal(got[:, 0], [1.0, 1.0, 1.5])


def test_ts_quantile_gaussian_is_the_normal_quantile_of_the_midpoint_rank():
    x = np.array([[1.0], [2.0], [3.0], [4.0]])
    got = REG("ts_quantile").fn(x, 4)[3, 0]
    assert got == pytest.approx(1.1503493803760083, rel=1e-12)  # NormalDist().inv_cdf(3.5 / 4)


@pytest.mark.parametrize("name", ["ts_mean", "ts_rank", "ts_corr", "qlib_mean"])
def test_bad_window_is_a_clear_error(name):
    from expressions.errors import EvaluationError

    spec = REG(name)
    series = [np.ones((3, 2))] * sum(1 for a in spec.args if issubclass(a, Series))
    with pytest.raises(EvaluationError, match="window"):
        spec.fn(*series, -1 if name.startswith("qlib") else 0)


def test_text_params_are_validated():
    from expressions.errors import EvaluationError

    assert REG("ts_quantile").params[0].type is Text
    with pytest.raises(EvaluationError, match="driver"):
        REG("ts_quantile").fn(np.ones((3, 2)), 2, driver="poisson")
    with pytest.raises(EvaluationError, match="rettype"):
        REG("ts_regression").fn(np.ones((3, 2)), np.ones((3, 2)), 2, rettype=5)


# Kernels keep running sums across windows (two-block prefix/suffix sums, shifted moments): on
# large levels and long series they must still agree with the per-window references tightly.
LEVEL_OPS = {
    "ts_sum": 1e-13, "ts_mean": 1e-13, "ts_decay_linear": 1e-13, "qlib_mean": 1e-13, "qlib_sum": 1e-13,
    "ts_std_dev": 1e-7, "qlib_std": 1e-7, "ts_covariance": 1e-7, "ts_corr": 1e-7,
    "ts_max": 0.0, "ts_arg_min": 0.0, "ts_median": 1e-15, "ts_rank": 0.0,
}


@pytest.fixture(scope="module")
def level_panels():
    """1e9 + unit noise (two decimals: ties), long (T=2000), NaNs, and one 1e15 spike."""
    rng = np.random.default_rng(7)
    out = []
    for _ in range(2):
        x = 1e9 + np.round(rng.normal(size=(2000, 3)), 2)
        x[rng.random(x.shape) < 0.02] = np.nan
        x[700, 1] = 1e15
        out.append(x)
    return out


@pytest.mark.parametrize("name", sorted(LEVEL_OPS))
def test_large_levels_and_long_series_match_reference(name, level_panels):
    spec = REG(name)
    for window in (5, 20, 63):
        got, want = call(spec, level_panels, window)
        np.testing.assert_allclose(got, want, rtol=LEVEL_OPS[name], atol=1e-9,
                                   err_msg=f"{name} window={window} on 1e9 levels, T=2000")


@pytest.mark.parametrize("rettype", [0, 2, 6])
def test_regression_on_large_levels_matches_the_reference_on_centred_data(rettype, level_panels):
    # lstsq on [1, 1e9 + noise] is ill-conditioned, so the reference runs on the data minus 1e9;
    # residual, slope and R-squared do not change under that shift. Without the 1e15 spike: a
    # regression through it has no digits left below 0.1 in any implementation.
    y, x = (np.where(p > 1e14, 1e9, p) for p in level_panels)
    spec = REG("ts_regression")
    for window in (5, 20):
        got = spec.fn(y, x, window, rettype=rettype)
        want = spec.reference(y - 1e9, x - 1e9, window, rettype=rettype)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6, err_msg=f"rettype={rettype} window={window}")


def test_small_values_after_a_huge_one_left_are_exact():
    x = np.full((400, 1), 0.25)  # binary-exact, so any exact sum of them is exact
    x[100, 0] = 1e15
    for name, window in (("ts_mean", 10), ("ts_std_dev", 10), ("qlib_mean", 7), ("qlib_std", 7)):
        got = REG(name).fn(x, window)[120:, 0]
        want = 0.25 if "mean" in name else 0.0
        np.testing.assert_array_equal(got, np.full(got.shape, want), err_msg=name)


@pytest.mark.parametrize("rettype", [0, 1, 2, 3, 6])
def test_every_regression_rettype_matches_reference(rettype, panels):
    spec = REG("ts_regression")
    for window in (2, 3, 7, 30):
        got = spec.fn(panels[0], panels[1], window, rettype=rettype)
        want = spec.reference(panels[0], panels[1], window, rettype=rettype)
        assert_matches(spec, got, want, window, panels[0])


def test_wide_window_median_takes_the_sorted_buffer_path(panels):
    from expressions.kernels.timeseries_order import NETWORK_MAX_WINDOW

    x = np.concatenate([panels[0]] * 5)  # 300 rows
    for name in ("ts_median", "qlib_med"):
        spec = REG(name)
        for window in (NETWORK_MAX_WINDOW, NETWORK_MAX_WINDOW + 1, 250):
            got, want = call(spec, (x,), window)
            assert_matches(spec, got, want, window, x)


def _nan_skipping_twin(x, window, min_count, func):
    """func over each window's non-NaN values, NaN below min_count of them (the kernels' rule)."""
    out = np.full(x.shape, np.nan)
    for t in range(x.shape[0]):
        for j in range(x.shape[1]):
            win = x[max(0, t - window + 1) : t + 1, j]
            win = win[~np.isnan(win)]
            if len(win) >= max(min_count, 1):
                out[t, j] = func(win)
    return out


KERNEL_TWINS = {
    "sum": (lambda x, w, m: ts_kernels.ts_sum_2d(x, w, m), np.sum),
    "mean": (lambda x, w, m: ts_kernels.ts_sum_2d(x, w, m, True), np.mean),
    "var": (lambda x, w, m: ts_kernels.ts_var_2d(x, w, m, 1), lambda a: np.var(a, ddof=1) if len(a) > 1 else np.nan),
    "max": (lambda x, w, m: order_kernels.ts_extreme_2d(x, w, m, True, False), np.max),
    "argmin": (lambda x, w, m: order_kernels.ts_extreme_2d(x, w, m, False, True), None),
    "median": (lambda x, w, m: order_kernels.ts_quantile_2d(x, w, m, 0.5), np.median),
}


@pytest.mark.parametrize("name", sorted(KERNEL_TWINS))
def test_kernel_min_count_between_one_and_window(name, panels):
    """Operators pass min_count 1 or window; the kernels' counting paths also hold in between."""
    kernel, func = KERNEL_TWINS[name]
    x = panels[0]
    for window in (2, 5, 12, 30):
        for min_count in (1, window // 2, window):
            got = kernel(x, window, min_count)
            if func is None:  # days since the newest minimum of the non-NaN window values
                ages = _nan_skipping_twin(x, window, min_count, lambda a: 0.0)
                want = np.where(np.isnan(ages), np.nan, _days_since_min(x, window))
            else:
                want = _nan_skipping_twin(x, window, min_count, func)
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9,
                                       err_msg=f"{name} window={window} min_count={min_count}")


def _days_since_min(x, window):
    out = np.full(x.shape, np.nan)
    for t in range(x.shape[0]):
        for j in range(x.shape[1]):
            win = x[max(0, t - window + 1) : t + 1, j][::-1]  # today first
            if not np.isnan(win).all():
                out[t, j] = float(np.nanargmin(win))  # first hit = newest on ties
    return out


def _decay_twin(x, window, factor=None):
    """Full-window weighted mean, written out: linear weights window..1 (today first) or factor**k."""
    ages = np.arange(window)
    weights = window - ages if factor is None else factor ** ages.astype(float)
    out = np.full(x.shape, np.nan)
    for t in range(window - 1, x.shape[0]):
        out[t] = weights @ x[t - ages] / weights.sum()  # a NaN anywhere in the window gives NaN
    return out


@pytest.mark.parametrize("shape", [(61, 37), (23, 1), (40, 8)])
def test_decay_kernels_match_the_twin_for_every_window(shape):
    """Both kinds of the two-block path (even/odd table rows, blocks cut at any window, widths
    that fill a vector, leave a remainder or are smaller than one) against the written-out sum."""
    x = make_panel(5, *shape) if shape[1] >= 3 else np.round(np.random.default_rng(5).normal(size=shape), 1)
    x[np.random.default_rng(6).random(shape) < 0.03] = np.nan
    for window in (*range(1, 14), 20, shape[0] - 1, shape[0], shape[0] + 3):
        for factor in (None, 1.0, 0.7, 0.05):
            kind = 0 if factor is None else 1
            got = weighted_kernels.ts_weighted_mean_2d(x, window, window, kind, 1.0 if factor is None else factor)
            np.testing.assert_allclose(got, _decay_twin(x, window, factor), rtol=1e-12, atol=1e-15,
                                       err_msg=f"kind={kind} factor={factor} window={window} shape={shape}")


@pytest.mark.parametrize("factor", [None, 0.9])
def test_decay_leaves_no_residue_of_a_huge_value(factor):
    """1e10 among 1e-3s: once it is out of the window, the mean is 1e-3 to the last digits (a
    running sum with add/remove would keep ~1e-6 of it)."""
    x = np.full((200, 3), 1e-3)
    x[57, :] = 1e10
    for window in (5, 20, 21):
        got = weighted_kernels.ts_weighted_mean_2d(x, window, window, 0 if factor is None else 1, factor or 1.0)
        np.testing.assert_allclose(got[57 + window :], 1e-3, rtol=1e-13, err_msg=f"window={window}")
        assert got[57 + window - 1, 0] > 1e6  # still in the window on its last day
