"""Row conversions: the score band that the top-k index holds instead of the score."""

from __future__ import annotations

import math

import numpy as np
import pytest

from state.repo_rows import score_band


@pytest.mark.parametrize(
    ("score", "band"),
    [
        (None, None),
        (0.0, 0),
        (-0.0, 0),
        (1.0, (1 + 1075) * 4),  # 0.5 * 2**1: first quarter of its octave
        (1.2, (1 + 1075) * 4),  # mantissa 0.6: [0.5, 0.625)
        (1.25, (1 + 1075) * 4 + 1),  # mantissa 0.625
        (1.5, (1 + 1075) * 4 + 2),  # mantissa 0.75
        (1.99, (1 + 1075) * 4 + 3),
        (2.0, (2 + 1075) * 4),
        (0.75, (0 + 1075) * 4 + 2),
        (-1.5, -((1 + 1075) * 4 + 2)),
        (5e-324, (-1073 + 1075) * 4),  # the smallest subnormal is still above 0
        (1.7976931348623157e308, (1024 + 1075) * 4 + 3),
        (math.inf, (1025 + 1075) * 4),
        (-math.inf, -(1025 + 1075) * 4),
    ],
)
def test_hand_computed_bands(score: float | None, band: int | None) -> None:
    assert score_band(score) == band


def test_bands_never_decrease_with_the_score_and_mirror_at_zero() -> None:
    rng = np.random.default_rng(7)
    magnitudes = 10.0 ** rng.uniform(-320, 308, 20_000)
    scores = np.concatenate([magnitudes, -magnitudes, rng.normal(size=5_000), [0.0, 5e-324, -5e-324, 1.0, 1.0, math.inf, -math.inf]])
    scores.sort()
    bands = [score_band(float(score)) for score in scores]
    assert all(a <= b for a, b in zip(bands, bands[1:]))
    assert all(score_band(-float(s)) == -band for s, band in zip(scores, bands))


@pytest.mark.parametrize("exponent", [-1070, -30, -1, 0, 1, 2, 7, 300, 1023])
@pytest.mark.parametrize("quarter", [0, 1, 2, 3])
def test_each_band_is_one_eighth_of_an_octave_s_mantissa_range(exponent: int, quarter: int) -> None:
    """Band edges sit at (0.5 + q/8) * 2**e: the first float of a band starts it, the float below
    ends the previous one, and the last float below the next edge is still inside."""
    low = math.ldexp(0.5 + quarter / 8, exponent)
    high = math.ldexp(0.5 + (quarter + 1) / 8, exponent)
    band = score_band(low)
    assert score_band(math.nextafter(low, 0.0)) == band - 1
    assert score_band(math.nextafter(high, 0.0)) == band
    assert score_band(high) == band + 1
    assert score_band(-low) == -band
