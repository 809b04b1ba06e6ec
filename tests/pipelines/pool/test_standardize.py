"""Per-day standardisation by hand: ranks centred on 0, clipped z-scores, missing -> 0."""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.pool.errors import PoolError
from pipelines.pool.standardize import standardize

VALUES = np.array([[1.0, 2.0, np.nan, 4.0],
                   [np.nan, np.nan, np.nan, np.nan],
                   [3.0, 3.0, 1.0, 2.0]])
UNIVERSE = np.array([[True] * 4, [True] * 4, [True, True, True, False]])


def test_rank_centres_average_ranks_and_zeroes_missing():
    expected = [[-0.5, 0.0, 0.0, 0.5],   # ranks 1, 2, 3 of 3 -> 0, 0.5, 1 - 0.5
                [0.0, 0.0, 0.0, 0.0],    # nothing to rank
                [0.25, 0.25, -0.5, 0.0]]  # 3, 3, 1 -> ranks 2.5, 2.5, 1 of 3; the 4th is outside
    np.testing.assert_allclose(standardize(VALUES, UNIVERSE, "rank"), expected)


def test_zscore_uses_the_population_std_of_the_members():
    got = standardize(VALUES, UNIVERSE, "zscore")
    mean, std = 7 / 3, np.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (4 - 7 / 3) ** 2) / 3)
    np.testing.assert_allclose(got[0], [(1 - mean) / std, (2 - mean) / std, 0.0, (4 - mean) / std])
    np.testing.assert_allclose(got[1], 0.0)


def test_zscore_is_clipped_and_none_keeps_raw_values():
    outlier = np.array([[0.0] * 99 + [1000.0]])
    assert standardize(outlier, np.ones_like(outlier, bool), "zscore").max() == 5.0
    raw = standardize(VALUES, UNIVERSE, "none")
    assert np.isnan(raw[2, 3]) and raw[0, 3] == 4.0


def test_unknown_standardisation():
    with pytest.raises(PoolError, match="unknown standardisation 'minmax'"):
        standardize(VALUES, UNIVERSE, "minmax")
