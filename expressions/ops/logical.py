"""Operator declarations: comparisons and logic (elementwise, category "logical").

Names the parser maps infix syntax to (stable; do not rename):
    x < y -> less      x <= y -> less_equal    x == y -> equal       x != y -> not_equal
    x > y -> greater   x >= y -> greater_equal
    a && b -> and_     a || b -> or_           !a -> not_            c ? a : b -> if_else

Bool values are float64 1.0 (true), 0.0 (false) and NaN (unknown); any non-zero number counts
as true. NaN rules: a comparison with NaN on either side is NaN; and_/or_/not_ of NaN is NaN
(no three-valued short cut: NaN && 0 is NaN); if_else with a NaN condition is NaN; is_nan is
never NaN.
"""

from __future__ import annotations

import numpy as np

from expressions.kernels import elementwise as kernels
from expressions.reference import elementwise as reference
from expressions.registry import operator
from expressions.types import Bool, Series

_COMPARE = {"args": (Series, Series), "returns": Bool, "category": "logical",
            "nan_rule": "NaN if either side is NaN"}
_LOGIC = {"args": (Bool, Bool), "returns": Bool, "category": "logical",
          "nan_rule": "NaN if either side is NaN", "commutative": True}


def _float(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def _apply(ufunc, *args) -> np.ndarray:
    """Call a kernel ufunc; its NaN rules are deliberate, so numpy's FP warnings are silenced."""
    # The compiled loop may evaluate both sides of a guard and raise FP flags numpy would report.
    with np.errstate(all="ignore"):
        return np.asarray(ufunc(*args), dtype=np.float64)


@operator(args=(Bool, Series, Series), returns=Series, category="logical",
          reference=reference.if_else, nan_rule="NaN where the condition is NaN")
def if_else(condition, if_true, if_false):
    """if_true where condition is true (non-zero), if_false where false, NaN where unknown."""
    return _apply(kernels.if_else_ufunc, condition, if_true, if_false)


@operator(**_COMPARE, reference=reference.less)
def less(x, y):
    """1 where x < y, else 0."""
    return _apply(kernels.less_ufunc, x, y)


@operator(**_COMPARE, reference=reference.less_equal)
def less_equal(x, y):
    """1 where x <= y, else 0."""
    return _apply(kernels.less_equal_ufunc, x, y)


@operator(**_COMPARE, commutative=True, reference=reference.equal)
def equal(x, y):
    """1 where x == y, else 0."""
    return _apply(kernels.equal_ufunc, x, y)


@operator(**_COMPARE, commutative=True, reference=reference.not_equal)
def not_equal(x, y):
    """1 where x != y, else 0."""
    return 1.0 - _apply(kernels.equal_ufunc, x, y)


@operator(**_COMPARE, reference=reference.greater)
def greater(x, y):
    """1 where x > y, else 0."""
    return _apply(kernels.less_ufunc, y, x)


@operator(**_COMPARE, reference=reference.greater_equal)
def greater_equal(x, y):
    """1 where x >= y, else 0."""
    return _apply(kernels.less_equal_ufunc, y, x)


@operator(**_LOGIC, reference=reference.and_)
def and_(x, y):
    """Logical and: 1 where both are true."""
    return _apply(kernels.and_ufunc, x, y)


@operator(**_LOGIC, reference=reference.or_)
def or_(x, y):
    """Logical or: 1 where either is true."""
    return _apply(kernels.or_ufunc, x, y)


@operator(args=(Bool,), returns=Bool, category="logical", reference=reference.not_)
def not_(x):
    """Logical not: 1 where x is false (0), 0 where true."""
    x = _float(x)
    return np.where(np.isnan(x), np.nan, (x == 0).astype(np.float64))


@operator(args=(Series,), returns=Bool, category="logical", reference=reference.is_nan,
          nan_rule="never NaN: 1 where x is NaN, else 0")
def is_nan(x):
    """1 where x is NaN, else 0."""
    return np.isnan(_float(x)).astype(np.float64)
