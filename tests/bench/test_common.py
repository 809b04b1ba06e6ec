"""bench/_common.py: the daily rank IC both sides of a comparison are judged by, on hand-computed cases."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from tests.bench._run import BENCH

sys.path.insert(0, str(BENCH))
from _common import daily_rank_ic, forward_returns  # noqa: E402


def test_daily_rank_ic_hand_computed():
    values = np.array([[1.0, 2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]])
    forward = np.array([[1.0, 3, 2, 4, 5], [5, 4, 3, 2, 1], [1, 2, 3, 4, 5]])
    # day 0: d = (0, 1, 1, 0, 0) -> 1 - 6 * 2 / (5 * 24) = 0.9; day 1: -1; day 2 is not asked for
    assert daily_rank_ic(values, forward, range(2)) == pytest.approx((0.9 - 1.0) / 2)


def test_daily_rank_ic_skips_thin_days_and_uses_average_ranks_for_ties():
    values = np.array([[1.0, 1, 2, 3, 4, np.nan], [1, 2, np.nan, np.nan, np.nan, np.nan]])
    forward = np.array([[1.0, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6]])
    # day 0: ranks (1.5, 1.5, 3, 4, 5) vs (1..5); day 1 has 2 names (< 5) and is skipped
    a, b = np.array([1.5, 1.5, 3, 4, 5]), np.arange(1.0, 6)
    assert daily_rank_ic(values, forward, range(2)) == pytest.approx(np.corrcoef(a, b)[0, 1])


def test_forward_returns_is_next_days_return(tiny_panel):
    forward = forward_returns(tiny_panel)
    returns = np.asarray(tiny_panel.returns)
    np.testing.assert_array_equal(forward[:-1], returns[1:])
    assert np.isnan(forward[-1]).all()
