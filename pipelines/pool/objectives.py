"""Objectives by name: how good are a model's out-of-sample predictions.

Built in (``OBJECTIVES``):

- ``ic``: mean over days of the cross-sectional Pearson correlation of prediction and label.
- ``rank_ic``: the same with Spearman (rank) correlation.
- ``icir``: mean / std (ddof=1) of the daily IC.
- ``mae``, ``rmse``: mean absolute / root mean squared error of prediction vs label.
- ``directional_accuracy``: share of rows whose prediction is on the label's side of the cut
  (0 for returns, 0.5 for probabilities of a binary label; a value at the cut counts as down).
- binary labels only: ``roc_auc``, ``brier`` (mean squared error of the probability),
  ``log_loss``.

Days with fewer than 3 rows, or a constant prediction or label, have no IC and are skipped.
Any other objective is named ``module:function`` and loaded with importlib (never eval): it is
called as ``function(y_true, y_pred)`` like scikit-learn's metrics, e.g.
``sklearn.metrics:r2_score``.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Sequence

import numpy as np
from scipy.stats import rankdata

from pipelines.pool.errors import PoolError

MIN_DAY_ROWS = 3
DEFAULT_RETURN = ("ic", "rank_ic", "icir", "mae", "rmse", "directional_accuracy")
DEFAULT_BINARY = DEFAULT_RETURN + ("roc_auc", "brier", "log_loss")


@dataclasses.dataclass(frozen=True)
class Scored:
    """What an objective scores: label, prediction and the date of each row, and the label kind."""

    y_true: np.ndarray
    y_pred: np.ndarray
    dates: np.ndarray
    label_kind: str = "return"


@dataclasses.dataclass(frozen=True)
class Objective:
    """A named objective: ``score(scored) -> float``; ``binary_only`` ones need a 0/1 label."""

    name: str
    score: Callable[[Scored], float]
    binary_only: bool = False


def daily_ic(scored: Scored, rank: bool = False) -> np.ndarray:
    """The cross-sectional (rank) correlation of each day with enough varied rows."""
    order = np.argsort(scored.dates, kind="stable")
    dates, y, p = scored.dates[order], scored.y_true[order], scored.y_pred[order]
    bounds = np.flatnonzero(dates[1:] != dates[:-1]) + 1
    values = []
    for y_day, p_day in zip(np.split(y, bounds), np.split(p, bounds)):
        keep = np.isfinite(y_day) & np.isfinite(p_day)
        y_day, p_day = y_day[keep], p_day[keep]
        if len(y_day) < MIN_DAY_ROWS or np.ptp(y_day) == 0 or np.ptp(p_day) == 0:
            continue
        if rank:
            y_day, p_day = rankdata(y_day), rankdata(p_day)
        values.append(np.corrcoef(y_day, p_day)[0, 1])
    return np.asarray(values, dtype=np.float64)


def _mean_or_nan(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else float("nan")


def _ic(scored: Scored) -> float:
    return _mean_or_nan(daily_ic(scored))


def _rank_ic(scored: Scored) -> float:
    return _mean_or_nan(daily_ic(scored, rank=True))


def _icir(scored: Scored) -> float:
    values = daily_ic(scored)
    if len(values) < 2 or not np.std(values, ddof=1) > 0:
        return float("nan")
    return float(np.mean(values) / np.std(values, ddof=1))


def _mae(scored: Scored) -> float:
    return float(np.mean(np.abs(scored.y_true - scored.y_pred)))


def _rmse(scored: Scored) -> float:
    return float(np.sqrt(np.mean((scored.y_true - scored.y_pred) ** 2)))


def _directional_accuracy(scored: Scored) -> float:
    cut_pred = 0.5 if scored.label_kind == "binary" else 0.0
    cut_true = 0.5 if scored.label_kind == "binary" else 0.0
    return float(np.mean((scored.y_pred > cut_pred) == (scored.y_true > cut_true)))


def _roc_auc(scored: Scored) -> float:
    from sklearn.metrics import roc_auc_score

    if len(np.unique(scored.y_true)) < 2:
        return float("nan")
    return float(roc_auc_score(scored.y_true, scored.y_pred))


def _brier(scored: Scored) -> float:
    return float(np.mean((scored.y_pred - scored.y_true) ** 2))


def _log_loss(scored: Scored) -> float:
    p = np.clip(scored.y_pred, 1e-15, 1 - 1e-15)
    return float(-np.mean(scored.y_true * np.log(p) + (1 - scored.y_true) * np.log(1 - p)))


OBJECTIVES: dict[str, Objective] = {
    o.name: o
    for o in (
        Objective("ic", _ic),
        Objective("rank_ic", _rank_ic),
        Objective("icir", _icir),
        Objective("mae", _mae),
        Objective("rmse", _rmse),
        Objective("directional_accuracy", _directional_accuracy),
        Objective("roc_auc", _roc_auc, binary_only=True),
        Objective("brier", _brier, binary_only=True),
        Objective("log_loss", _log_loss, binary_only=True),
    )
}


def resolve_objectives(names: Sequence[str], label_kind: str = "return") -> list[Objective]:
    """The objectives named (built-in names or ``module:function``), checked for the label kind.

    Raises
    ------
    PoolError
        An unknown name, a ``module:function`` that cannot be imported, or a binary-only
        objective with a return label.
    """
    found = []
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        objective = _load(name) if ":" in name else OBJECTIVES.get(name)
        if objective is None:
            raise PoolError(
                f"unknown objective {name!r}; choose from {', '.join(OBJECTIVES)} or give module:function"
            )
        if objective.binary_only and label_kind != "binary":
            raise PoolError(f"objective {name!r} needs a binary label (--label binary)")
        found.append(objective)
    if not found:
        raise PoolError("no objectives given")
    return found


def evaluate_objectives(objectives: Sequence[Objective], scored: Scored) -> dict[str, float]:
    """``{name: value}`` of each objective on ``scored``."""
    return {o.name: float(o.score(scored)) for o in objectives}


def _load(name: str) -> Objective:
    module_name, _, attribute = name.partition(":")
    if not module_name or not attribute:
        raise PoolError(f"objective {name!r}: write it as module:function")
    try:
        target = importlib.import_module(module_name)
    except ImportError as error:
        raise PoolError(f"objective {name!r}: cannot import module {module_name!r} ({error})") from None
    for part in attribute.split("."):
        target = getattr(target, part, None)
        if target is None:
            raise PoolError(f"objective {name!r}: module {module_name!r} has no {attribute!r}")
    if not callable(target):
        raise PoolError(f"objective {name!r}: {attribute!r} is not a function")
    return Objective(name, lambda scored: _call(name, target, scored))


def _call(name: str, function: Callable, scored: Scored) -> float:
    try:
        return float(function(scored.y_true, scored.y_pred))
    except Exception as error:  # noqa: BLE001 - a user's function: report it on one line
        text = " ".join(str(error).split())
        raise PoolError(f"objective {name!r} failed: {type(error).__name__}: {text}") from None
