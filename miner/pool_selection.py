"""Pick the pool: the best stored alphas whose daily PnLs are not too alike.

Greedy by score: walk the best simulations (``Store.top_simulations``, highest score first)
and keep one when the absolute correlation of its in-sample daily PnL with every alpha kept so
far is below ``max_corr``, until ``top`` are kept. The absolute value is used because a
mirror image carries the same information to a model. An expression already kept (under
other settings) is skipped. PnLs are lined up on the panel's calendar by their start dates.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from miner.errors import UsageError
from pipelines.params import apply_params
from pipelines.settings import SimulationSettings

CANDIDATES_PER_SLOT = 10
MIN_OVERLAP_DAYS = 20


@dataclasses.dataclass(frozen=True)
class PoolAlpha:
    """One alpha of the pool: its store ids, its canonical text, and the expression to
    evaluate (its pipeline params applied)."""

    simulation_id: int
    alpha_id: int | None
    canonical: str
    expression: str
    score: float

    @property
    def name(self) -> str:
        return f"alpha_{self.simulation_id}"


def select_pool(store: Any, calendar: np.ndarray, *, top: int = 20, max_corr: float = 0.7) -> list[PoolAlpha]:
    """The pool: up to ``top`` alphas by score with pairwise |PnL correlation| < ``max_corr``.

    Parameters
    ----------
    store : a ``state.Store``.
    calendar : the panel's dates (datetime64[D]), to line up PnLs that start on different days.
    top : how many alphas at most.
    max_corr : the correlation limit, 0 < max_corr <= 1.

    Raises
    ------
    UsageError
        Bad limits, or a store without simulated alphas.
    """
    if top < 1:
        raise UsageError(f"--top must be >= 1, got {top}")
    if not 0.0 < max_corr <= 1.0:
        raise UsageError(f"--max-corr must be in (0, 1], got {max_corr}")
    rows = store.top_simulations(top * CANDIDATES_PER_SLOT, metric="score")
    if not rows:
        raise UsageError("the store has no simulated alphas yet: run 'alphaminer once' first (or use --from-file)")
    series = store.pnl_series([row["id"] for row in rows])
    kept: list[tuple[PoolAlpha, np.ndarray]] = []
    for row in rows:
        if len(kept) == top:
            break
        pnl = _dated(series.get(row["id"]), row, calendar)
        if pnl is None or any(row["canonical"] == alpha.canonical for alpha, _ in kept):
            continue
        if all(abs(correlation(pnl, other)) < max_corr for _, other in kept):
            kept.append((_pool_alpha(row), pnl))
    if not kept:
        raise UsageError("the pool is empty: no stored alpha has a daily PnL on this data's calendar")
    return [alpha for alpha, _ in kept]


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation over the days where both are finite; 0.0 with too little overlap."""
    both = np.isfinite(a) & np.isfinite(b)
    if both.sum() < MIN_OVERLAP_DAYS:
        return 0.0
    x, y = a[both], b[both]
    if not (np.std(x) > 0 and np.std(y) > 0):
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])


def _dated(found: tuple[Any, np.ndarray] | None, row: dict[str, Any], calendar: np.ndarray) -> np.ndarray | None:
    """A PnL placed on the calendar (NaN where it has no value), or None without a PnL or start.

    The start is the stored ``pnl_start``, else the in-sample ``start`` of the row's metrics."""
    if found is None:
        return None
    start, pnl = found
    start = start or (row.get("metrics") or {}).get("start")
    if start is None:
        return None
    first = int(np.searchsorted(calendar, np.datetime64(start, "D")))
    out = np.full(len(calendar), np.nan)
    length = max(0, min(len(pnl), len(calendar) - first))
    out[first:first + length] = pnl[:length]
    return out


def _pool_alpha(row: dict[str, Any]) -> PoolAlpha:
    settings = SimulationSettings.from_dict(row["settings"])
    text, _ = apply_params(row["canonical"], settings, row.get("params") or {})
    return PoolAlpha(int(row["id"]), row.get("alpha_id"), row["canonical"], text, float(row.get("score") or 0.0))
