"""Meta-models trained on the pool's features: ridge, gbm, rf and (when installed) lightgbm.

The features reach the models already standardised per day (``pipelines.pool.standardize``:
rank by default), so one fitted model applies to every day's cross-section.

- ``ridge``: scikit-learn ``Ridge`` (return label) / L2 ``LogisticRegression`` (binary).
- ``gbm``: ``HistGradientBoosting{Regressor,Classifier}``, early stopping on the validation
  dates (the end of the in-sample period), not on a random share of the rows.
- ``rf``: ``RandomForest{Regressor,Classifier}``, shallow trees on a row subsample.
- ``lightgbm``: ``LGBM{Regressor,Classifier}`` with early stopping on the validation dates;
  a clear error when the package is missing.

Models without early stopping (ridge, rf) train on the train and validation rows together.
Binary models predict the probability of the label being 1. A return label can be fitted as
is (``train_target="raw"``) or as its per-day rank (``"rank"``); predictions are then scores.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from typing import Any

import numpy as np

from pipelines.pool.dataset import OS, TRAIN, TRAIN_TARGETS, VALID, PoolDataset
from pipelines.pool.errors import PoolError

MODELS = ("ridge", "gbm", "rf", "lightgbm")
RF_MAX_ROWS = 200_000


@dataclasses.dataclass(frozen=True)
class FitResult:
    """A fitted model, its out-of-sample predictions (one per ``dataset.part("os")`` row), and
    ``info`` (e.g. the boosting rounds kept by early stopping)."""

    model: Any
    predictions: np.ndarray
    info: dict[str, Any]


def check_model(name: str) -> None:
    """Raise ``PoolError`` for an unknown model or one whose package is not installed."""
    if name not in MODELS:
        raise PoolError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    if name == "lightgbm" and importlib.util.find_spec("lightgbm") is None:
        raise PoolError("model 'lightgbm' needs the lightgbm package: pip install lightgbm (or use --model gbm)")


def fit_predict(dataset: PoolDataset, model: str = "ridge", *, seed: int = 0, train_target: str = "raw") -> FitResult:
    """Train ``model`` on the in-sample rows of ``dataset`` and predict its out-of-sample rows.

    Parameters
    ----------
    dataset : the pool dataset (its ``label_kind`` picks regressor or classifier).
    model : one of ``MODELS``.
    seed : random state of the tree models.
    train_target : ``raw`` (the label) or ``rank`` (its per-day rank; return labels only).

    Returns
    -------
    FitResult
    """
    check_model(model)
    binary = dataset.label_kind == "binary"
    target = _target_column(train_target, binary)
    x_train, y_train = dataset.matrix(TRAIN, target)
    x_valid, y_valid = dataset.matrix(VALID, target)
    x_os, _ = dataset.matrix(OS)
    if binary and len(np.unique(y_train)) < 2:
        raise PoolError("the binary label takes one value only in the training dates: change --threshold")
    fit = {"ridge": _ridge, "gbm": _gbm, "rf": _rf, "lightgbm": _lightgbm}[model]
    fitted, info = fit(x_train, y_train, x_valid, y_valid, binary, seed)
    return FitResult(fitted, predict(fitted, x_os, binary), info)


def _target_column(train_target: str, binary: bool) -> str:
    if train_target not in TRAIN_TARGETS:
        raise PoolError(f"unknown training target {train_target!r}; choose one of {', '.join(TRAIN_TARGETS)}")
    if binary and train_target != "raw":
        raise PoolError("a binary label is fitted as is: --train-target rank needs --label return")
    return TRAIN_TARGETS[train_target]


def predict(model: Any, x: np.ndarray, binary: bool) -> np.ndarray:
    """Predictions of a fitted model: the probability of 1 for a binary label."""
    if binary:
        return np.asarray(model.predict_proba(x)[:, 1], dtype=np.float64)
    return np.asarray(model.predict(x), dtype=np.float64)


def _joined(x_train, y_train, x_valid, y_valid) -> tuple[np.ndarray, np.ndarray]:
    return np.concatenate([x_train, x_valid]), np.concatenate([y_train, y_valid])


def _ridge(x_train, y_train, x_valid, y_valid, binary, seed):
    from sklearn.linear_model import LogisticRegression, Ridge

    x, y = _joined(x_train, y_train, x_valid, y_valid)
    model = LogisticRegression(C=1.0, max_iter=500) if binary else Ridge(alpha=1.0)
    return model.fit(x, y), {}


def _gbm(x_train, y_train, x_valid, y_valid, binary, seed):
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    kind = HistGradientBoostingClassifier if binary else HistGradientBoostingRegressor
    stop = len(y_valid) > 0
    model = kind(learning_rate=0.05, max_iter=300, max_leaf_nodes=15, min_samples_leaf=100,
                 l2_regularization=1.0, early_stopping=stop, n_iter_no_change=20, random_state=seed)
    if stop:
        model.fit(x_train, y_train, X_val=x_valid, y_val=y_valid)
    else:
        model.fit(x_train, y_train)
    return model, {"iterations": int(model.n_iter_)}


def _rf(x_train, y_train, x_valid, y_valid, binary, seed):
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    x, y = _joined(x_train, y_train, x_valid, y_valid)
    kind = RandomForestClassifier if binary else RandomForestRegressor
    share = min(1.0, RF_MAX_ROWS / max(len(y), 1))
    model = kind(n_estimators=100, max_depth=6, min_samples_leaf=50, max_samples=share if share < 1 else None,
                 max_features=0.5, n_jobs=1, random_state=seed)
    return model.fit(x, y), {}


def _lightgbm(x_train, y_train, x_valid, y_valid, binary, seed):
    import lightgbm

    kind = lightgbm.LGBMClassifier if binary else lightgbm.LGBMRegressor
    model = kind(n_estimators=1000, learning_rate=0.05, num_leaves=15, min_child_samples=100,
                 random_state=seed, n_jobs=1, verbose=-1)
    if len(y_valid):
        model.fit(x_train, y_train, eval_set=[(x_valid, y_valid)],
                  callbacks=[lightgbm.early_stopping(50, verbose=False)])
        return model, {"iterations": int(model.best_iteration_ or model.n_estimators)}
    return model.fit(x_train, y_train), {"iterations": model.n_estimators}
