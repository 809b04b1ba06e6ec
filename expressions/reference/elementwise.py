"""Slow reference twins: elementwise operators (arithmetic and logical).

Each twin applies a plain Python function of floats to every element, one at a time, after
numpy broadcasting: slow on purpose and evidently correct. Same names as the operators.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

NAN = math.nan

__all__: list[str] = [
    "abs", "add", "subtract", "multiply", "divide", "inverse", "reverse", "log", "sqrt",
    "power", "signed_power", "sign", "max", "min", "s_log_1p", "exp", "tanh", "sigmoid",
    "arc_tan", "fraction",
    "if_else", "less", "less_equal", "equal", "not_equal", "greater", "greater_equal",
    "and_", "or_", "not_", "is_nan",
]


def _each(rule, *args) -> np.ndarray:
    """Apply rule(float, ...) -> float to every element of the broadcast arguments."""
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in args))
    out = np.empty(arrays[0].shape)
    for position in np.ndindex(out.shape):
        out[position] = rule(*(float(a[position]) for a in arrays))
    return out


def _nan_in(*values: float) -> bool:
    return builtins.any(math.isnan(v) for v in values)


def _finite(value: float) -> float:
    return value if math.isfinite(value) else NAN


def _exp(a: float) -> float:
    try:
        return _finite(math.exp(a))
    except OverflowError:
        return NAN


def _power(a: float, b: float) -> float:
    if _nan_in(a, b) or (a == 0 and b < 0) or (a < 0 and b != math.floor(b)):
        return NAN
    try:
        return _finite(a**b)
    except OverflowError:
        return NAN


def _signed_power(a: float, b: float) -> float:
    if _nan_in(a, b):
        return NAN
    return float((a > 0) - (a < 0)) * _power(builtins.abs(a), b)


def _divide(a: float, b: float) -> float:
    if _nan_in(a, b) or b == 0:
        return NAN
    try:
        return _finite(a / b)
    except OverflowError:
        return NAN


def _compare(test):
    return lambda a, b: NAN if _nan_in(a, b) else float(test(a, b))


def abs(x):  # noqa: A001
    return _each(lambda a: NAN if math.isnan(a) else builtins.abs(a), x)


def add(x, y):
    return _each(lambda a, b: a + b, x, y)


def subtract(x, y):
    return _each(lambda a, b: a - b, x, y)


def multiply(x, y):
    return _each(lambda a, b: a * b, x, y)


def divide(x, y):
    return _each(_divide, x, y)


def inverse(x):
    return _each(lambda a: _divide(1.0, a), x)


def reverse(x):
    return _each(lambda a: -a, x)


def log(x):
    return _each(lambda a: math.log(a) if a > 0 else NAN, x)


def sqrt(x):
    return _each(lambda a: math.sqrt(a) if a >= 0 else NAN, x)


def power(x, y):
    return _each(_power, x, y)


def signed_power(x, y):
    return _each(_signed_power, x, y)


def sign(x):
    return _each(lambda a: NAN if math.isnan(a) else float((a > 0) - (a < 0)), x)


def max(x, y):  # noqa: A001
    return _each(lambda a, b: NAN if _nan_in(a, b) else builtins.max(a, b), x, y)


def min(x, y):  # noqa: A001
    return _each(lambda a, b: NAN if _nan_in(a, b) else builtins.min(a, b), x, y)


def _s_log_1p(a: float) -> float:
    if math.isnan(a):
        return NAN
    return math.copysign(math.log(1.0 + builtins.abs(a)), a)


def s_log_1p(x):
    return _each(_s_log_1p, x)


def exp(x):
    return _each(lambda a: NAN if math.isnan(a) else _exp(a), x)


def tanh(x):
    return _each(lambda a: NAN if math.isnan(a) else math.tanh(a), x)


def sigmoid(x):
    return _each(lambda a: NAN if math.isnan(a) else 1.0 / (1.0 + _exp_or_inf(-a)), x)


def _exp_or_inf(a: float) -> float:
    try:
        return math.exp(a)
    except OverflowError:
        return math.inf


def arc_tan(x):
    return _each(lambda a: NAN if math.isnan(a) else math.atan(a), x)


def fraction(x):
    return _each(lambda a: NAN if math.isnan(a) else a - math.trunc(a), x)


def _choose(c: float, a: float, b: float) -> float:
    if math.isnan(c):
        return NAN
    return a if c != 0 else b


def if_else(condition, if_true, if_false):
    return _each(_choose, condition, if_true, if_false)


def less(x, y):
    return _each(_compare(lambda a, b: a < b), x, y)


def less_equal(x, y):
    return _each(_compare(lambda a, b: a <= b), x, y)


def equal(x, y):
    return _each(_compare(lambda a, b: a == b), x, y)


def not_equal(x, y):
    return _each(_compare(lambda a, b: a != b), x, y)


def greater(x, y):
    return _each(_compare(lambda a, b: a > b), x, y)


def greater_equal(x, y):
    return _each(_compare(lambda a, b: a >= b), x, y)


def and_(x, y):
    return _each(_compare(lambda a, b: a != 0 and b != 0), x, y)


def or_(x, y):
    return _each(_compare(lambda a, b: a != 0 or b != 0), x, y)


def not_(x):
    return _each(lambda a: NAN if math.isnan(a) else float(a == 0), x)


def is_nan(x):
    return _each(lambda a: float(math.isnan(a)), x)
