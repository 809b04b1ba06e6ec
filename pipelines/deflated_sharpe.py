"""The deflated Sharpe ratio (Bailey & Lopez de Prado, 2014), with no scipy.

DSR = Phi( (SR - SR0) * sqrt(T - 1) / sqrt(1 - g3 * SR + (g4 - 1) / 4 * SR^2) ), where SR is the
per-day (not annualised) Sharpe of T daily PnLs, g3 their skewness, g4 their (non-excess)
kurtosis, and SR0 the Sharpe the best of N unskilled trials would show by luck:

SR0 = sqrt(V) * ((1 - gamma) * Phi^-1(1 - 1/N) + gamma * Phi^-1(1 - 1/(N e))), gamma = Euler's constant.

V is the variance of the trials' per-day Sharpes. When unknown it defaults to 1 / (T - 1): the
sampling variance of the per-day Sharpe of a zero-mean strategy, i.e. the N trials are treated as
independent unskilled draws over the same days. N <= 1 gives SR0 = 0 (the probabilistic Sharpe).
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

EULER_GAMMA = 0.5772156649015329
_NORMAL = NormalDist()


def expected_max_sharpe(n_trials: int, variance: float) -> float:
    """SR0: the expected largest per-day Sharpe among n_trials unskilled trials."""
    if n_trials <= 1:
        return 0.0
    first = _NORMAL.inv_cdf(1.0 - 1.0 / n_trials)
    second = _NORMAL.inv_cdf(1.0 - 1.0 / (n_trials * math.e))
    return math.sqrt(variance) * ((1.0 - EULER_GAMMA) * first + EULER_GAMMA * second)


def deflated_sharpe_from_moments(
    sharpe: float, days: int, skewness: float, kurtosis: float, n_trials: int, variance: float
) -> float:
    """DSR from a per-day Sharpe and the moments of the PnL (kurtosis non-excess: normal = 3)."""
    if days < 2:
        return math.nan
    sr0 = expected_max_sharpe(n_trials, variance)
    spread = 1.0 - skewness * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if not spread > 0.0:
        return math.nan
    return _NORMAL.cdf((sharpe - sr0) * math.sqrt(days - 1) / math.sqrt(spread))


def deflated_sharpe(pnl: np.ndarray, n_trials: int = 1, variance: float | None = None) -> float:
    """Probability that the Sharpe of this daily PnL is real, given n_trials tried.

    Parameters
    ----------
    pnl : daily PnL (any unit).
    n_trials : how many candidates were tried to find this one.
    variance : variance of the trials' per-day Sharpes; default 1 / (T - 1).

    Returns
    -------
    float in [0, 1]; NaN with fewer than 2 days or a constant PnL.
    """
    pnl = np.asarray(pnl, dtype=np.float64)
    days = len(pnl)
    if days < 2:
        return math.nan
    std = float(np.std(pnl, ddof=1))
    if not std > 0.0:
        return math.nan
    sharpe = float(np.mean(pnl)) / std
    centred = pnl - np.mean(pnl)
    population_std = float(np.sqrt(np.mean(centred**2)))
    skewness = float(np.mean(centred**3)) / population_std**3
    kurtosis = float(np.mean(centred**4)) / population_std**4
    if variance is None:
        variance = 1.0 / (days - 1)
    return deflated_sharpe_from_moments(sharpe, days, skewness, kurtosis, max(int(n_trials), 1), variance)
