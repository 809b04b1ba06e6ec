"""The miner's score of a simulated alpha, used for selection and for ranking in the store.

Default (configurable in ``[scoring]``, or replaced by ``function = "module:function"``)::

    base  = fitness * robustness                     (of the sign-corrected alpha: Sharpe >= 0)
            - turnover_penalty * max(0, turnover - turnover_limit)
    robustness = min(1, max(0, ladder Sharpe) / Sharpe)        (``ladder = true``, the default)
                 * min(1, mean daily positions / min_positions)
                 * min(1, turnover / min_turnover)
    score = base * diversity - complexity_penalty * tree size
    diversity = 1                                                   when c < corr_limit
              = max(0, 1 - corr_penalty * (c - corr_limit) / (1 - corr_limit))   otherwise

where c is the largest |daily PnL correlation| with the hall of fame, and the ladder Sharpe is
the lower of the Sharpe ratios over the last one and two years of the in-sample PnL — what
submit's IS_LADDER_SHARPE check asks of an alpha. An alpha whose edge faded in recent years is
worth as much as its recent Sharpe: such alphas fail submission and, mostly, out of sample.
An alpha that holds only a handful of names a day (mean long + short count under
``min_positions``) is a bet on those names, not a signal: on real data such alphas come from
missing-data patterns (``is_nan``, comparisons that are constant but where a stock is new).
An alpha that barely trades (turnover under ``min_turnover``, submit's LOW_TURNOVER limit) is a
static tilt (e.g. on the price level) and fails submission; it is worth its share of the limit. The diversity factor
scales (rather than subtracts) so that a near-copy of a known alpha is worth little whatever
the market's Sharpe scale: the search moves on to other signals.

Sign awareness happens before scoring: an alpha with Sharpe -2 is negated (see
``miner.candidates.negate``) and scored as the Sharpe +2 alpha it is.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from miner.config import ScoringConfig
from miner.errors import ConfigError
from miner.hall_of_fame import abs_correlation
from pipelines.checks import LADDER_YEARS
from pipelines.metrics import TRADING_DAYS, sharpe_ratio

ERROR_SCORE = -10.0


@dataclasses.dataclass(frozen=True)
class ScoreInputs:
    metrics: Mapping[str, float]
    daily_pnl: np.ndarray | None
    size: int
    hall_of_fame_pnls: Sequence[np.ndarray]


ScoreFunction = Callable[[ScoreInputs, ScoringConfig], float]


def default_score(inputs: ScoreInputs, config: ScoringConfig) -> float:
    metrics = inputs.metrics
    fitness = float(metrics.get("fitness") or 0.0)
    if not np.isfinite(fitness):
        return ERROR_SCORE
    if config.ladder and inputs.daily_pnl is not None:
        fitness *= robustness(float(metrics.get("sharpe") or 0.0), inputs.daily_pnl)
    fitness *= breadth(metrics, config.min_positions)
    turnover = float(metrics.get("turnover") or 0.0)
    if config.min_turnover > 0 and metrics.get("turnover") is not None:
        fitness *= min(1.0, max(0.0, turnover) / config.min_turnover)
    score = fitness - config.turnover_penalty * max(0.0, turnover - config.turnover_limit)
    if inputs.daily_pnl is not None and inputs.hall_of_fame_pnls and score > 0:
        score *= diversity_factor(max_abs_correlation(inputs.daily_pnl, inputs.hall_of_fame_pnls), config)
    return score - config.complexity_penalty * inputs.size


def breadth(metrics: Mapping[str, float], min_positions: float) -> float:
    """min(1, mean daily long + short positions / min_positions); 1 when the counts are unknown."""
    if min_positions <= 0 or metrics.get("long_count") is None or metrics.get("short_count") is None:
        return 1.0
    positions = float(metrics["long_count"]) + float(metrics["short_count"])
    return min(1.0, max(0.0, positions) / min_positions) if np.isfinite(positions) else 0.0


def robustness(sharpe: float, daily_pnl: np.ndarray) -> float:
    """min(1, max(0, ladder Sharpe) / Sharpe); 1 when there is no full year or no positive Sharpe."""
    rungs = [sharpe_ratio(daily_pnl[-years * TRADING_DAYS:]) for years in LADDER_YEARS
             if len(daily_pnl) >= years * TRADING_DAYS]
    if not rungs or sharpe <= 0:
        return 1.0
    return min(1.0, max(0.0, min(rungs)) / sharpe)


def diversity_factor(correlation: float, config: ScoringConfig) -> float:
    """1 below the correlation limit, falling linearly to 1 - corr_penalty at correlation 1."""
    if correlation < config.corr_limit:
        return 1.0
    excess = (correlation - config.corr_limit) / max(1e-9, 1.0 - config.corr_limit)
    return max(0.0, 1.0 - config.corr_penalty * excess)


def max_abs_correlation(pnl: np.ndarray, others: Sequence[np.ndarray]) -> float:
    """Largest |Pearson correlation| of ``pnl`` with each series (aligned on their common tail)."""
    return max((abs_correlation(pnl, other) for other in others), default=0.0)


def resolve_score_function(name: str) -> ScoreFunction:
    """``default`` or ``module:function`` (imported, never evaluated as text)."""
    if name == "default":
        return default_score
    module_name, _, attr = name.partition(":")
    if not module_name or not attr:
        raise ConfigError(f"scoring.function must be 'default' or 'module:function', not {name!r}")
    try:
        function = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as error:
        raise ConfigError(f"scoring.function {name!r} cannot be loaded: {error}") from None
    if not callable(function):
        raise ConfigError(f"scoring.function {name!r} is not callable")
    return function


