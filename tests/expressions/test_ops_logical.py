"""Comparison and logic operators: every one in REGISTRY against its slow twin, plus NaN rules."""

from __future__ import annotations

import numpy as np
import pytest

from expressions.registry import operators, resolve
from expressions.types import Bool, Series

SHAPE = (30, 9)
LOGICAL = [spec for spec in operators() if spec.category == "logical"]
INFIX_NAMES = ("less", "less_equal", "equal", "not_equal", "greater", "greater_equal",
               "and_", "or_", "not_", "if_else")


def random_values(seed: int) -> np.ndarray:
    """~15% NaN and many ties (small integers), so that equal comparisons happen."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, size=SHAPE).astype(np.float64)
    x[rng.random(SHAPE) < 0.15] = np.nan
    x[3] = np.nan
    return x


def random_bools(seed: int) -> np.ndarray:
    """1 / 0 / NaN, plus some other non-zero numbers, which count as true."""
    rng = np.random.default_rng(seed)
    return rng.choice([0.0, 1.0, np.nan, 2.5, -1.0], size=SHAPE, p=[0.35, 0.35, 0.15, 0.1, 0.05])


def readonly(array: np.ndarray) -> np.ndarray:
    array = array.copy()
    array.setflags(write=False)
    return array


def argument_sets(spec):
    sample = {Bool: random_bools, Series: random_values}
    arrays = [readonly(sample[tp](100 * k + 1)) for k, tp in enumerate(spec.args)]
    yield "series", arrays
    for position in range(spec.arity if spec.arity > 1 else 0):
        for scalar in (0.0, 1.0):
            args = list(arrays)
            args[position] = scalar
            yield f"scalar{position}={scalar}", args


@pytest.mark.parametrize("spec", LOGICAL, ids=lambda s: s.name)
def test_operator_matches_reference(spec):
    assert spec.reference is not None, f"{spec.name} has no reference twin"
    for label, args in argument_sets(spec):
        before = [np.copy(a) for a in args]
        with np.errstate(divide="raise", over="raise", invalid="raise"):
            actual = spec.fn(*args)
        expected = spec.reference(*args)
        where = f"op={spec.name} args={label} shape={SHAPE}"
        assert actual.shape == SHAPE and actual.dtype == np.float64, where
        np.testing.assert_array_equal(actual, expected, err_msg=where)
        if spec.returns is Bool:
            assert np.isin(actual[~np.isnan(actual)], (0.0, 1.0)).all(), f"{where}: not 1/0/NaN"
        for arg, original in zip(args, before):
            np.testing.assert_array_equal(arg, original, err_msg=f"{where}: input modified")


def test_infix_names_are_declared():
    for name in INFIX_NAMES:
        spec = resolve(name)
        assert spec is not None and spec.category == "logical", name
    comparisons = [s for s in LOGICAL if s.name in INFIX_NAMES[:6]]
    assert all(s.returns is Bool for s in comparisons)


def test_nan_rules_by_hand():
    from expressions.ops import logical

    nan = np.nan
    x = np.array([[1.0, 2.0, nan, 3.0]])
    y = np.array([[2.0, 2.0, 1.0, nan]])
    np.testing.assert_array_equal(logical.less(x, y), [[1, 0, nan, nan]])
    np.testing.assert_array_equal(logical.greater_equal(x, y), [[0, 1, nan, nan]])
    np.testing.assert_array_equal(logical.not_equal(x, y), [[1, 0, nan, nan]])
    a = np.array([[1.0, 0.0, nan, nan, 2.0]])
    b = np.array([[0.0, 0.0, 0.0, 1.0, -3.0]])
    np.testing.assert_array_equal(logical.and_(a, b), [[0, 0, nan, nan, 1]])
    np.testing.assert_array_equal(logical.or_(a, b), [[1, 0, nan, nan, 1]])
    np.testing.assert_array_equal(logical.not_(a), [[0, 1, nan, nan, 0]])
    np.testing.assert_array_equal(logical.is_nan(a), [[0, 0, 1, 1, 0]])
    c = np.array([[1.0, 0.0, nan, 5.0]])
    np.testing.assert_array_equal(logical.if_else(c, x, -1.0), [[1, -1, nan, 3]])
