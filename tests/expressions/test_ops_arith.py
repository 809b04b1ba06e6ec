"""Arithmetic operators: every one in REGISTRY against its slow twin, plus hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from expressions.registry import operators, resolve
from expressions.types import Series

SHAPE = (30, 9)
ARITHMETIC = [spec for spec in operators() if spec.category == "arithmetic"]
INFIX_NAMES = ("add", "subtract", "multiply", "divide", "power", "reverse")


def random_values(seed: int) -> np.ndarray:
    """~15% NaN, ties and zeros (coarse grid), negatives, an all-NaN day, overflow-sized values."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(0.0, 2.0, size=SHAPE) * 2) / 2
    x[rng.random(SHAPE) < 0.15] = np.nan
    x[3] = np.nan
    x[4, :3] = [800.0, -800.0, 0.0]
    return x


def readonly(array: np.ndarray) -> np.ndarray:
    array = array.copy()
    array.setflags(write=False)
    return array


def argument_sets(spec):
    """All-Series arguments, and for binary operators a Scalar on either side (broadcast)."""
    series = [readonly(random_values(k)) for k in range(spec.arity)]
    yield "series", series
    if spec.arity == 2:
        for scalar in (0.0, -1.5, 2.0):
            yield f"scalar-right={scalar}", [series[0], scalar]
            yield f"scalar-left={scalar}", [scalar, series[1]]


@pytest.mark.parametrize("spec", ARITHMETIC, ids=lambda s: s.name)
def test_operator_matches_reference(spec):
    assert spec.reference is not None, f"{spec.name} has no reference twin"
    assert all(tp is Series for tp in spec.args) and spec.returns is Series
    for label, args in argument_sets(spec):
        before = [np.copy(a) for a in args]
        with np.errstate(divide="raise", over="raise", invalid="raise"):
            actual = spec.fn(*args)
        expected = spec.reference(*args)
        where = f"op={spec.name} args={label} shape={SHAPE}"
        assert actual.shape == SHAPE and actual.dtype == np.float64, where
        assert not np.isinf(actual).any(), f"{where}: produced inf"
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-14, err_msg=where)
        for arg, original in zip(args, before):
            np.testing.assert_array_equal(arg, original, err_msg=f"{where}: input modified")


def test_infix_names_are_declared():
    for name in INFIX_NAMES:
        spec = resolve(name)
        assert spec is not None and spec.category == "arithmetic", name
    assert resolve("SignedPower").name == "signed_power"


def test_commutative_flags():
    flagged = {spec.name for spec in ARITHMETIC if spec.commutative}
    assert flagged == {"add", "multiply", "max", "min"}


def test_values_by_hand():
    from expressions.ops import arith

    x = np.array([[-8.0, -0.5, 0.0, 2.0, np.nan]])
    nan = np.nan
    np.testing.assert_allclose(arith.divide(x, np.array([[2.0, 0.0, 0.0, 4.0, 1.0]])), [[-4, nan, nan, 0.5, nan]])
    np.testing.assert_allclose(arith.inverse(x), [[-0.125, -2, nan, 0.5, nan]])
    np.testing.assert_allclose(arith.log(x), [[nan, nan, nan, np.log(2), nan]])
    np.testing.assert_allclose(arith.sqrt(x), [[nan, nan, 0, np.sqrt(2), nan]])
    np.testing.assert_allclose(arith.power(x, 2.0), [[64, 0.25, 0, 4, nan]])
    np.testing.assert_allclose(arith.power(x, 0.5), [[nan, nan, 0, np.sqrt(2), nan]])
    np.testing.assert_allclose(arith.power(x, -1.0), [[-0.125, -2, nan, 0.5, nan]])
    np.testing.assert_allclose(arith.signed_power(x, 1.0 / 3.0), [[-2, -(0.5 ** (1 / 3)), 0, 2 ** (1 / 3), nan]])
    np.testing.assert_allclose(arith.s_log_1p(x), [[-np.log(9), -np.log(1.5), 0, np.log(3), nan]])
    np.testing.assert_allclose(arith.fraction(np.array([[-2.5, 3.25]])), [[-0.5, 0.25]])
    np.testing.assert_allclose(arith.sigmoid(np.array([[0.0, -1000.0, 1000.0]])), [[0.5, 0, 1]])
    np.testing.assert_allclose(arith.exp(np.array([[0.0, 1000.0]])), [[1, nan]])
    np.testing.assert_allclose(arith.max(x, -1.0), [[-1, -0.5, 0, 2, nan]])
    np.testing.assert_allclose(arith.min(x, -1.0), [[-8, -1, -1, -1, nan]])
