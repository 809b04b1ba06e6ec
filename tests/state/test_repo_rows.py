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


def test_a_band_spans_an_eighth_to_a_quarter_of_its_scores() -> None:
    """Mantissa quarters [0.5, 0.625), ..., [0.875, 1): widths 25% down to 14% of the low end."""
    rng = np.random.default_rng(8)
    for score in 10.0 ** rng.uniform(-300, 300, 2_000):
        low = high = float(score)
        while score_band(low / 1.01) == score_band(score):
            low /= 1.01
        while score_band(high * 1.01) == score_band(score):
            high *= 1.01
        assert 1.143 / 1.01**2 < high / low < 1.25 * 1.01, (score, low, high)
