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
import itertools
import math

import numpy as np
from numba import njit

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

    def select(self, rows: slice | np.ndarray) -> DailyFigures:
        """The figures of the chosen days only."""
        return DailyFigures(**{f.name: getattr(self, f.name)[rows] for f in dataclasses.fields(self)})

    def negated(self) -> DailyFigures:
        """The figures of the opposite positions: pnl and both ICs change sign, long and short
        counts swap, trades and costs stay."""
        return dataclasses.replace(self, pnl=-self.pnl, long_count=self.short_count, short_count=self.long_count,
                                   ic=-self.ic, rank_ic=-self.rank_ic)


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
    return period_metrics(days, [(0, len(days))], book)[0]


def yearly_metrics(days: DailyFigures, book: float) -> list[Metrics]:
    """One Metrics row per calendar year of the given days, oldest first."""
    return period_metrics(days, year_bounds(days.dates), book)


def year_bounds(dates: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) of each calendar year's run of days, oldest first (dates increasing)."""
    years = dates.astype("datetime64[Y]")
    if len(years) > 1 and not np.all(years[1:] >= years[:-1]):
        raise ValueError("yearly figures need increasing dates")
    starts = [0, *(np.flatnonzero(years[1:] != years[:-1]) + 1).tolist(), len(years)]
    return [(a, b) for a, b in itertools.pairwise(starts) if b > a]


def period_metrics(days: DailyFigures, bounds: list[tuple[int, int]], book: float) -> list[Metrics]:
    """The Metrics of each period days[start:stop] of ``bounds``, from one pass of
    ``period_sums`` (a simulation asks for the in-sample, each year and the out-of-sample tail)."""
    limits = np.asarray(bounds, dtype=np.int64).reshape(-1, 2)
    sums = period_sums(days.pnl, days.cost, days.traded, days.long_count, days.short_count,
                       days.ic, days.rank_ic, limits)
    return [_metrics_from_sums(row, days.dates[a:b], book) for row, (a, b) in zip(sums, limits.tolist())]


def _metrics_from_sums(row: np.ndarray, dates: np.ndarray, book: float) -> Metrics:
    n, traded = int(row[_DAYS]), float(row[_TRADED])
    turnover = traded / n / book if n else 0.0
    gross = _pnl_figures(row[_PNL : _PNL + 3], n, traded, book / 2.0, turnover)
    net = _pnl_figures(row[_NET : _NET + 3], n, traded, book / 2.0, turnover)
    return Metrics(
        **gross,
        turnover=turnover,
        ic=row[_IC] / row[_IC + 1] if row[_IC + 1] else math.nan,
        rank_ic=row[_RANK_IC] / row[_RANK_IC + 1] if row[_RANK_IC + 1] else math.nan,
        long_count=float(row[_LONG]) / n if n else 0.0,
        short_count=float(row[_SHORT]) / n if n else 0.0,
        days=n,
        **{f"net_{k}": v for k, v in net.items()},
        start=str(dates[0]) if n else "",
        end=str(dates[-1]) if n else "",
    )


def _pnl_figures(sums: np.ndarray, n: int, traded: float, half_book: float, turnover: float) -> dict[str, float]:
    """sums: (total, sum of squared deviations from the mean, drawdown in dollars)."""
    total, deviations, drawdown = (float(v) for v in sums)
    std = math.sqrt(deviations / (n - 1)) if n > 1 else 0.0
    sharpe = math.sqrt(TRADING_DAYS) * (total / n) / std if std > 0.0 else 0.0
    returns = TRADING_DAYS * total / n / half_book if n else 0.0
    return {
        "sharpe": sharpe,
        "returns": returns,
        "fitness": fitness(sharpe, returns, turnover),
        "margin": total / traded * 1e4 if traded > 0 else 0.0,
        "drawdown": drawdown / half_book,
        "pnl": total,
    }


# Columns of period_sums' rows.
_DAYS, _PNL, _NET, _TRADED, _LONG, _SHORT, _IC, _RANK_IC, _COLUMNS = 0, 1, 4, 7, 8, 9, 10, 12, 14


@njit(cache=True)
def period_sums(pnl, cost, traded, long_count, short_count, ic, rank_ic, bounds):
    """Per period [start, stop) of ``bounds``: days; (total, squared deviations from the mean,
    drawdown) of pnl and of pnl - cost; sums of traded, long and short counts; (sum, count) of
    the defined ic and of the defined rank_ic. float64 [P, _COLUMNS]."""
    out = np.zeros((bounds.shape[0], _COLUMNS))
    net = pnl - cost
    for p in range(bounds.shape[0]):
        a, b = bounds[p, 0], bounds[p, 1]
        row = out[p]
        row[_DAYS] = b - a
        _pnl_sums(pnl[a:b], row[_PNL : _PNL + 3])
        _pnl_sums(net[a:b], row[_NET : _NET + 3])
        row[_TRADED] = traded[a:b].sum()
        row[_LONG] = long_count[a:b].sum()
        row[_SHORT] = short_count[a:b].sum()
        _defined_sum(ic[a:b], row[_IC : _IC + 2])
        _defined_sum(rank_ic[a:b], row[_RANK_IC : _RANK_IC + 2])
    return out


@njit(cache=True)
def _pnl_sums(pnl, out):
    """out = (sum, sum of (pnl - mean)**2, largest fall of the cumulative sum from its running
    peak, which starts at 0)."""
    n = pnl.shape[0]
    total = 0.0
    peak = 0.0
    cumulative = 0.0
    drawdown = 0.0
    for v in pnl:
        total += v
        cumulative += v
        peak = max(peak, cumulative)
        drawdown = max(drawdown, peak - cumulative)
    mean = total / n if n else 0.0
    deviations = 0.0
    for v in pnl:
        deviations += (v - mean) * (v - mean)
    out[0] = total
    out[1] = deviations
    out[2] = drawdown


@njit(cache=True)
def _defined_sum(values, out):
    """out = (sum, count) of the non-NaN values."""
    for v in values:
        if not np.isnan(v):
            out[0] += v
            out[1] += 1.0
