"""The miner's score of a simulated alpha, used for selection and for ranking in the store.

Default (configurable in ``[scoring]``, or replaced by ``function = "module:function"``)::

    score = fitness                                  (of the sign-corrected alpha: Sharpe >= 0)
            - turnover_penalty * max(0, turnover - turnover_limit)
            - corr_penalty     * (max |PnL corr with the hall of fame| >= corr_limit)
            - complexity_penalty * tree size

Sign awareness happens before scoring: an alpha with Sharpe -2 is negated (see
``miner.candidates.negate``) and scored as the Sharpe +2 alpha it is.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from miner.config import ScoringConfig
from miner.errors import ConfigError

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
    turnover = float(metrics.get("turnover") or 0.0)
    score = fitness - config.turnover_penalty * max(0.0, turnover - config.turnover_limit)
    if inputs.daily_pnl is not None and inputs.hall_of_fame_pnls:
        if max_abs_correlation(inputs.daily_pnl, inputs.hall_of_fame_pnls) >= config.corr_limit:
            score -= config.corr_penalty
    return score - config.complexity_penalty * inputs.size


def max_abs_correlation(pnl: np.ndarray, others: Sequence[np.ndarray]) -> float:
    """Largest |Pearson correlation| of ``pnl`` with each series (aligned on their common tail)."""
    best = 0.0
    for other in others:
        n = min(len(pnl), len(other))
        if n < 3:
            continue
        a, b = pnl[-n:], other[-n:]
        if np.std(a) == 0 or np.std(b) == 0:
            continue
        best = max(best, abs(float(np.corrcoef(a, b)[0, 1])))
    return best


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


def score_result(metrics: Mapping[str, Any] | None, inputs_factory: Callable[[], ScoreInputs], function: ScoreFunction, config: ScoringConfig) -> float:
    if metrics is None:
        return ERROR_SCORE
    return float(function(inputs_factory(), config))
