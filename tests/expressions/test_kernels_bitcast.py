"""Scalar bit casts inside numba: exact round trips, and |x|'s bit pattern orders like |x|."""

from __future__ import annotations

import numpy as np
from numba import njit

from expressions.kernels.bitcast import MAGNITUDE, bits_float, float_bits

SPECIALS = [0.0, -0.0, 5e-324, -5e-324, 1e-300, 1.0, -1.0, 1.5, np.pi, -1e300, np.inf, -np.inf]


@njit
def round_trip(values, bits_out, floats_out, magnitudes_out):
    for i in range(values.shape[0]):
        bits_out[i] = float_bits(values[i])
        floats_out[i] = bits_float(bits_out[i])
        magnitudes_out[i] = float_bits(values[i]) & MAGNITUDE


def test_bits_match_numpy_views_and_round_trip():
    values = np.array(SPECIALS + list(np.random.default_rng(0).normal(size=50) * 1e5))
    bits, floats, magnitudes = np.empty(len(values), np.int64), np.empty(len(values)), np.empty(len(values), np.int64)
    round_trip(values, bits, floats, magnitudes)
    np.testing.assert_array_equal(bits, values.view(np.int64))
    np.testing.assert_array_equal(floats.view(np.int64), values.view(np.int64))  # -0.0 keeps its sign
    np.testing.assert_array_equal(magnitudes, np.abs(values).view(np.int64))


def test_magnitude_bits_order_like_the_magnitudes():
    values = np.array(SPECIALS + list(np.random.default_rng(1).normal(size=200) * 10.0 ** np.arange(-100, 100)))
    bits, floats, magnitudes = np.empty(len(values), np.int64), np.empty(len(values)), np.empty(len(values), np.int64)
    round_trip(values, bits, floats, magnitudes)
    by_bits = np.abs(values)[np.argsort(magnitudes, kind="stable")]
    assert (by_bits[1:] >= by_bits[:-1]).all()  # (inf - inf is NaN: compare, do not subtract)
