"""Operator declarations: arithmetic (elementwise, category "arithmetic").

Names the parser maps infix syntax to (stable; do not rename):
    x + y -> add      x - y -> subtract    x * y -> multiply    x / y -> divide
    x ^ y -> power    -x    -> reverse

NaN rules for every operator here: NaN in any argument gives NaN; a result that would be
+-inf (x / 0, 0 ^ -1, exp overflow) is NaN; log(x <= 0) and sqrt(x < 0) are NaN. Scalars are
accepted wherever a Series is (numpy broadcasting); inputs are never modified.
"""

from __future__ import annotations

import numpy as np

from expressions.kernels import elementwise as kernels
from expressions.reference import elementwise as reference
from expressions.registry import operator
from expressions.types import Series

_UNARY = {"args": (Series,), "returns": Series, "category": "arithmetic"}
_BINARY = {"args": (Series, Series), "returns": Series, "category": "arithmetic"}


def _float(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def _apply(ufunc, *args) -> np.ndarray:
    """Call a kernel ufunc; its NaN rules are deliberate, so numpy's FP warnings are silenced."""
    # The compiled loop may evaluate both sides of a guard and raise FP flags numpy would report.
    with np.errstate(all="ignore"):
        return np.asarray(ufunc(*args), dtype=np.float64)


def _finite_or_nan(values: np.ndarray) -> np.ndarray:
    """Replace +-inf by NaN (in place on a fresh result array)."""
    values = _float(values)
    if values.ndim == 0:
        return values if np.isfinite(values) else _float(np.nan)
    values[np.isinf(values)] = np.nan
    return values


@operator(**_UNARY, reference=reference.abs)
def abs(x):  # noqa: A001 - the operator's name is BRAIN's
    """Absolute value |x|."""
    return np.abs(_float(x))


@operator(**_BINARY, commutative=True, reference=reference.add)
def add(x, y):
    """Sum x + y."""
    return np.add(_float(x), _float(y))


@operator(**_BINARY, reference=reference.subtract)
def subtract(x, y):
    """Difference x - y."""
    return np.subtract(_float(x), _float(y))


@operator(**_BINARY, commutative=True, reference=reference.multiply)
def multiply(x, y):
    """Product x * y."""
    return np.multiply(_float(x), _float(y))


@operator(**_BINARY, reference=reference.divide, nan_rule="NaN in, NaN out; x / 0 is NaN")
def divide(x, y):
    """Quotient x / y; division by zero gives NaN (never inf)."""
    return _apply(kernels.divide_ufunc, x, y)


@operator(**_UNARY, reference=reference.inverse, nan_rule="NaN in, NaN out; 1 / 0 is NaN")
def inverse(x):
    """Reciprocal 1 / x; NaN where x is 0."""
    return _apply(kernels.divide_ufunc, 1.0, x)


@operator(**_UNARY, reference=reference.reverse)
def reverse(x):
    """Negation -x (unary minus)."""
    return np.negative(_float(x))


@operator(**_UNARY, reference=reference.log, nan_rule="NaN in, NaN out; NaN where x <= 0")
def log(x):
    """Natural logarithm; NaN where x <= 0."""
    x = _float(x)
    out = np.full(x.shape, np.nan)
    np.log(x, out=out, where=x > 0)
    return out


@operator(**_UNARY, reference=reference.sqrt, nan_rule="NaN in, NaN out; NaN where x < 0")
def sqrt(x):
    """Square root; NaN where x < 0."""
    x = _float(x)
    out = np.full(x.shape, np.nan)
    np.sqrt(x, out=out, where=x >= 0)
    return out


@operator(**_BINARY, reference=reference.power, cost=3.0,
          nan_rule="NaN in, NaN out; NaN for negative ^ fractional and for infinite results")
def power(x, y):
    """x raised to the power y; negative base with fractional exponent or 0 ^ negative is NaN."""
    return _apply(kernels.power_ufunc, x, y)


@operator(**_BINARY, aliases=("SignedPower",), reference=reference.signed_power, cost=3.0,
          nan_rule="NaN in, NaN out; 0 ^ negative and infinite results are NaN")
def signed_power(x, y):
    """sign(x) * |x| ^ y: a power that keeps the sign of x."""
    return _apply(kernels.signed_power_ufunc, x, y)


@operator(**_UNARY, reference=reference.sign)
def sign(x):
    """Sign of x: -1, 0 or 1."""
    return np.sign(_float(x))


@operator(**_BINARY, commutative=True, reference=reference.max)
def max(x, y):  # noqa: A001 - the operator's name is BRAIN's
    """Elementwise larger of x and y (NaN if either is NaN)."""
    return np.maximum(_float(x), _float(y))


@operator(**_BINARY, commutative=True, reference=reference.min)
def min(x, y):  # noqa: A001 - the operator's name is BRAIN's
    """Elementwise smaller of x and y (NaN if either is NaN)."""
    return np.minimum(_float(x), _float(y))


@operator(**_UNARY, reference=reference.s_log_1p, cost=2.0)
def s_log_1p(x):
    """Signed log: sign(x) * log(1 + |x|)."""
    x = _float(x)
    return np.sign(x) * np.log1p(np.abs(x))


@operator(**_UNARY, reference=reference.exp, cost=2.0,
          nan_rule="NaN in, NaN out; overflow (x > ~709) is NaN")
def exp(x):
    """Exponential e ^ x; NaN where it overflows."""
    with np.errstate(over="ignore"):
        return _finite_or_nan(np.exp(_float(x)))


@operator(**_UNARY, reference=reference.tanh, cost=2.0)
def tanh(x):
    """Hyperbolic tangent, in (-1, 1)."""
    return np.tanh(_float(x))


@operator(**_UNARY, reference=reference.sigmoid, cost=2.0)
def sigmoid(x):
    """Logistic function 1 / (1 + e ^ -x), in (0, 1)."""
    # The tanh form cannot overflow, unlike 1 / (1 + exp(-x)) for very negative x.
    return 0.5 * (1.0 + np.tanh(0.5 * _float(x)))


@operator(**_UNARY, reference=reference.arc_tan, cost=2.0)
def arc_tan(x):
    """Inverse tangent, in (-pi/2, pi/2)."""
    return np.arctan(_float(x))


@operator(**_UNARY, reference=reference.fraction)
def fraction(x):
    """Fractional part keeping the sign: x - trunc(x) (fraction(-2.5) = -0.5)."""
    x = _float(x)
    return x - np.trunc(x)
