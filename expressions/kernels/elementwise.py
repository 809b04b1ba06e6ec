"""numba ufuncs for the elementwise operators whose NaN rules numpy cannot express in one pass.

Each is a ``numba.vectorize`` ufunc over float64 scalars, so numpy does the broadcasting
(Series [T, N] with Series, Scalar or [N]) and allocates one output; numpy itself would need
an ``np.where`` and a temporary per rule. ``bench/cross_section.py`` measures each against its
numpy spelling. Plain operators (add, multiply, abs, exp, ...) stay numpy in ``ops/arith.py``.

Rules shared by all of them:

- NaN in any input gives NaN (is_nan excepted, in ops/logical.py).
- A result that would be +-inf (division by zero, 0 ** -1, overflow) is NaN.
- Truth: a Bool is 1.0 (true), 0.0 (false) or NaN (unknown); any non-zero number is true.
"""

from __future__ import annotations

import math

from numba import vectorize

_BINARY = ["float64(float64, float64)"]
_MEMBER = ["float64(float64, boolean)"]
_TERNARY = ["float64(float64, float64, float64)"]

NAN = math.nan


@vectorize(_BINARY, cache=True)
def divide_ufunc(x, y):
    """x / y; NaN when y is 0 or the quotient overflows."""
    if y == 0.0:
        return NAN
    q = x / y
    return q if math.isfinite(q) else NAN


@vectorize(_BINARY, cache=True)
def power_ufunc(x, y):
    """x ** y; NaN for a negative base with a fractional exponent and for infinite results."""
    if math.isnan(x) or math.isnan(y):
        return NAN
    if x == 0.0 and y < 0.0:
        return NAN
    if x < 0.0 and y != math.floor(y):
        return NAN
    p = x**y
    return p if math.isfinite(p) else NAN


@vectorize(_BINARY, cache=True)
def signed_power_ufunc(x, y):
    """sign(x) * |x| ** y; NaN for 0 ** negative and for infinite results."""
    if math.isnan(x) or math.isnan(y):
        return NAN
    a = abs(x)
    if a == 0.0:
        return NAN if y < 0.0 else 0.0
    p = a**y
    if not math.isfinite(p):
        return NAN
    return p if x > 0.0 else -p


@vectorize(_BINARY, cache=True)
def less_ufunc(x, y):
    """1.0 if x < y else 0.0; NaN if either is NaN."""
    if math.isnan(x) or math.isnan(y):
        return NAN
    return 1.0 if x < y else 0.0


@vectorize(_BINARY, cache=True)
def less_equal_ufunc(x, y):
    """1.0 if x <= y else 0.0; NaN if either is NaN."""
    if math.isnan(x) or math.isnan(y):
        return NAN
    return 1.0 if x <= y else 0.0


@vectorize(_BINARY, cache=True)
def equal_ufunc(x, y):
    """1.0 if x == y else 0.0; NaN if either is NaN."""
    if math.isnan(x) or math.isnan(y):
        return NAN
    return 1.0 if x == y else 0.0


@vectorize(_BINARY, cache=True)
def and_ufunc(x, y):
    """1.0 if both are non-zero else 0.0; NaN if either is NaN."""
    if math.isnan(x) or math.isnan(y):
        return NAN
    return 1.0 if x != 0.0 and y != 0.0 else 0.0


@vectorize(_BINARY, cache=True)
def or_ufunc(x, y):
    """1.0 if either is non-zero else 0.0; NaN if either is NaN."""
    if math.isnan(x) or math.isnan(y):
        return NAN
    return 1.0 if x != 0.0 or y != 0.0 else 0.0


@vectorize(_TERNARY, cache=True)
def if_else_ufunc(condition, if_true, if_false):
    """if_true where condition is non-zero, if_false where it is 0, NaN where it is NaN."""
    if math.isnan(condition):
        return NAN
    return if_true if condition != 0.0 else if_false


@vectorize(_MEMBER, cache=True)
def member_or_nan_ufunc(x, member):
    """x where member is true, NaN elsewhere: the evaluator's pasteurization (~2.5x less CPU
    than ``np.where(member, x, nan)``, which selects through a broadcast scalar)."""
    return x if member else NAN
