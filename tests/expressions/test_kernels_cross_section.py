"""Cross-sectional operators: every one in REGISTRY against its slow twin, plus hand-computed days."""

from __future__ import annotations

import numpy as np
import pytest

from expressions.errors import ExpressionTypeError
from expressions.registry import operators
from expressions.types import Scalar, Series, Text

SHAPE = (30, 9)
CROSS_SECTIONAL = [spec for spec in operators() if spec.category == "cross_sectional"]
# Non-default parameter values worth checking besides the defaults.
PARAM_CASES = {
    "scale": [{"scale": 2.5}],
    "normalize": [{"useStd": 1.0}, {"useStd": 1.0, "limit": 0.5}, {"limit": 1.0}],
    "quantile": [{"driver": "uniform", "sigma": 2.0}, {"driver": "cauchy"}],
    "winsorize": [{"std": 1.0}],
    "truncate": [{"maxPercent": 0.15}],
}


def random_day_panel(seed: int, shape=SHAPE) -> np.ndarray:
    """~15% NaN, ties (values rounded to a coarse grid), an all-NaN day, one-value days, a constant day."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(0.0, 2.0, size=shape) * 2) / 2
    x[rng.random(shape) < 0.15] = np.nan
    x[3] = np.nan
    x[5] = np.nan
    x[5, 4] = 1.5
    x[7, :] = 2.0
    x[7, 0] = np.nan
    x[9] = 0.0
    return x


def readonly(array: np.ndarray) -> np.ndarray:
    array = array.copy()
    array.setflags(write=False)
    return array


def cases():
    for spec in CROSS_SECTIONAL:
        for params in [{}, *PARAM_CASES.get(spec.name, [])]:
            yield pytest.param(spec, params, id=f"{spec.name}-{params}" if params else spec.name)


@pytest.mark.parametrize(("spec", "params"), list(cases()))
@pytest.mark.parametrize("seed", [0, 1])
def test_operator_matches_reference(spec, params, seed):
    assert spec.reference is not None, f"{spec.name} has no reference twin"
    assert spec.pasteurize, f"{spec.name} must be pasteurized"
    args = [readonly(random_day_panel(seed + 10 * k)) for k, tp in enumerate(spec.args)]
    assert all(tp is Series for tp in spec.args)
    before = [a.copy() for a in args]
    actual = spec.fn(*args, **params)
    expected = spec.reference(*args, **params)
    where = f"op={spec.name} params={params} shape={SHAPE} seed={seed}"
    assert actual.shape == SHAPE and actual.dtype == np.float64, where
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-12, err_msg=where)
    for arg, original in zip(args, before):
        np.testing.assert_array_equal(arg, original, err_msg=f"{where}: input modified")


def test_every_param_is_a_scalar_or_text():
    for spec in CROSS_SECTIONAL:
        for param in spec.params:
            assert param.type in (Scalar, Text), f"{spec.name}.{param.name}"


def test_rank_by_hand():
    from expressions.ops.cross_section import rank

    x = np.array([[3.0, 1.0, np.nan, 1.0], [np.nan, 7.0, np.nan, np.nan], [np.nan] * 4])
    # Day 0: sorted 1, 1, 3 -> average ranks 1.5, 1.5, 3 -> (r - 1) / 2.
    expected = np.array([[1.0, 0.25, np.nan, 0.25], [np.nan, 0.5, np.nan, np.nan], [np.nan] * 4])
    np.testing.assert_array_equal(rank(x), expected)


def test_zscore_and_scale_by_hand():
    from expressions.ops.cross_section import scale, zscore

    x = np.array([[1.0, 2.0, 3.0, np.nan], [4.0, 4.0, 4.0, 4.0]])
    # mean 2, population std sqrt(2/3); a constant day has std 0 -> NaN.
    s = np.sqrt(2.0 / 3.0)
    np.testing.assert_allclose(zscore(x)[0], [-1 / s, 0.0, 1 / s, np.nan])
    assert np.isnan(zscore(x)[1]).all()
    # sum |x| = 6 on day 0 and 16 on day 1.
    np.testing.assert_allclose(scale(x, 3.0), [[0.5, 1.0, 1.5, np.nan], [0.75] * 4])


def test_winsorize_truncate_normalize_by_hand():
    from expressions.ops.cross_section import normalize, truncate, winsorize

    x = np.array([[0.0, 0.0, 0.0, 0.0, 10.0]])
    # mean 2, std 4: winsorize(std=1) clips 10 to 6; truncate 0.5 caps at 0.5 * 10 = 5.
    np.testing.assert_allclose(winsorize(x, 1.0), [[0, 0, 0, 0, 6.0]])
    np.testing.assert_allclose(truncate(x, 0.5), [[0, 0, 0, 0, 5.0]])
    np.testing.assert_allclose(normalize(x), [[-2, -2, -2, -2, 8.0]])
    np.testing.assert_allclose(normalize(x, useStd=1.0), [[-0.5, -0.5, -0.5, -0.5, 2.0]])


def test_quantile_by_hand():
    from expressions.ops.cross_section import quantile

    x = np.array([[10.0, 20.0, 30.0, 40.0]])
    # p = (rank - 0.5) / 4 = 1/8, 3/8, 5/8, 7/8; uniform: 2p - 1.
    np.testing.assert_allclose(quantile(x, "uniform"), [[-0.75, -0.25, 0.25, 0.75]])
    gaussian = quantile(x)
    np.testing.assert_allclose(gaussian[0, :2], -gaussian[0, :1:-1])
    np.testing.assert_allclose(gaussian[0, 3], 1.1503493803760079)


def test_neutralizations_by_hand():
    from expressions.ops.cross_section import regression_neut, vector_neut

    x = np.array([[1.0, 2.0, 3.0, np.nan]])
    y = np.array([[2.0, 4.0, 7.0, 1.0]])
    # OLS of y on x: slope 2.5, intercept -2/3 -> residuals 1/6, -1/3, 1/6.
    np.testing.assert_allclose(regression_neut(y, x), [[1 / 6, -1 / 3, 1 / 6, np.nan]])
    # x.y = 31 (first three), y.y = 69 -> x - 31/69 y.
    np.testing.assert_allclose(vector_neut(x, y)[0, :3], [1 - 62 / 69, 2 - 124 / 69, 3 - 217 / 69])
    np.testing.assert_allclose(regression_neut(y, np.ones((1, 4)))[0], y[0] - 3.5)


def test_quantile_rejects_unknown_driver():
    from expressions.ops.cross_section import quantile

    with pytest.raises(ExpressionTypeError, match="driver must be one of .* got 'laplace'"):
        quantile(np.zeros((2, 3)), driver="laplace")


def nasty_rows(t: int, n: int, seed: int) -> np.ndarray:
    """NaN, +-inf, ties (rounded values, -0.0 with 0.0), values a few ulps apart (one run of equal
    packed-key high bits), an all-NaN row, one-member rows (finite and inf), a constant row."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(t, n))
    x[:, : n // 3] = np.round(x[:, : n // 3])
    near = rng.random((t, n)) < 0.15
    x[near] = 1.0 + rng.integers(0, 64, near.sum()) * np.finfo(float).eps
    x[rng.random((t, n)) < 0.05] = -0.0
    x[rng.random((t, n)) < 0.04] = np.inf
    x[rng.random((t, n)) < 0.04] = -np.inf
    x[rng.random((t, n)) < 0.15] = np.nan
    x[1] = np.nan
    x[2] = np.nan
    x[2, n // 2] = 3.0
    x[3] = np.nan
    x[3, 0] = np.inf
    x[4] = 7.0
    return x


WIDTHS = [1, 2, 3, 5, 17, 64, 65, 300]


@pytest.mark.parametrize("n", WIDTHS)
def test_rank_kernel_matches_reference_exactly(n):
    from expressions.kernels.cross_section import rank_2d
    from expressions.reference.cross_section import rank

    x = readonly(nasty_rows(12, n, seed=n))
    np.testing.assert_array_equal(rank_2d(x, False), rank(x), err_msg=f"n={n}")


@pytest.mark.parametrize("n", WIDTHS)
def test_rank_probability_mode_matches_pandas(n):
    import pandas as pd

    from expressions.kernels.cross_section import rank_2d

    x = nasty_rows(12, n, seed=100 + n)
    frame = pd.DataFrame(x)
    expected = (frame.rank(axis=1) - 0.5).to_numpy() / frame.count(axis=1).to_numpy()[:, None]
    np.testing.assert_array_equal(rank_2d(x, True), expected, err_msg=f"n={n}")


def group_cases():
    for n in WIDTHS:
        yield pytest.param(n, 4, id=f"n={n}-4 groups")
    # Groups of ~32 members: both sides of the counted / sorted boundary (rank._COUNTED_GROUP).
    yield pytest.param(160, 4, id="n=160-4 groups")
    # 4096 groups: the most that (group, value) keys hold; 5000: the value sort + split by group.
    for n_groups in (4096, 5000):
        for n in (17, 300):
            yield pytest.param(n, n_groups, id=f"n={n}-{n_groups} groups")


@pytest.mark.parametrize(("n", "n_groups"), list(group_cases()))
def test_group_rank_kernel_matches_reference_exactly(n, n_groups):
    from expressions.kernels.cross_section import group_rank_2d
    from expressions.reference.cross_section import group_rank

    x = readonly(nasty_rows(12, n, seed=200 + n))
    rng = np.random.default_rng(n)
    codes = rng.integers(-1, 4, size=x.shape)  # -1: no group
    codes[rng.random(x.shape) < 0.2] = n_groups - 1  # the top code: the key's top group bits
    where = f"n={n} n_groups={n_groups}"
    np.testing.assert_array_equal(group_rank_2d(x, codes, n_groups), group_rank(x, codes), err_msg=where)


def test_rank_kernel_by_hand_on_ulps_zeros_and_inf():
    from expressions.kernels.cross_section import rank_2d

    eps = np.finfo(float).eps
    # Sorted: -inf, -0.0 = 0.0 (ranks 2, 3 -> 2.5), 1, 1 + eps, 1 + 2 eps, inf; m = 7.
    x = np.array([[1.0 + 2 * eps, np.inf, 0.0, 1.0, -np.inf, -0.0, np.nan, 1.0 + eps]])
    average = np.array([6.0, 7.0, 2.5, 4.0, 1.0, 2.5, np.nan, 5.0])
    np.testing.assert_array_equal(rank_2d(x, False), [(average - 1.0) / 6.0])
    np.testing.assert_array_equal(rank_2d(x, True), [(average - 0.5) / 7.0])
    # A lone member (inf too) is 0.5 in both modes; an all-NaN row stays NaN.
    lone = np.array([[np.nan, np.inf], [np.nan, np.nan]])
    np.testing.assert_array_equal(rank_2d(lone, False), [[np.nan, 0.5], [np.nan, np.nan]])
    np.testing.assert_array_equal(rank_2d(lone, True), [[np.nan, 0.5], [np.nan, np.nan]])


@pytest.mark.parametrize("n_groups", [2, 5000])
def test_group_rank_kernel_by_hand(n_groups):
    from expressions.kernels.cross_section import group_rank_2d

    eps = np.finfo(float).eps
    x = np.array([[1.0 + eps, 5.0, 1.0, -0.0, 0.0, np.nan, 2.0, -2.0]])
    codes = np.array([[0, 1, 0, 0, 0, 0, -1, 0]])
    # Group 0: 1 + eps, 1, -0.0, 0.0, -2 -> average ranks 5, 4, 2.5, 2.5, 1 over 5 -> (r - 1) / 4.
    # Group 1: lone 5.0 -> 0.5; NaN and the code -1 stay NaN.
    expected = [[1.0, 0.5, 0.75, 0.375, 0.375, np.nan, np.nan, 0.0]]
    np.testing.assert_array_equal(group_rank_2d(x, codes, n_groups), expected)


@pytest.mark.parametrize("n", [1, 2, 17, 300])
def test_zscore_kernel_matches_reference_on_nasty_rows(n):
    from expressions.kernels.cross_section import zscore_2d
    from expressions.reference.cross_section import zscore

    x = nasty_rows(12, n, seed=400 + n)
    x[np.isinf(x)] = 5.0  # pandas' mean/std of +-inf differ from any loop's; inf is the rank tests' case
    x[5] = np.where(np.isnan(x[5]), np.nan, -0.0)  # one value, two spellings: std 0, all NaN
    np.testing.assert_allclose(zscore_2d(readonly(x)), zscore(x), rtol=1e-12, atol=1e-12, err_msg=f"n={n}")
    assert np.isnan(zscore_2d(x)[5]).all()
