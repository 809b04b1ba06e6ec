"""The one place that turns runtime values into what the kernels accept.

Kernels want float64, 2-D, C-contiguous [T, N] arrays and a positive int window. Operators
receive Series (arrays, possibly read-only views), Scalars (floats, broadcast) and Windows.
"""

from __future__ import annotations

import numpy as np

from expressions.errors import EvaluationError


def panel(value, like: np.ndarray | None = None) -> np.ndarray:
    """``value`` as a float64 C-contiguous [T, N] array; a scalar is broadcast to ``like``'s shape.

    Never copies an array that already qualifies, so callers must not write into the result.
    """
    if np.ndim(value) == 0:
        if like is None:
            raise EvaluationError("a time-series operator needs at least one series argument")
        return np.full(np.shape(like), float(value))
    arr = np.ascontiguousarray(value, dtype=np.float64)
    if arr.ndim != 2:
        raise EvaluationError(f"expected a [dates x instruments] series, got shape {arr.shape}")
    return arr


def panels(*values) -> list[np.ndarray]:
    """Several arguments as panels of one shape (scalars broadcast to the first array)."""
    like = next((v for v in values if np.ndim(v) > 0), None)
    arrays = [panel(v, like) for v in values]
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise EvaluationError(f"series arguments have different shapes: {sorted(shapes)}")
    return arrays


def window(value, op: str, minimum: int = 1) -> int:
    """A window argument as an int >= ``minimum`` (fractional windows are floored)."""
    days = int(np.floor(value))
    if days < minimum:
        raise EvaluationError(f"{op}: window must be >= {minimum}, got {value!r}")
    return days


def shift(x: np.ndarray, periods: int) -> np.ndarray:
    """Rows moved down by ``periods`` (up when negative), NaN where nothing moved in."""
    out = np.empty(x.shape)
    t_len = x.shape[0]
    moved = max(0, t_len - abs(periods))
    if periods >= 0:
        out[: t_len - moved] = np.nan
        out[t_len - moved :] = x[:moved]
    else:
        out[:moved] = x[t_len - moved :]
        out[moved:] = np.nan
    return out


def nan_where(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``values`` with NaN where ``mask`` holds (writes into ``values``, which must be fresh)."""
    values[mask] = np.nan
    return values
