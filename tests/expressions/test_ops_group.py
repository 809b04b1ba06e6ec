"""Group operators: every one in REGISTRY against its slow twin, plus hand-computed days."""

from __future__ import annotations

import numpy as np
import pytest

from expressions.errors import ExpressionTypeError
from expressions.registry import operators
from expressions.types import Group, Series, Window

SHAPE = (30, 9)
GROUP_OPS = [spec for spec in operators() if spec.category == "group"]
PARAM_CASES = {
    "group_backfill": [{"std": 0.5}],
    "bucket": [{"range": "-2,2,0.5"}, {"buckets": "-1,0,0.5,3"}],
}


def random_values(seed: int) -> np.ndarray:
    """~15% NaN, ties (coarse grid), an all-NaN day and a day with one value."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(0.0, 2.0, size=SHAPE) * 2) / 2
    x[rng.random(SHAPE) < 0.15] = np.nan
    x[3] = np.nan
    x[5] = np.nan
    x[5, 4] = 1.5
    return x


def random_codes(seed: int) -> np.ndarray:
    """Codes 0..3 with negatives (no group); code 7 is a one-member group on every day."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(-1, 4, size=SHAPE)
    codes[:, 0] = 7
    return codes


def readonly(array: np.ndarray) -> np.ndarray:
    array = array.copy()
    array.setflags(write=False)
    return array


def make_args(spec, seed: int) -> list:
    args = []
    for k, tp in enumerate(spec.args):
        if tp is Series:
            args.append(readonly(random_values(seed + k)))
        elif tp is Group:
            args.append(readonly(random_codes(seed + k)))
        elif tp is Window:
            args.append(3)
        else:
            raise AssertionError(f"{spec.name}: no sample for argument type {tp}")
    return args


def cases():
    for spec in GROUP_OPS:
        for params in [{}, *PARAM_CASES.get(spec.name, [])]:
            yield pytest.param(spec, params, id=f"{spec.name}-{params}" if params else spec.name)


@pytest.mark.parametrize(("spec", "params"), list(cases()))
@pytest.mark.parametrize("seed", [0, 1])
def test_operator_matches_reference(spec, params, seed):
    assert spec.reference is not None, f"{spec.name} has no reference twin"
    assert spec.pasteurize, f"{spec.name} must be pasteurized"
    args = make_args(spec, seed)
    before = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    actual = spec.fn(*args, **params)
    expected = spec.reference(*args, **params)
    where = f"op={spec.name} params={params} shape={SHAPE} seed={seed}"
    expected_dtype = np.int64 if spec.returns is Group else np.float64
    assert actual.shape == SHAPE and actual.dtype == expected_dtype, where
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-12, err_msg=where)
    for arg, original in zip(args, before):
        np.testing.assert_array_equal(arg, original, err_msg=f"{where}: input modified")


@pytest.mark.parametrize("spec", [s for s in GROUP_OPS if Group in s.args], ids=lambda s: s.name)
def test_panel_codes_broadcast_over_days(spec):
    x = random_values(3)
    codes = np.array([0, 0, 1, 1, 1, 2, -1, 2, 5])
    args = [x, codes] + ([4] if Window in spec.args else [])
    expected = spec.fn(x, np.broadcast_to(codes, SHAPE).copy(), *args[2:])
    np.testing.assert_array_equal(spec.fn(*args), expected, err_msg=spec.name)


def test_group_statistics_by_hand():
    from expressions.ops import group as ops

    x = np.array([[1.0, 3.0, 5.0, 2.0, np.nan, 4.0]])
    g = np.array([[0, 0, 0, 1, 1, -1]])
    # Group 0: 1, 3, 5 (mean 3, population std sqrt(8/3)); group 1: just 2; code -1: none.
    nan = np.nan
    np.testing.assert_allclose(ops.group_mean(x, g), [[3, 3, 3, 2, nan, nan]])
    np.testing.assert_allclose(ops.group_neutralize(x, g), [[-2, 0, 2, 0, nan, nan]])
    np.testing.assert_allclose(ops.group_rank(x, g), [[0, 0.5, 1, 0.5, nan, nan]])
    s = np.sqrt(8.0 / 3.0)
    np.testing.assert_allclose(ops.group_zscore(x, g), [[-2 / s, 0, 2 / s, nan, nan, nan]])
    np.testing.assert_allclose(ops.group_scale(x, g), [[0, 0.5, 1, nan, nan, nan]])
    np.testing.assert_allclose(ops.group_sum(x, g), [[9, 9, 9, 2, nan, nan]])
    np.testing.assert_allclose(ops.group_count(x, g), [[3, 3, 3, 1, nan, nan]])
    np.testing.assert_allclose(ops.group_max(x, g), [[5, 5, 5, 2, nan, nan]])
    np.testing.assert_allclose(ops.group_min(x, g), [[1, 1, 1, 2, nan, nan]])


