"""Metrics of a simulation: BRAIN's figures from the daily PnL, trades, counts and ICs.

``DailyFigures`` holds one value per pnl day; ``compute_metrics`` turns any slice of it (the
in-sample period, one year, the out-of-sample tail) into a ``Metrics`` row. Definitions:

- sharpe = sqrt(252) * mean(pnl) / std(pnl, ddof=1); 0.0 when fewer than 2 days or std = 0.
- returns = 252 * mean(pnl) / (book / 2).
- turnover = mean over days of dollars traded / book (the trade that set that day's position,
  the first day's entry included).
- fitness = sharpe * sqrt(|returns| / max(turnover, 0.125)).
- margin = total pnl / total dollars traded, in basis points (0.0 when nothing was traded).
- drawdown = largest fall of cumulative pnl from its running peak (which starts at 0), / (book / 2).
- ic, rank_ic = mean over days (with a defined correlation) of the cross-sectional Pearson /
  Spearman correlation between the alpha vector and the next-day return; NaN when no such day.
- long_count, short_count = mean daily count of positive / negative weights.
- net_* = the same figures after costs: cost = cost_bps / 1e4 * dollars traded, each day.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

TRADING_DAYS = 252
MIN_TURNOVER_FOR_FITNESS = 0.125


@dataclasses.dataclass(frozen=True)
class DailyFigures:
    """Per pnl day: dates, pnl and traded dollars, costs, position counts, IC and rank IC."""

    dates: np.ndarray
    pnl: np.ndarray
    traded: np.ndarray
    cost: np.ndarray
    long_count: np.ndarray
    short_count: np.ndarray
    ic: np.ndarray
    rank_ic: np.ndarray

    def __len__(self) -> int:
        return len(self.dates)

    def select(self, rows: slice | np.ndarray) -> "DailyFigures":
        """The figures of the chosen days only."""
        return DailyFigures(**{f.name: getattr(self, f.name)[rows] for f in dataclasses.fields(self)})


@dataclasses.dataclass(frozen=True)
class Metrics:
    """One row of figures (gross, then net of costs). Fractions, not percents."""

    sharpe: float
    returns: float
    turnover: float
    fitness: float
    margin: float
    drawdown: float
    ic: float
    rank_ic: float
    long_count: float
    short_count: float
    days: int
    pnl: float
    net_sharpe: float
    net_returns: float
    net_fitness: float
    net_margin: float
    net_drawdown: float
    net_pnl: float
    start: str = ""
    end: str = ""

    def to_dict(self) -> dict[str, float | int | str | None]:
        """JSON-ready dict; NaN becomes None."""
        out: dict[str, float | int | str | None] = {}
        for name in _METRIC_NAMES:
            value = getattr(self, name)
            out[name] = None if isinstance(value, float) and math.isnan(value) else value
        return out


_METRIC_NAMES = tuple(f.name for f in dataclasses.fields(Metrics))


def sharpe_ratio(pnl: np.ndarray) -> float:
    """Annualised Sharpe: sqrt(252) * mean / std(ddof=1); 0.0 when undefined."""
    if len(pnl) < 2:
        return 0.0
    std = float(np.std(pnl, ddof=1))
    if not std > 0.0:
        return 0.0
    return math.sqrt(TRADING_DAYS) * float(np.mean(pnl)) / std


def fitness(sharpe: float, returns: float, turnover: float) -> float:
    """BRAIN fitness: sharpe * sqrt(|returns| / max(turnover, 0.125))."""
    return sharpe * math.sqrt(abs(returns) / max(turnover, MIN_TURNOVER_FOR_FITNESS))


def max_drawdown(pnl: np.ndarray) -> float:
    """Largest fall of cumulative pnl from its running peak (the peak starts at 0), in dollars."""
    if len(pnl) == 0:
        return 0.0
    cumulative = np.concatenate(([0.0], np.cumsum(pnl)))
    return float(np.max(np.maximum.accumulate(cumulative) - cumulative))


def compute_metrics(days: DailyFigures, book: float) -> Metrics:
    """The Metrics of the given days (see the module docstring for each definition)."""
    half = book / 2.0
    n = len(days)
    traded = float(np.sum(days.traded))
    turnover = float(np.mean(days.traded)) / book if n else 0.0
    gross = _pnl_figures(days.pnl, traded, half, turnover)
    net = _pnl_figures(days.pnl - days.cost, traded, half, turnover)
    return Metrics(
        **gross,
        turnover=turnover,
        ic=_mean_defined(days.ic),
        rank_ic=_mean_defined(days.rank_ic),
        long_count=float(np.mean(days.long_count)) if n else 0.0,
        short_count=float(np.mean(days.short_count)) if n else 0.0,
        days=n,
        **{f"net_{k}": v for k, v in net.items()},
        start=str(days.dates[0]) if n else "",
        end=str(days.dates[-1]) if n else "",
    )


def yearly_metrics(days: DailyFigures, book: float) -> list[Metrics]:
    """One Metrics row per calendar year of the given days, oldest first."""
    years = days.dates.astype("datetime64[Y]")
    if len(years) > 1 and not np.all(years[1:] >= years[:-1]):
        return [compute_metrics(days.select(years == year), book) for year in np.unique(years)]
    # Increasing dates (every panel's): each year is a slice, a view instead of a masked copy.
    starts = [0, *(np.flatnonzero(years[1:] != years[:-1]) + 1).tolist(), len(years)]
    return [compute_metrics(days.select(slice(a, b)), book) for a, b in zip(starts[:-1], starts[1:]) if b > a]


def _pnl_figures(pnl: np.ndarray, traded: float, half_book: float, turnover: float) -> dict[str, float]:
    sharpe = sharpe_ratio(pnl)
    returns = TRADING_DAYS * float(np.mean(pnl)) / half_book if len(pnl) else 0.0
    total = float(np.sum(pnl))
    return {
        "sharpe": sharpe,
        "returns": returns,
        "fitness": fitness(sharpe, returns, turnover),
        "margin": total / traded * 1e4 if traded > 0 else 0.0,
        "drawdown": max_drawdown(pnl) / half_book,
        "pnl": total,
    }


def _mean_defined(values: np.ndarray) -> float:
    defined = values[~np.isnan(values)]
    return float(np.mean(defined)) if len(defined) else math.nan
