import numpy as np
import pytest

from expressions import parse
from miner.evolution import build_pset
from miner.screen import screen, templates
from pipelines.panel import Panel
from pipelines.settings import SimulationSettings, split_index
from pipelines.synthetic import load_synthetic
from tests.miner.conftest import SMALL_MARKET


def test_templates_cover_every_core_time_series_operator_field_and_window():
    pset = build_pset(["close", "volume", "returns"], [], [2, 5, 10], [1.0])
    found = list(templates(pset, [5, 10]))
    assert len(found) == len(set(found))
    assert "ts_mean(close, 5)" in found and "ts_rank(returns, 10)" in found
    assert "ts_corr(close, volume, 10)" in found and "ts_corr(volume, close, 10)" not in found
    assert "divide(ts_mean(volume, 5), ts_mean(volume, 10))" in found
    assert not any(t.startswith(("ts_skewness(", "rank(")) for t in found)  # core ts operators only
    for text in found:
        parse(text, fields={"close": 0, "volume": 0, "returns": 0})


@pytest.fixture(scope="module")
def small_panel():
    return load_synthetic(SMALL_MARKET)


def test_screen_puts_the_planted_alphas_first_and_leaves_near_copies_out(small_panel):
    candidates = ["ts_sum(returns, 5)", "ts_mean(returns, 5)", "ts_corr(close, volume, 10)",
                  "ts_mean(close, 60)", "ts_delay(volume, 3)"]
    kept = screen(small_panel, SimulationSettings(universe="TOP50"), candidates, top=3)
    texts = [k.expression for k in kept]
    # ts_mean(returns, 5) ranks exactly as ts_sum(returns, 5): a near-copy of whichever came first
    assert set(texts[:2]) == {"ts_sum(returns, 5)", "ts_corr(close, volume, 10)"}
    assert "ts_mean(returns, 5)" not in texts
    assert all(k.rank_ic >= 0 for k in kept) and kept[0].rank_ic >= kept[1].rank_ic >= kept[2].rank_ic
    assert kept[0].rank_ic > 0.04  # the planted ICs are 0.08 and 0.06


def test_screen_reads_in_sample_dates_only(small_panel):
    settings = SimulationSettings(universe="TOP50")
    candidates = ["ts_sum(returns, 5)", "ts_corr(close, volume, 10)", "ts_mean(close, 60)"]
    is_end = split_index(small_panel.T, settings.os_fraction)
    stored = {name: small_panel.fields[name] for name in small_panel.fields.stored_names()}
    spoiled = {name: np.concatenate([v[:is_end], v[is_end:][::-1] * 1.5]) for name, v in stored.items()}
    twin = Panel.from_arrays(spoiled, dates=small_panel.dates, symbols=small_panel.symbols, groups=small_panel.groups)
    assert screen(twin, settings, candidates, top=3) == screen(small_panel, settings, candidates, top=3)


def test_templates_use_the_heaviest_fields_when_there_are_many():
    pset = build_pset([f"f{i}" for i in range(50)], [], [5, 10], [1.0])
    pset.terminal_weights = {"f7": 5.0, "f3": 2.0}
    found = list(templates(pset, [5, 10], max_fields=3))
    fields = {name for t in found for name in (f"f{i}" for i in range(50)) if f"({name}," in t or f" {name}," in t}
    assert fields == {"f7", "f3", "f0"}
