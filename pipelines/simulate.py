"""The BRAIN-style simulator: alpha matrix -> daily positions -> PnL -> metrics.

Algorithm (``simulate``), for each day t (``pipelines.kernels.simulate_days`` does 2-7 in one pass):

1. ``SimulationSettings`` (pipelines.settings) says how; the panel gives returns, the universe
   mask (pipelines.universe) and groups. Only dates < is_end are read unless ``include_os``.
2. Delay: the vector for day t is alpha[t - delay] (delay 0: alpha[t]; delay 1: alpha[t-1]).
3. Decay: linear over the last ``decay`` vectors, weights decay (newest) .. 1; NaN values are
   skipped and the average is over the available ones with their weights (``decay_row``).
4. Universe: only members of day t with a finite value can hold a position.
5. Neutralize: subtract the mean over those instruments of their group (MARKET: one group;
   SECTOR/INDUSTRY/SUBINDUSTRY: ``panel.groups``). Negative group codes get no position.
6. Scale to sum|w| = 1 (no position that day when the sum is 0), then truncate: |w| <= limit with
   the excess redistributed pro rata (exact; when limit * count < 1 the cap wins and the book is
   under-invested that day).
7. PnL of day t+1 = book * sum_i w[t, i] * returns[t+1, i] (a NaN return contributes 0); traded
   dollars of that day = book * sum_i |w[t, i] - w[t-1, i]| (the trade that set the position).
8. Metrics (pipelines.metrics) over pnl days from the first day with a position up to is_end
   (IS), per calendar year of IS, and over days >= is_end (OS, only when asked). The IC uses
   the delayed alpha vector before decay (the expression's own signal) against the next-day return;
   the rank IC (``pipelines.rank_ic``) the same pairs, ranked (their sort keys built in the day
   loop), with the return side sorted once per panel and universe (``pipelines.identity_cache``,
   which also keeps each panel's group codes and year boundaries).
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np

from expressions.kernels.sort_keys import index_bits
from pipelines.errors import SettingsError
from pipelines.identity_cache import IdentityCache
from pipelines.kernels import simulate_days
from pipelines.metrics import DailyFigures, Metrics, period_metrics, year_bounds
from pipelines.rank_ic import key_buffer, rank_ic_from_keys, return_order
from pipelines.settings import SimulationSettings, split_index

_FIGURE_ROWS = 8
_RETURN_ORDERS = IdentityCache(return_order)


@dataclasses.dataclass(frozen=True)
class SimulationResult:
    """What ``simulate`` returns.

    Attributes
    ----------
    settings : the settings simulated.
    is_metrics : figures of the in-sample pnl days.
    os_metrics : figures of the out-of-sample pnl days, or None unless include_os.
    years : one in-sample Metrics row per calendar year.
    daily_pnl : float64 in-sample daily PnL in dollars (gross), one per pnl day.
    dates : datetime64[D] dates of those days.
    max_weight : largest |weight| / book over the in-sample positions.
    is_end : first out-of-sample date index.
    weights : float64 [T', N] weights (fractions of the book) when asked for, else None.
    os_daily_pnl, os_dates : the same for the out-of-sample days (None unless include_os).
    days : the figures of every simulated pnl day (from 0); periods : (start, stop) of the
        in-sample days, each year, then the out-of-sample days when included (``negated``).
    """

    settings: SimulationSettings
    is_metrics: Metrics
    os_metrics: Metrics | None
    years: list[Metrics]
    daily_pnl: np.ndarray
    dates: np.ndarray
    max_weight: float
    is_end: int
    weights: np.ndarray | None = None
    os_daily_pnl: np.ndarray | None = None
    os_dates: np.ndarray | None = None
    days: DailyFigures | None = None
    periods: tuple[tuple[int, int], ...] = ()


def simulate(
    alpha: np.ndarray,
    panel,
    settings: SimulationSettings,
    *,
    is_end: int | None = None,
    include_os: bool = False,
    keep_weights: bool = False,
    rank_ic: bool = True,
) -> SimulationResult:
    """Simulate an alpha matrix on a panel.

    Parameters
    ----------
    alpha : float64 [T, N] alpha values (alpha[t] uses data through day t).
    panel : the Panel the alpha was computed on.
    settings : SimulationSettings.
    is_end : first out-of-sample date index; default ``split_index(panel.T, settings.os_fraction)``.
    include_os : also compute the out-of-sample figures (reads the dates >= is_end).
    keep_weights : return the weights (fractions of the book) in ``result.weights``.
    rank_ic : compute the rank IC (a row-wise sort of the alpha: ~half the cost); False leaves it NaN.

    Returns
    -------
    SimulationResult
    """
    alpha = np.asarray(alpha, dtype=np.float64)
    if alpha.shape != (panel.T, panel.N):
        raise SettingsError(f"alpha has shape {alpha.shape}, the panel is {(panel.T, panel.N)} (dates x symbols)")
    if is_end is None:
        is_end = split_index(panel.T, settings.os_fraction)
    if not 0 < is_end <= panel.T:
        raise SettingsError(f"is_end {is_end} is outside 1..{panel.T}")
    stop = panel.T if include_os else is_end
    group, n_groups = neutralization_groups(panel, settings.neutralization)
    weights = np.empty((stop if keep_weights else 0, panel.N))
    figures = np.empty((_FIGURE_ROWS, stop))
    alpha = np.ascontiguousarray(alpha[:stop])
    full_member, full_returns = panel.universe(settings.universe), panel.returns
    member = np.ascontiguousarray(full_member[:stop])
    returns = np.ascontiguousarray(full_returns[:stop])
    keys = key_buffer(stop, panel.N) if rank_ic else np.empty((0, panel.N), dtype=np.int32)
    pairs = np.zeros(stop, dtype=np.int64)
    simulate_days(
        alpha,
        member,
        returns,
        group,
        n_groups,
        settings.delay,
        settings.decay,
        settings.truncation,
        weights,
        figures,
        keys,
        pairs,
        index_bits(panel.N),
    )
    if rank_ic:
        order = _RETURN_ORDERS.get(full_member, full_returns)
        figures[5] = rank_ic_from_keys(keys, pairs, alpha, returns, settings.delay, order)
    days = _daily_figures(figures, panel.dates[:stop], settings)
    first = _first_position_day(figures)
    os_start = max(first, is_end)  # IS days: first .. os_start
    years = _years_between(panel.dates, first, os_start)
    periods = ((first, os_start), *years, *([(os_start, stop)] if include_os else []))
    max_weight = float(np.max(figures[7, first:is_end], initial=0.0))
    return _result(settings, days, periods, include_os, is_end, max_weight, weights if keep_weights else None)


def negated(result: SimulationResult) -> SimulationResult:
    """The simulation of -alpha, derived from that of alpha without simulating again.

    Every step of a day is odd in the alpha (decay, neutralization, scaling, truncation: IEEE
    rounding is symmetric, so exactly), as are the IC and the rank IC: the weights, PnL and both
    ICs change sign, long and short counts swap, trades and costs stay; the figures are then
    computed from those days like any simulation's (the drawdown of -pnl is its own).
    """
    if result.days is None:
        raise SettingsError("this simulation result keeps no daily figures to negate")
    weights = -result.weights if result.weights is not None else None
    return _result(result.settings, result.days.negated(), result.periods, result.os_metrics is not None,
                   result.is_end, result.max_weight, weights)


def _result(settings, days, periods, include_os, is_end, max_weight, weights) -> SimulationResult:
    """The SimulationResult of simulated days: figures of each period, the in-sample PnL series."""
    is_metrics, *rows = period_metrics(days, list(periods), settings.book)
    os_metrics = rows.pop() if include_os else None
    first, os_start = periods[0]
    os_days = days.select(slice(os_start, len(days))) if include_os else None
    return SimulationResult(
        settings=settings,
        is_metrics=is_metrics,
        os_metrics=os_metrics,
        years=rows,
        daily_pnl=days.pnl[first:os_start],
        dates=days.dates[first:os_start],
        max_weight=max_weight,
        is_end=is_end,
        weights=weights,
        os_daily_pnl=os_days.pnl if os_days is not None else None,
        os_dates=os_days.dates if os_days is not None else None,
        days=days,
        periods=periods,
    )


def neutralization_groups(panel, neutralization: str) -> tuple[np.ndarray, int]:
    """(int64 codes [N] in 0..G-1, negative = no group; G) for a neutralization; G = 0 for NONE."""
    if neutralization == "NONE":
        return np.zeros(panel.N, dtype=np.int64), 0
    name = neutralization.lower()
    if name not in panel.groups:
        available = ", ".join(["NONE"] + sorted(k.upper() for k in panel.groups))
        raise SettingsError(f"neutralization {neutralization} needs panel group {name!r}; available: {available}")
    groups = panel.groups[name]
    if np.shape(groups) != (panel.N,):
        raise SettingsError(f"group {name!r} has shape {np.shape(groups)}, expected ({panel.N},)")
    return _GROUP_CODES.get(groups) if isinstance(groups, np.ndarray) else _group_codes(groups)


def _group_codes(groups) -> tuple[np.ndarray, int]:
    raw = np.asarray(groups).astype(np.int64)
    codes = np.full(len(raw), -1, dtype=np.int64)
    present = raw >= 0
    labels, inverse = np.unique(raw[present], return_inverse=True)
    codes[present] = inverse
    return codes, len(labels)


_GROUP_CODES = IdentityCache(_group_codes)


def _year_starts(dates: np.ndarray) -> np.ndarray:
    """Indices where a calendar year begins, from 1 (dates increasing)."""
    return np.asarray([a for a, _b in year_bounds(dates)][1:], dtype=np.int64)


_YEAR_STARTS = IdentityCache(_year_starts)


def _years_between(dates: np.ndarray, start: int, stop: int) -> list[tuple[int, int]]:
    """(start, stop) of each calendar year's run of the days start..stop, oldest first."""
    starts = _YEAR_STARTS.get(dates)
    inner = starts[(starts > start) & (starts < stop)].tolist()
    edges = [start, *inner, stop]
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


def _daily_figures(figures: np.ndarray, dates: np.ndarray, settings: SimulationSettings) -> DailyFigures:
    traded = figures[1] * settings.book
    return DailyFigures(
        dates=dates,
        pnl=figures[0] * settings.book,
        traded=traded,
        cost=traded * settings.cost_bps / 1e4,
        long_count=figures[2],
        short_count=figures[3],
        ic=figures[4],
        rank_ic=figures[5],
    )


def _first_position_day(figures: np.ndarray) -> int:
    """Index of the first pnl day whose position is not empty (len when there is none)."""
    held = np.flatnonzero(figures[6] > 0)
    return int(held[0]) if len(held) else figures.shape[1]
