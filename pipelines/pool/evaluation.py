"""One model input judged out of sample: fit, predict, score the objectives, backtest.

``evaluate_model`` is what ``alphaminer pool`` runs for the pool and for each baseline, with the
same dataset options, model, objectives and backtest, so that the rows compare like with like.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from pipelines.pool.backtest import BacktestResult, long_short
from pipelines.pool.dataset import OS, TRAIN, VALID, PoolDataset
from pipelines.pool.models import FitResult, fit_predict, predict
from pipelines.pool.objectives import Objective, Scored, daily_ic, evaluate_objectives


@dataclasses.dataclass(frozen=True)
class ModelEvaluation:
    """The figures row of one model input, and what they were computed from."""

    row: dict[str, Any]
    fit: FitResult
    scored: Scored
    backtest: BacktestResult


def evaluate_model(
    name: str,
    dataset: PoolDataset,
    model: str,
    objectives: Sequence[Objective],
    *,
    quantile: float = 0.2,
    cost_bps: float = 0.0,
    seed: int = 0,
    train_target: str = "raw",
) -> ModelEvaluation:
    """Fit ``model`` on ``dataset``'s in-sample rows and judge its out-of-sample predictions.

    Returns
    -------
    ModelEvaluation : ``row`` = name, n_features, model, label, os_rows, ``is_ic`` (the IC of
    the fitted model on its own in-sample rows: what it learned, not a forecast), the
    objectives by name, then the backtest figures (sharpe, annual_return, max_drawdown,
    turnover, win_rate, profit_factor, days, gross_*) and model info (e.g. boosting iterations).
    """
    fit = fit_predict(dataset, model, seed=seed, train_target=train_target)
    rows = dataset.part(OS)
    dates = rows["date"].to_numpy()
    scored = Scored(rows["label"].to_numpy(), fit.predictions, dates, dataset.label_kind)
    backtest = long_short(dates, rows["symbol"].to_numpy(), fit.predictions, rows["next_return"].to_numpy(),
                          quantile=quantile, cost_bps=cost_bps)
    row: dict[str, Any] = {
        "name": name,
        "n_features": len(dataset.features),
        "model": model,
        "label": dataset.label_kind,
        "os_rows": rows.height,
        "is_ic": _in_sample_ic(dataset, fit),
        **evaluate_objectives(objectives, scored),
        **backtest.figures,
        **fit.info,
    }
    return ModelEvaluation(row, fit, scored, backtest)


def _in_sample_ic(dataset: PoolDataset, fit: FitResult) -> float:
    rows = dataset.frame.filter(dataset.frame["split"].is_in([TRAIN, VALID]))
    x = rows.select(dataset.features).to_numpy().astype(np.float64)
    scored = Scored(rows["forward_return"].to_numpy(), predict(fit.model, x, dataset.label_kind == "binary"),
                    rows["date"].to_numpy())
    values = daily_ic(scored)
    return float(np.mean(values)) if len(values) else float("nan")