def test_group_rank_ties_by_hand():
    from expressions.ops.group import group_rank

    x = np.array([[2.0, 2.0, 1.0, 9.0, 9.0]])
    g = np.array([[4, 4, 4, 0, 0]])
    # Group 4: 1 -> rank 1, the two 2s share 2.5 -> (2.5 - 1) / 2 = 0.75; group 0 ties -> 0.5.
    np.testing.assert_allclose(group_rank(x, g), [[0.75, 0.75, 0.0, 0.5, 0.5]])


def test_group_backfill_by_hand():
    from expressions.ops.group import group_backfill

    x = np.array([[1.0, 2.0, 9.0], [np.nan, 4.0, np.nan]])
    g = np.array([[0, 0, 1], [0, 0, -1]])
    # Day 1, d=2: group 0 pool = 1, 2, 4 (mean 7/3), wide band -> fill 7/3; code -1 stays NaN.
    out = group_backfill(x, g, 2, std=10.0)
    np.testing.assert_allclose(out, [[1, 2, 9], [7 / 3, 4, np.nan]])
    # d=1: only today's 4 is in the pool.
    np.testing.assert_allclose(group_backfill(x, g, 1)[1], [4, 4, np.nan])


def test_bucket_by_hand():
    from expressions.ops.group import bucket

    x = np.array([[0.0, 0.05, 0.1, 0.95, 1.0, 1.3, -0.2, np.nan]])
    np.testing.assert_array_equal(bucket(x), [[0, 0, 1, 9, 9, 9, 0, -1]])
    np.testing.assert_array_equal(bucket(x, buckets="0,0.5,2"), [[0, 0, 0, 1, 1, 1, 0, -1]])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"range": "0,1"}, "range must be 'start,end,step', got '0,1'"),
        ({"range": "0,1,zero"}, "range must be comma-separated numbers, got '0,1,zero'"),
        ({"range": "1,0,0.1"}, "needs end > start, step > 0"),
        ({"range": "0,1,0"}, "needs end > start, step > 0"),
        ({"range": "0,1,1e-9"}, "at most 10000 buckets"),
        ({"buckets": "3,2"}, "buckets must be at least two increasing numbers"),
    ],
)
def test_bucket_rejects_bad_strings(kwargs, message):
    from expressions.ops.group import bucket

    with pytest.raises(ExpressionTypeError, match=message):
        bucket(np.zeros((2, 2)), **kwargs)


def test_huge_codes_are_renumbered():
    from expressions.ops.group import group_mean

    x = np.array([[1.0, 3.0, 10.0]])
    np.testing.assert_allclose(group_mean(x, np.array([[10**12, 10**12, 5]])), [[2, 2, 10]])


def test_day_invariant_codes_stay_one_broadcast_row():
    from expressions.ops.group import group_codes, group_rank

    row = np.array([3, -1, 10**12, 3, 7])
    for given in (row, np.broadcast_to(row, (4, 5))):
        codes, n_groups = group_codes(given, (4, 5))
        assert codes.strides[0] == 0 and codes.dtype == np.int64 and n_groups == 3
        np.testing.assert_array_equal(codes, np.broadcast_to([0, -1, 2, 0, 1], (4, 5)))
    x = np.arange(20.0).reshape(4, 5)[:, ::-1].copy()
    np.testing.assert_array_equal(group_rank(x, np.broadcast_to(row, (4, 5))), group_rank(x, np.tile(row, (4, 1))))
    codes, n_groups = group_codes(np.broadcast_to(np.array([2, -1, 0], dtype=np.int32), (3, 3)), (3, 3))
    assert codes.dtype == np.int64 and codes.strides[0] == 0 and n_groups == 3
