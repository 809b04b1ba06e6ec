"""The pairs of a pnl day: the Pearson IC and the rank IC's sort keys, from one read of the rows.

A pnl day's pairs are the members of the day before whose alpha value x and next-day return y
are both finite. ``pair_figures`` finds them once for both figures: one pass takes their count,
sums and the largest |x|, a second the centred sums of the IC and each pair's int32 key for
``pipelines.rank_ic``. A key is (bucket of x) << shift | column, where the bucket is a signed log
scale: the magnitude's bit pattern (monotone in |x|) counted from 24 binades below the row's
largest |x| (smaller magnitudes share the bucket of 0), negated for negative x, shifted right
until the row's range fits 31 - shift bits. Buckets never invert the order of two values.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from expressions.kernels.bitcast import MAGNITUDE

NOT_A_KEY = np.int32(np.iinfo(np.int32).max)
_BINADES_SPAN = np.int64(24) << 52  # 24 binades of magnitude bit patterns


@njit(cache=True, fastmath={"reassoc", "nsz"})
def pair_figures(x, member, y, shift, keys):
    """(Pearson IC, pair count) of x against y over the pairs; when ``keys`` has len(x)
    entries, the pairs' rank keys go into it (NOT_A_KEY elsewhere).

    The IC is NaN with fewer than 2 pairs or a constant side. (The magnitudes' bit patterns come
    from the int64 view of x: bitcasting each scalar kept this loop from vectorizing, ~4x.)
    Sums may be reassociated (they vectorize; ~1e-16 relative).
    """
    ranked = keys.shape[0] == x.shape[0]
    bits = x.view(np.int64)
    top = np.int64(0)
    m = 0
    sx = 0.0
    sy = 0.0
    for i in range(x.shape[0]):
        ok = member[i] & np.isfinite(x[i]) & np.isfinite(y[i])
        top = max(top, bits[i] & MAGNITUDE if ok else np.int64(0))
        m += ok
        sx += x[i] if ok else 0.0
        sy += y[i] if ok else 0.0
    floor, half, drop, keep = _key_scale(top, shift)
    mx = sx / max(m, 1)
    my = sy / max(m, 1)
    sxy = 0.0
    sxx = 0.0
    syy = 0.0
    for i in range(x.shape[0]):
        ok = member[i] & np.isfinite(x[i]) & np.isfinite(y[i])
        if ranked:
            keys[i] = _bucket_key(bits[i], floor, half, drop, keep, shift, i) if ok else NOT_A_KEY
        dx = x[i] - mx if ok else 0.0
        dy = y[i] - my if ok else 0.0
        sxy += dx * dy
        sxx += dx * dx
        syy += dy * dy
    # sqrt each: sxx * syy can underflow to 0 for tiny alphas (numba raises on x / 0.0)
    scale = np.sqrt(sxx) * np.sqrt(syy)
    return (sxy / scale if m >= 2 and scale > 0.0 else np.nan), m


@njit(cache=True)
def _key_scale(top, shift):
    """(floor, half, drop, keep) of ``_bucket_key`` for a row whose largest magnitude bit
    pattern is ``top``."""
    floor = max(top - _BINADES_SPAN, np.int64(0))
    half = top - floor
    room = 31 - shift
    drop = _bits_to_drop(2 * half, room)
    keep = np.int64(1) if room > 0 else np.int64(0)  # no room: bucket 0, one run for rank_ic to order
    return floor, half, drop, keep


@njit(cache=True, inline="always")
def _bucket_key(bits, floor, half, drop, keep, shift, column):
    """The int32 key of one value (its int64 bit pattern) in column ``column``."""
    magnitude = max((bits & MAGNITUDE) - floor, np.int64(0))
    signed = -magnitude if bits < 0 else magnitude
    bucket = ((signed + half) >> drop) * keep
    return np.int32((bucket << shift) | column)


@njit(cache=True)
def _bits_to_drop(span, room):
    """The least right shift that makes the non-negative int64 span fit ``room`` bits."""
    drop = 0
    while room > 0 and span >> drop >> room != 0:
        drop += 1
    return drop
