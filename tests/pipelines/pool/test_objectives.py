"""Each objective against scikit-learn's (or scipy's) own function on small data."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import pearsonr, spearmanr
from sklearn import metrics

from pipelines.pool.errors import PoolError
from pipelines.pool.objectives import OBJECTIVES, Scored, evaluate_objectives, resolve_objectives


def _returns_case(seed: int = 3) -> Scored:
    rng = np.random.default_rng(seed)
    dates = np.repeat(np.arange(6), 12)
    y_true = rng.normal(0, 0.02, len(dates))
    y_pred = 0.3 * y_true + rng.normal(0, 0.02, len(dates))
    y_pred[:12] = np.round(y_pred[:12], 2)  # ties on day 0 (rank IC averages them)
    return Scored(y_true, y_pred, dates)


def _binary_case(seed: int = 4) -> Scored:
    rng = np.random.default_rng(seed)
    dates = np.repeat(np.arange(5), 20)
    y_pred = rng.uniform(0.05, 0.95, len(dates))
    y_true = (rng.uniform(size=len(dates)) < y_pred).astype(float)
    return Scored(y_true, y_pred, dates, "binary")


def _per_day(scored: Scored, correlation) -> list[float]:
    return [correlation(scored.y_true[scored.dates == d], scored.y_pred[scored.dates == d])[0]
            for d in np.unique(scored.dates)]


def test_return_objectives_match_scipy_and_sklearn():
    scored = _returns_case()
    got = evaluate_objectives(resolve_objectives(["ic", "rank_ic", "icir", "mae", "rmse", "directional_accuracy"]),
                              scored)
    daily = _per_day(scored, pearsonr)
    assert got["ic"] == pytest.approx(np.mean(daily), abs=1e-12)
    assert got["rank_ic"] == pytest.approx(np.mean(_per_day(scored, spearmanr)), abs=1e-12)
    assert got["icir"] == pytest.approx(np.mean(daily) / np.std(daily, ddof=1), abs=1e-12)
    assert got["mae"] == pytest.approx(metrics.mean_absolute_error(scored.y_true, scored.y_pred), abs=1e-15)
    assert got["rmse"] == pytest.approx(np.sqrt(metrics.mean_squared_error(scored.y_true, scored.y_pred)), abs=1e-15)
    assert got["directional_accuracy"] == pytest.approx(
        metrics.accuracy_score(scored.y_true > 0, scored.y_pred > 0), abs=1e-15)


def test_binary_objectives_match_sklearn():
    scored = _binary_case()
    got = evaluate_objectives(resolve_objectives(["roc_auc", "brier", "log_loss", "directional_accuracy"], "binary"),
                              scored)
    assert got["roc_auc"] == pytest.approx(metrics.roc_auc_score(scored.y_true, scored.y_pred), abs=1e-12)
    assert got["brier"] == pytest.approx(metrics.brier_score_loss(scored.y_true, scored.y_pred), abs=1e-12)
    assert got["log_loss"] == pytest.approx(metrics.log_loss(scored.y_true, scored.y_pred), abs=1e-12)
    assert got["directional_accuracy"] == pytest.approx(
        metrics.accuracy_score(scored.y_true, scored.y_pred > 0.5), abs=1e-15)


def test_ic_skips_days_without_a_cross_section():
    dates = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    y_true = np.array([1.0, 2.0, 3.0, 1.0, 2.0, 5.0, 5.0, 5.0])  # day 1: 2 rows, day 2: constant label
    y_pred = np.array([1.0, 3.0, 2.0, 2.0, 1.0, 1.0, 2.0, 3.0])
    got = evaluate_objectives(resolve_objectives(["ic"]), Scored(y_true, y_pred, dates))
    assert got["ic"] == pytest.approx(0.5)  # day 0 only: corr([1,2,3],[1,3,2]) = 0.5


def test_module_function_objectives_are_imported_not_evaluated():
    scored = _returns_case()
    (r2,) = resolve_objectives(["sklearn.metrics:r2_score"])
    assert r2.name == "sklearn.metrics:r2_score"
    assert evaluate_objectives([r2], scored)[r2.name] == pytest.approx(metrics.r2_score(scored.y_true, scored.y_pred))


@pytest.mark.parametrize(("names", "kind", "message"), [
    (["ic", "sharpness"], "return", "unknown objective 'sharpness'; choose from ic, rank_ic"),
    (["roc_auc"], "return", "objective 'roc_auc' needs a binary label"),
    (["no_such_module_xyz:f"], "return", "cannot import module 'no_such_module_xyz'"),
    (["sklearn.metrics:no_such_metric"], "return", "module 'sklearn.metrics' has no 'no_such_metric'"),
    (["sklearn.metrics:"], "return", "write it as module:function"),
    ([" ", ""], "return", "no objectives given"),
])
def test_bad_objectives_are_one_line_errors(names, kind, message):
    with pytest.raises(PoolError, match=message) as caught:
        resolve_objectives(names, kind)
    assert "\n" not in str(caught.value)


def test_a_failing_module_function_is_a_one_line_error():
    (accuracy,) = resolve_objectives(["sklearn.metrics:accuracy_score"])
    with pytest.raises(PoolError, match="objective 'sklearn.metrics:accuracy_score' failed: ValueError: "):
        evaluate_objectives([accuracy], _binary_case())  # probabilities are not classes


def test_the_registry_names_every_builtin():
    assert list(OBJECTIVES) == ["ic", "rank_ic", "icir", "mae", "rmse", "directional_accuracy",
                                "roc_auc", "brier", "log_loss"]
