"""A long-short backtest of a model's predictions, rebalanced daily.

Each day (among the rows with a prediction and a next-day return, at least 2):

1. k = max(1, floor(quantile * n)) names, at most n // 2: the k highest predictions are bought
   with weight +1/k each, the k lowest sold with weight -1/k each (ties: row order). Each leg is
   one unit of capital, so the day's return is on half the gross book, as BRAIN reports returns.
2. Return of the day = sum(w * next_return) - cost, cost = cost_bps / 1e4 * sum|w - w_yesterday|
   (the first day pays for building the book).
3. Figures: ``sharpe`` = sqrt(252) * mean / std (ddof=1, 0.0 when undefined);
   ``annual_return`` = 252 * mean; ``max_drawdown`` = largest fall of the cumulative return
   (``equity``, a running sum starting at 0) from its running peak; ``turnover`` = mean of
   sum|w - w_yesterday| / 2 (traded / gross book); ``win_rate`` = share of days > 0;
   ``profit_factor`` = sum of gains / sum of losses (inf without losses); ``gross_sharpe`` and
   ``gross_annual_return`` are the same figures before costs.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from pipelines.pool.errors import PoolError

TRADING_DAYS = 252


@dataclasses.dataclass(frozen=True)
class BacktestResult:
    """Daily returns (net of costs), the equity curve per date, and the summary figures."""

    dates: np.ndarray
    daily: np.ndarray
    equity: np.ndarray
    figures: dict[str, float]


def long_short(
    dates: np.ndarray,
    symbols: np.ndarray,
    predictions: np.ndarray,
    next_returns: np.ndarray,
    *,
    quantile: float = 0.2,
    cost_bps: float = 0.0,
) -> BacktestResult:
    """Trade the top/bottom ``quantile`` of ``predictions`` each day (see the module docstring).

    Parameters
    ----------
    dates, symbols : the date and symbol of each row.
    predictions : the model's score of each row (higher = buy).
    next_returns : the return from this row's date to the next date.
    quantile : share of each day's names in each leg, 0 < quantile <= 0.5.
    cost_bps : cost per unit traded, in basis points.

    Returns
    -------
    BacktestResult
    """
    if not 0.0 < quantile <= 0.5:
        raise PoolError(f"backtest quantile must be in (0, 0.5], got {quantile!r}")
    if not cost_bps >= 0.0:
        raise PoolError(f"backtest cost must be >= 0 bps, got {cost_bps!r}")
    days, day_of_row = np.unique(dates, return_inverse=True)
    names, name_of_row = np.unique(symbols, return_inverse=True)
    if len(days) == 0:
        raise PoolError("nothing to backtest: no out-of-sample rows")
    pred = np.full((len(days), len(names)), np.nan)
    ret = np.full((len(days), len(names)), np.nan)
    pred[day_of_row, name_of_row] = predictions
    ret[day_of_row, name_of_row] = next_returns
    weights = np.vstack([_day_weights(p, r, quantile) for p, r in zip(pred, ret)])
    traded = np.abs(np.diff(weights, axis=0, prepend=0.0)).sum(axis=1)
    gross = np.where(weights != 0.0, weights * np.nan_to_num(ret), 0.0).sum(axis=1)
    daily = gross - cost_bps * 1e-4 * traded
    equity = np.cumsum(daily)
    summary = figures(daily, traded)
    before_costs = figures(gross, traded)
    summary.update(gross_sharpe=before_costs["sharpe"], gross_annual_return=before_costs["annual_return"])
    return BacktestResult(days, daily, equity, summary)


def _day_weights(pred: np.ndarray, ret: np.ndarray, quantile: float) -> np.ndarray:
    weights = np.zeros(len(pred))
    usable = np.flatnonzero(np.isfinite(pred) & np.isfinite(ret))
    n = len(usable)
    if n < 2:
        return weights
    k = min(max(1, math.floor(quantile * n)), n // 2)
    order = usable[np.argsort(pred[usable], kind="stable")]
    weights[order[:k]] = -1.0 / k
    weights[order[-k:]] = 1.0 / k
    return weights


def figures(daily: np.ndarray, traded: np.ndarray) -> dict[str, float]:
    """The summary figures of daily returns and the amount traded each day."""
    std = float(np.std(daily, ddof=1)) if len(daily) > 1 else 0.0
    sharpe = math.sqrt(TRADING_DAYS) * float(np.mean(daily)) / std if std > 0 else 0.0
    equity = np.cumsum(daily)
    peak = np.maximum.accumulate(np.concatenate([[0.0], equity]))[1:]
    gains, losses = daily[daily > 0].sum(), -daily[daily < 0].sum()
    return {
        "sharpe": sharpe,
        "annual_return": TRADING_DAYS * float(np.mean(daily)),
        "max_drawdown": float(np.max(peak - equity)),
        "turnover": float(np.mean(traded / 2.0)),
        "win_rate": float(np.mean(daily > 0)),
        "profit_factor": float(gains / losses) if losses > 0 else math.inf,
        "days": len(daily),
    }
