"""The synthetic market: config parsing, realism, determinism, planted ICs, the disk cache."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from expressions import Evaluator, parse
from pipelines.settings import SimulationSettings
from pipelines.simulate import simulate
from pipelines.synthetic import (
    DEFAULT_CONFIG,
    SyntheticConfig,
    SyntheticConfigError,
    _carry,
    load_synthetic,
    synthetic_panel,
)

SMALL = {
    "n_stocks": 60,
    "n_days": 160,
    "seed": 3,
    "n_sectors": 4,
    "planted": [{"expression": "-rank(ts_delta(close, 5) / ts_delay(close, 5))", "ic": 0.05}],
}


@pytest.fixture(scope="module")
def small_panel():
    return synthetic_panel(SyntheticConfig.from_dict(SMALL))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "market.toml"
    path.write_text(text)
    return path


# ---------------------------------------------------------------------------------------------
# Config


def test_default_config_has_five_planted_alphas_that_parse():
    config = SyntheticConfig.from_toml(DEFAULT_CONFIG)
    assert (config.n_stocks, config.n_days, config.delay) == (500, 1260, 1)
    assert len(config.planted) == 5
    fields = {"open", "high", "low", "close", "volume", "returns", "vwap", "adv20"}
    for planted in config.planted:
        parse(planted.expression, fields=fields, groups={"sector", "industry", "subindustry", "market"})
        assert 0.03 <= planted.ic <= 0.06


def test_unknown_key_names_file_and_key(tmp_path):
    path = write(tmp_path, "n_stocks = 50\nn_stokcs = 3\n")
    with pytest.raises(SyntheticConfigError, match=r"market\.toml: unknown key 'n_stokcs'"):
        SyntheticConfig.from_toml(path)


def test_unknown_planted_key_is_named(tmp_path):
    path = write(tmp_path, '[[planted]]\nexpression = "close"\nic = 0.05\nweight = 2\n')
    with pytest.raises(SyntheticConfigError, match=r"planted\[0\]: unknown key 'weight'"):
        SyntheticConfig.from_toml(path)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('n_stocks = "many"\n', "n_stocks"),
        ("delay = 2\n", "delay"),
        ("[[planted]]\nexpression = 'close'\nic = 0.9\n", "ic"),
        ("[[planted]]\nic = 0.05\n", "expression"),
        ("n_stocks = [\n", "invalid TOML"),
    ],
)
def test_bad_values_give_one_line_errors(tmp_path, text, named):
    with pytest.raises(SyntheticConfigError, match=named) as caught:
        SyntheticConfig.from_toml(write(tmp_path, text))
    assert "\n" not in str(caught.value)


def test_missing_file_is_a_one_line_error(tmp_path):
    with pytest.raises(SyntheticConfigError, match="cannot read"):
        SyntheticConfig.from_toml(tmp_path / "absent.toml")


# ---------------------------------------------------------------------------------------------
# The market


def test_same_seed_same_arrays_other_seed_other_arrays(small_panel):
    again = synthetic_panel(SyntheticConfig.from_dict(SMALL))
    other = synthetic_panel(SyntheticConfig.from_dict({**SMALL, "seed": 4}))
    for name in ("open", "high", "low", "close", "volume"):
        np.testing.assert_array_equal(small_panel.fields[name], again.fields[name])
    for name in ("sector", "industry", "subindustry"):
        np.testing.assert_array_equal(small_panel.groups[name], again.groups[name])
    assert not np.allclose(np.nan_to_num(small_panel.field("close")), np.nan_to_num(other.field("close")))


def test_ohlc_are_consistent_and_late_listings_are_nan_before(small_panel):
    f = small_panel.fields
    listed = np.isfinite(f["close"])
    for name in ("open", "high", "low", "volume"):
        np.testing.assert_array_equal(np.isfinite(f[name]), listed)
    assert np.all(f["low"][listed] <= np.minimum(f["open"], f["close"])[listed])
    assert np.all(f["high"][listed] >= np.maximum(f["open"], f["close"])[listed])
    assert np.all(f["close"][listed] > 0) and np.all(f["volume"][listed] > 0)
    late = ~listed[0]
    assert late.sum() == round(0.03 * 60)
    first = listed.argmax(axis=0)
    assert np.all(first[late] >= 40) and np.all(listed[first[late].max() :, late])


def test_groups_are_nested_with_labels(small_panel):
    g = small_panel.groups
    config = SyntheticConfig.from_dict(SMALL)
    np.testing.assert_array_equal(g["industry"] // config.n_industries, g["sector"])
    np.testing.assert_array_equal(g["subindustry"] // config.n_subindustries, g["industry"])
    assert len(small_panel.group_labels["sector"]) == config.n_sectors
    assert small_panel.planted == [(SMALL["planted"][0]["expression"], 0.05)]


def test_market_has_fat_tails_volatility_and_volume_clustering():
    panel = synthetic_panel(SyntheticConfig.from_dict({**SMALL, "n_stocks": 200, "n_days": 500, "planted": []}))
    returns = panel.returns[1:]
    idio = returns - np.nanmean(returns, axis=1, keepdims=True)
    z = (idio - np.nanmean(idio, axis=0)) / np.nanstd(idio, axis=0)
    assert np.nanmean(z**4) > 4.5  # normal: 3
    size = np.abs(z)
    assert _lag1_autocorrelation(size) > 0.05  # volatility clustering
    assert abs(_lag1_autocorrelation(z)) < 0.03  # but no free linear predictability
    log_volume = np.log(panel.field("volume")[1:])
    assert _lag1_autocorrelation(log_volume - np.nanmean(log_volume, axis=0)) > 0.3
    ok = np.isfinite(size)
    assert np.corrcoef(size[ok], log_volume[ok])[0, 1] > 0.1
    market = np.nanmean(returns, axis=1)
    assert np.corrcoef(returns[:, 0], market)[0, 1] > 0.2  # a market factor exists


def _lag1_autocorrelation(x: np.ndarray) -> float:
    x = x - np.nanmean(x, axis=0)
    return float(np.nanmean(x[1:] * x[:-1]) / np.nanmean(x * x))


# ---------------------------------------------------------------------------------------------
# Planting


def test_carry_gives_each_column_its_correlation_even_when_columns_correlate():
    rng = np.random.default_rng(0)
    n = 200_000
    base = rng.normal(size=(n, 2))
    values = np.column_stack([base[:, 0], 0.6 * base[:, 0] + 0.8 * base[:, 1]])  # corr 0.6
    noise = 0.02 * rng.standard_t(5, size=n)
    out = _carry(noise, values, np.array([0.05, -0.03]))
    assert np.corrcoef(out, values[:, 0])[0, 1] == pytest.approx(0.05, abs=0.005)
    assert np.corrcoef(out, values[:, 1])[0, 1] == pytest.approx(-0.03, abs=0.005)
    assert out.std() == pytest.approx(noise.std(), rel=0.01)  # the variance is kept


PLANTED_TEST = {
    "n_stocks": 200,
    "n_days": 500,
    "seed": 11,
    "planted": [
        {"expression": "-rank(ts_delta(close, 5) / ts_delay(close, 5))", "ic": 0.06},
        {"expression": "rank(ts_mean(volume, 5) / ts_mean(volume, 60))", "ic": 0.05},
        {"expression": "group_neutralize(rank(ts_delta(close, 20) / ts_delay(close, 20)), sector)", "ic": 0.05},
        {"expression": "-ts_corr(open, volume, 10)", "ic": 0.05},
        {"expression": "-abs(ts_zscore(close, 10))", "ic": 0.04},
        {"expression": "rank(high - low)", "ic": 0.02},
    ],
}


def test_simulator_measures_each_planted_ic_within_25_percent():
    config = SyntheticConfig.from_dict(PLANTED_TEST)
    panel = synthetic_panel(config)
    settings = SimulationSettings()
    evaluator = Evaluator(panel.fields, panel.groups, universe=panel.universe(settings.universe))
    for expression, target in panel.planted:
        measured = simulate(evaluator.evaluate(expression), panel, settings).is_metrics.ic
        if target >= 0.03:
            assert measured == pytest.approx(target, rel=0.25), expression


def test_without_planting_the_planted_expressions_have_no_ic():
    config = SyntheticConfig.from_dict({**PLANTED_TEST, "n_days": 300, "planted": []})
    panel = synthetic_panel(config)
    settings = SimulationSettings()
    evaluator = Evaluator(panel.fields, panel.groups, universe=panel.universe(settings.universe))
    for planted in PLANTED_TEST["planted"][:2]:
        measured = simulate(evaluator.evaluate(planted["expression"]), panel, settings).is_metrics.ic
        assert abs(measured) < 0.015


# ---------------------------------------------------------------------------------------------
# load_synthetic and its cache


def test_load_synthetic_caches_by_config_content(tmp_path):
    path = tmp_path / "market.toml"
    path.write_text("n_stocks = 30\nn_days = 120\nseed = 5\nn_sectors = 3\n"
                    '[[planted]]\nexpression = "-ts_delta(close, 3)"\nic = 0.04\n')
    first = load_synthetic(path, cache_dir=tmp_path / "cache")
    assert first.cache_path is not None and Path(first.cache_path).is_dir()
    again = load_synthetic(path, cache_dir=tmp_path / "cache")
    assert again.cache_path == first.cache_path
    assert again.planted == [("-ts_delta(close, 3)", 0.04)]
    np.testing.assert_array_equal(again.field("close"), first.field("close"))
    np.testing.assert_array_equal(again.groups["sector"], first.groups["sector"])
    direct = synthetic_panel(SyntheticConfig.from_toml(path))
    np.testing.assert_array_equal(again.field("volume"), direct.field("volume"))
    path.write_text(path.read_text().replace("seed = 5", "seed = 6"))
    assert load_synthetic(path, cache_dir=tmp_path / "cache").cache_path != first.cache_path


def test_config_key_follows_content():
    config = SyntheticConfig.from_dict(SMALL)
    assert config.key() == SyntheticConfig.from_dict(dict(SMALL)).key()
    assert config.key() != dataclasses.replace(config, seed=99).key()
