"""Submission checks: BRAIN's list plus OUT_OF_SAMPLE and DEFLATED_SHARPE, each with its limit.

``run_checks`` takes a ``SimulationResult`` (and, for the checks that need them, the result in
the next smaller universe, the submitted alphas' PnLs, the number of trials and an OS result) and
returns one ``CheckResult`` per check. A check whose input is missing is PENDING, never PASS.

IS_LADDER_SHARPE (our ladder): the Sharpe over the last 1 year (252 pnl days) and the last 2
years of the in-sample period must each be >= 0.8 x the LOW_SHARPE limit (1.0 at delay 1, 1.6 at
delay 0); its value is the lower of the two. A rung needs that many IS days; with less than one
year the check is PENDING.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence

import numpy as np

from pipelines.deflated_sharpe import deflated_sharpe
from pipelines.metrics import TRADING_DAYS, sharpe_ratio
from pipelines.universe import universe_size

PASS, FAIL, PENDING = "PASS", "FAIL", "PENDING"
SHARPE_LIMIT = {1: 1.25, 0: 2.0}
FITNESS_LIMIT = {1: 1.0, 0: 1.3}
MIN_TURNOVER, MAX_TURNOVER = 0.01, 0.70
MAX_WEIGHT = 0.10
SELF_CORRELATION_LIMIT, SELF_CORRELATION_SHARPE_EDGE = 0.7, 1.1
LADDER_YEARS, LADDER_SHARE = (1, 2), 0.8
MIN_DEFLATED_SHARPE = 0.95
MIN_OVERLAP_DAYS = 20


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """One check: name, PASS/FAIL/PENDING, its limit, the value found and a one-line detail."""

    name: str
    result: str
    limit: float | None
    value: float | None
    detail: str = ""

    def to_dict(self) -> dict[str, object]:
        value = None if self.value is None or math.isnan(self.value) else self.value
        return {"name": self.name, "result": self.result, "limit": self.limit, "value": value, "detail": self.detail}


@dataclasses.dataclass(frozen=True)
class SubmittedPnl:
    """An already submitted alpha: its name, daily PnL with dates, and its Sharpe."""

    name: str
    dates: np.ndarray
    pnl: np.ndarray
    sharpe: float


def run_checks(
    result,
    *,
    panel=None,
    sub_universe_result=None,
    submitted_pnls: Iterable[SubmittedPnl] = (),
    n_trials: int = 1,
    os_result=None,
) -> list[CheckResult]:
    """All submission checks of a SimulationResult, in BRAIN's order then ours.

    Parameters
    ----------
    result : SimulationResult of the alpha.
    panel : the Panel (gives the universe size for ALL).
    sub_universe_result : SimulationResult in ``sub_universe(...)``; PENDING without it.
    submitted_pnls : SubmittedPnl of every submitted alpha (SELF_CORRELATION).
    n_trials : candidates tried to find this one (DEFLATED_SHARPE).
    os_result : a SimulationResult with ``os_metrics``; default ``result`` itself.
    """
    delay = result.settings.delay
    metrics = result.is_metrics
    return [
        _at_least("LOW_SHARPE", metrics.sharpe, SHARPE_LIMIT[delay]),
        _at_least("LOW_FITNESS", metrics.fitness, FITNESS_LIMIT[delay]),
        _at_least("LOW_TURNOVER", metrics.turnover, MIN_TURNOVER),
        _at_most("HIGH_TURNOVER", metrics.turnover, MAX_TURNOVER),
        _at_most("CONCENTRATED_WEIGHT", result.max_weight, MAX_WEIGHT),
        _sub_universe_check(result, sub_universe_result, panel),
        _self_correlation_check(result, list(submitted_pnls)),
        _ladder_check(result),
        _out_of_sample_check(result, os_result if os_result is not None else result),
        _deflated_sharpe_check(result, n_trials),
    ]


def sub_universe(universe: str, n_symbols: int) -> str:
    """The next smaller universe: TOP(n // 2) of TOPn (ALL counts as TOP<n_symbols>)."""
    size = universe_size(universe) or n_symbols
    return f"TOP{max(size // 2, 1)}"


def _at_least(name: str, value: float, limit: float) -> CheckResult:
    passed = value >= limit
    return CheckResult(name, PASS if passed else FAIL, limit, value, f"{value:.4g} {'>=' if passed else '<'} {limit:g}")


def _at_most(name: str, value: float, limit: float) -> CheckResult:
    passed = value <= limit
    return CheckResult(name, PASS if passed else FAIL, limit, value, f"{value:.4g} {'<=' if passed else '>'} {limit:g}")


def _sub_universe_check(result, sub_result, panel) -> CheckResult:
    name = "LOW_SUB_UNIVERSE_SHARPE"
    if sub_result is None:
        return CheckResult(name, PENDING, None, None, "no result in the sub-universe")
    size = universe_size(result.settings.universe) or (panel.N if panel is not None else None)
    sub_size = universe_size(sub_result.settings.universe)
    if size is None or sub_size is None:
        return CheckResult(name, PENDING, None, None, "universe sizes unknown (pass the panel)")
    limit = 0.75 * math.sqrt(sub_size / size) * result.is_metrics.sharpe
    check = _at_least(name, sub_result.is_metrics.sharpe, limit)
    return dataclasses.replace(check, detail=f"{sub_result.settings.universe}: {check.detail}")


def _self_correlation_check(result, submitted: Sequence[SubmittedPnl]) -> CheckResult:
    name = "SELF_CORRELATION"
    if not submitted:
        return CheckResult(name, PASS, SELF_CORRELATION_LIMIT, 0.0, "no submitted alphas")
    worst: tuple[float, str] = (-math.inf, "")
    failing = []
    for other in submitted:
        corr = pnl_correlation(result.dates, result.daily_pnl, other.dates, other.pnl)
        if math.isnan(corr):
            continue
        worst = max(worst, (corr, other.name))
        edge = result.is_metrics.sharpe >= SELF_CORRELATION_SHARPE_EDGE * other.sharpe
        if corr >= SELF_CORRELATION_LIMIT and not edge:
            failing.append(f"{other.name} ({corr:.3f})")
    value = worst[0] if worst[1] else 0.0
    if failing:
        return CheckResult(name, FAIL, SELF_CORRELATION_LIMIT, value, "correlated with " + ", ".join(failing))
    detail = f"max {value:.3f} with {worst[1]}" if worst[1] else "no overlapping days"
    return CheckResult(name, PASS, SELF_CORRELATION_LIMIT, value, detail)


def pnl_correlation(dates_a, pnl_a, dates_b, pnl_b) -> float:
    """Pearson correlation of two daily PnLs on their common dates (NaN under 20 common days)."""
    _, ia, ib = np.intersect1d(np.asarray(dates_a), np.asarray(dates_b), return_indices=True)
    if len(ia) < MIN_OVERLAP_DAYS:
        return math.nan
    a, b = np.asarray(pnl_a)[ia], np.asarray(pnl_b)[ib]
    if not (np.std(a) > 0 and np.std(b) > 0):
        return math.nan
    return float(np.corrcoef(a, b)[0, 1])


def _ladder_check(result) -> CheckResult:
    name = "IS_LADDER_SHARPE"
    limit = LADDER_SHARE * SHARPE_LIMIT[result.settings.delay]
    rungs = [(y, sharpe_ratio(result.daily_pnl[-y * TRADING_DAYS :])) for y in LADDER_YEARS
             if len(result.daily_pnl) >= y * TRADING_DAYS]
    if not rungs:
        return CheckResult(name, PENDING, limit, None, "less than one year in sample")
    value = min(s for _, s in rungs)
    detail = ", ".join(f"last {y}y {s:.3g}" for y, s in rungs) + f" (each >= {limit:g})"
    return CheckResult(name, PASS if value >= limit else FAIL, limit, value, detail)


def _out_of_sample_check(result, os_result) -> CheckResult:
    name = "OUT_OF_SAMPLE"
    if os_result.os_metrics is None or os_result.os_metrics.days < 2:
        return CheckResult(name, PENDING, None, None, "no out-of-sample result")
    limit = max(0.5 * result.is_metrics.sharpe, 0.0)
    value = os_result.os_metrics.sharpe
    passed = value >= limit and value > 0
    detail = f"OS Sharpe {value:.4g} vs half the IS Sharpe {limit:.4g} (and > 0)"
    return CheckResult(name, PASS if passed else FAIL, limit, value, detail)


def _deflated_sharpe_check(result, n_trials: int) -> CheckResult:
    name = "DEFLATED_SHARPE"
    value = deflated_sharpe(result.daily_pnl, n_trials)
    if math.isnan(value):
        return CheckResult(name, FAIL, MIN_DEFLATED_SHARPE, value, "PnL too short or constant")
    passed = value >= MIN_DEFLATED_SHARPE
    detail = f"P(real) {value:.3f} given {n_trials} trial(s)"
    return CheckResult(name, PASS if passed else FAIL, MIN_DEFLATED_SHARPE, value, detail)
