"""Every model finds a planted signal out of sample; classifiers give probabilities; errors."""

from __future__ import annotations

import importlib.util

import pytest

from pipelines.pool.dataset import build_dataset, evaluate_features
from pipelines.pool.errors import PoolError
from pipelines.pool.models import check_model, fit_predict
from pipelines.pool.objectives import Scored, evaluate_objectives, resolve_objectives
from tests.pipelines.pool.planted import planted_panel

FEATURES = [("signal", "signal"), ("noise", "noise"), ("volume", "volume")]
HAVE_LIGHTGBM = importlib.util.find_spec("lightgbm") is not None


@pytest.fixture(scope="module")
def planted():
    panel = planted_panel(t=120, n=25)
    universe = panel.universe("ALL")
    features = list(evaluate_features(panel, FEATURES, "ALL"))
    return {kind: build_dataset(panel, features, universe, label=kind) for kind in ("return", "binary")}


def _os_ic(dataset, predictions) -> float:
    rows = dataset.part("os")
    scored = Scored(rows["forward_return"].to_numpy(), predictions, rows["date"].to_numpy())
    return evaluate_objectives(resolve_objectives(["ic"]), scored)["ic"]


@pytest.mark.parametrize("model", ["ridge", "gbm", "rf"] + (["lightgbm"] if HAVE_LIGHTGBM else []))
@pytest.mark.parametrize("kind", ["return", "binary"])
def test_each_model_finds_the_planted_signal(planted, model, kind):
    dataset = planted[kind]
    fit = fit_predict(dataset, model, seed=1)
    assert fit.predictions.shape == (dataset.part("os").height,)
    assert _os_ic(dataset, fit.predictions) > 0.4
    if kind == "binary":
        assert ((fit.predictions >= 0) & (fit.predictions <= 1)).all()


@pytest.mark.parametrize("model", ["ridge", "gbm"])
def test_fitting_the_per_day_rank_of_the_label(planted, model):
    fit = fit_predict(planted["return"], model, train_target="rank")
    assert _os_ic(planted["return"], fit.predictions) > 0.4
    with pytest.raises(PoolError, match="a binary label is fitted as is"):
        fit_predict(planted["binary"], model, train_target="rank")
    with pytest.raises(PoolError, match="unknown training target 'zscore'"):
        fit_predict(planted["return"], model, train_target="zscore")


def test_gbm_stops_early_on_the_validation_dates(planted):
    fit = fit_predict(planted["return"], "gbm")
    assert 1 <= fit.info["iterations"] < 300


def test_unknown_model():
    with pytest.raises(PoolError, match="unknown model 'svm'; choose one of ridge, gbm, rf, lightgbm"):
        check_model("svm")


def test_lightgbm_missing_is_a_clear_error(monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "lightgbm" else find_spec(name, *a))
    with pytest.raises(PoolError, match="model 'lightgbm' needs the lightgbm package: pip install lightgbm"):
        check_model("lightgbm")


def test_a_one_valued_binary_label_is_an_error(planted):
    dataset = planted["binary"]
    frame = dataset.frame.with_columns(dataset.frame["label"] * 0.0)
    with pytest.raises(PoolError, match="binary label takes one value only"):
        fit_predict(type(dataset)(frame, dataset.features, "binary", 1, dataset.split_dates), "ridge")
