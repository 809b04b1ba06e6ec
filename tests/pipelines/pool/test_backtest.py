"""The long-short backtest against a case computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipelines.pool.backtest import long_short
from pipelines.pool.errors import PoolError

# 3 days x 5 symbols; E has no return on day 0 and no prediction after: never traded.
DATES = np.repeat(np.array(["2020-01-02", "2020-01-03", "2020-01-06"], dtype="datetime64[D]"), 5)
SYMBOLS = np.tile(np.array(["A", "B", "C", "D", "E"]), 3)
PREDICTIONS = np.array([4, 3, 2, 1, 9,
                        1, 4, 3, 2, np.nan,
                        1, 4, 3, 2, np.nan], dtype=float)
RETURNS = np.array([0.02, 0.0, 0.0, -0.01, np.nan,
                    0.01, -0.03, 0.0, 0.0, 0.5,
                    -0.02, 0.01, 0.0, 0.0, 0.5])


def test_figures_match_the_hand_computed_case():
    result = long_short(DATES, SYMBOLS, PREDICTIONS, RETURNS, quantile=0.25, cost_bps=10)
    # 4 usable names a day, k = floor(0.25 * 4) = 1 per leg.
    # day 0: long A, short D: 0.02 - (-0.01) = 0.03; traded |+1| + |-1| = 2 -> cost 2 * 0.001 = 0.002
    # day 1: long B, short A: -0.03 - 0.01 = -0.04; traded A 2, B 1, D 1 = 4 -> cost 0.004
    # day 2: same book: 0.01 - (-0.02) = 0.03; traded 0
    np.testing.assert_allclose(result.daily, [0.028, -0.044, 0.030], atol=1e-15)
    np.testing.assert_allclose(result.equity, [0.028, -0.016, 0.014], atol=1e-15)
    mean = 0.014 / 3
    std = math.sqrt(((0.028 - mean) ** 2 + (-0.044 - mean) ** 2 + (0.030 - mean) ** 2) / 2)
    figures = result.figures
    assert figures["sharpe"] == pytest.approx(math.sqrt(252) * mean / std)
    assert figures["sharpe"] == pytest.approx(1.7572, abs=1e-4)
    assert figures["annual_return"] == pytest.approx(252 * 0.014 / 3)  # 1.176
    assert figures["max_drawdown"] == pytest.approx(0.044)  # peak 0.028 -> trough -0.016
    assert figures["turnover"] == pytest.approx((2 / 2 + 4 / 2 + 0 / 2) / 3)  # 1.0
    assert figures["win_rate"] == pytest.approx(2 / 3)
    assert figures["profit_factor"] == pytest.approx((0.028 + 0.030) / 0.044)
    assert figures["days"] == 3
    gross = [0.03, -0.04, 0.03]
    gross_mean, gross_std = 0.02 / 3, np.std(gross, ddof=1)
    assert figures["gross_annual_return"] == pytest.approx(252 * gross_mean)
    assert figures["gross_sharpe"] == pytest.approx(math.sqrt(252) * gross_mean / gross_std)
    assert [str(d) for d in result.dates] == ["2020-01-02", "2020-01-03", "2020-01-06"]


def test_no_costs_and_no_losses():
    result = long_short(DATES[:5], SYMBOLS[:5], PREDICTIONS[:5], RETURNS[:5], quantile=0.5)
    # k = floor(0.5 * 4) = 2: long A, B; short C, D: (0.02 + 0) / 2 - (0 - 0.01) / 2 = 0.015
    np.testing.assert_allclose(result.daily, [0.015])
    assert result.figures["profit_factor"] == math.inf
    assert result.figures["sharpe"] == 0.0  # undefined with one day
    assert result.figures["max_drawdown"] == 0.0


def test_a_day_with_one_name_holds_nothing():
    dates = np.array(["2020-01-02", "2020-01-03", "2020-01-03"], dtype="datetime64[D]")
    result = long_short(dates, np.array(["A", "A", "B"]), np.array([1.0, 2.0, 1.0]), np.array([0.1, 0.01, 0.02]),
                        quantile=0.5)
    np.testing.assert_allclose(result.daily, [0.0, 0.01 - 0.02])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"quantile": 0.0}, "quantile must be in"), ({"quantile": 0.6}, "quantile must be in"),
    ({"cost_bps": -1.0}, "cost must be >= 0"),
])
def test_bad_options(kwargs, message):
    with pytest.raises(PoolError, match=message):
        long_short(DATES, SYMBOLS, PREDICTIONS, RETURNS, **kwargs)
