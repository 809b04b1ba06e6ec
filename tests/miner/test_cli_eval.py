"""``alphaminer eval``: in-process with capsys on a small panel written to parquet."""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest

from miner.cli import main
from pipelines.load import load_panel
from pipelines.settings import SimulationSettings
from pipelines.simulate import simulate


@pytest.fixture
def market(tmp_path):
    """60 days x 8 symbols of long-format prices, and a sector file."""
    rng = np.random.default_rng(3)
    t, n = 60, 8
    close = 20 * np.exp(np.cumsum(rng.normal(0, 0.02, (t, n)), axis=0))
    dates = np.arange(np.datetime64("2021-01-01"), np.datetime64("2021-01-01") + t)
    rows = {"date": [], "symbol": [], "open": [], "high": [], "low": [], "close": [], "volume": []}
    for i in range(t):
        for j in range(n):
            c = float(close[i, j])
            rows["date"].append(dates[i].astype(object))
            rows["symbol"].append(f"S{j}")
            rows["open"].append(c)
            rows["high"].append(c * 1.01)
            rows["low"].append(c * 0.99)
            rows["close"].append(c)
            rows["volume"].append(float(1e5 * (j + 1)))
    data = tmp_path / "daily.parquet"
    pl.DataFrame(rows).write_parquet(data)
    groups = tmp_path / "sectors.parquet"
    pl.DataFrame({"symbol": [f"S{j}" for j in range(n)], "sector": ["A", "B"] * (n // 2)}).write_parquet(groups)
    return str(data), str(groups), str(tmp_path / "cache")


def eval_args(market, *extra):
    data, groups, cache = market
    return ["eval", *extra, "--data", data, "--groups", groups, "--cache-dir", cache]


def test_json_report_matches_a_direct_simulation(market, capsys):
    code = main(eval_args(market, "rank(-ts_delta(close, 2))", "--universe", "ALL", "--json",
                          "--neutralization", "SECTOR", "--truncation", "0.3"))
    out, err = capsys.readouterr()
    assert code == 0, err
    report = json.loads(out)
    assert set(report) == {"expression", "settings", "is", "years", "checks"}  # no os without --show-os
    assert report["settings"]["neutralization"] == "SECTOR"
    panel = load_panel(market[0], groups=market[1], cache_dir=market[2])
    close = np.asarray(panel.field("close"))
    delta = close.copy()
    delta[:2] = np.nan
    delta[2:] = close[2:] - close[:-2]
    # rank of -delta across the 8 symbols each day, as the evaluator's rank (0..1 by position)
    order = np.argsort(np.argsort(-delta, axis=1), axis=1).astype(float) / 7
    order[:2] = np.nan
    settings = SimulationSettings(universe="ALL", neutralization="SECTOR", truncation=0.3)
    direct = simulate(order, panel, settings)
    assert report["is"]["sharpe"] == pytest.approx(direct.is_metrics.sharpe, rel=1e-9)
    assert report["is"]["days"] == direct.is_metrics.days
    assert [c["name"] for c in report["checks"]][0] == "LOW_SHARPE"
    assert {"name", "result", "limit", "value"} == set(report["checks"][0])
    assert report["years"][0]["year"] == "2021"


def test_show_os_adds_os_figures_and_warns(market, capsys):
    assert main(eval_args(market, "returns * -1", "--universe", "ALL", "--json", "--show-os")) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert report["os"]["days"] == 12  # round(60 * 0.2) tail days
    assert "out-of-sample" in err and "spends" in err
    check = next(c for c in report["checks"] if c["name"] == "OUT_OF_SAMPLE")
    assert check["result"] in ("PASS", "FAIL")


def test_text_report_has_settings_figures_years_and_checks(market, capsys):
    assert main(eval_args(market, "returns * -1", "--universe", "TOP4", "--cost-bps", "3")) == 0
    out = capsys.readouterr().out
    for piece in ("Settings", "In sample", "2021", "LOW_SHARPE", "DEFLATED_SHARPE",
                  "After 3 bps costs", "LOW_SUB_UNIVERSE_SHARPE"):
        assert piece in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["rank(closee)"], "closee"),
        (["rank(close", "--universe", "ALL"], "position"),
        (["returns * -1", "--delay", "3"], "delay 3 is not allowed"),
        (["returns * -1", "--neutralization", "SUBINDUSTRY"], "available: NONE"),
        (["returns * -1", "--universe", "TOPZ"], "unknown universe"),
        (["returns * -1", "--scheduler", "tcp://127.0.0.1:1"], "--scheduler needs --executor dask"),
    ],
)
def test_bad_input_is_one_line_exit_2(market, capsys, extra, message):
    assert main(eval_args(market, *extra)) == 2
    err = capsys.readouterr().err  # log lines (panel_loaded) may come first
    errors = [line for line in err.splitlines() if line.startswith("alphaminer: error:")]
    assert len(errors) == 1 and message in errors[0] and err.endswith(errors[0] + "\n")
    assert "Traceback" not in err


def test_process_executor_gives_the_same_figures(market, capsys):
    assert main(eval_args(market, "returns * -1", "--universe", "ALL", "--json")) == 0
    local = json.loads(capsys.readouterr().out)
    assert main(eval_args(market, "returns * -1", "--universe", "ALL", "--json", "--executor", "process")) == 0
    remote = json.loads(capsys.readouterr().out)
    for key, value in local["is"].items():
        if isinstance(value, float) and not math.isnan(value):
            assert remote["is"][key] == pytest.approx(value, rel=1e-12), key
