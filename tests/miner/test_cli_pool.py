"""``alphaminer pool`` end to end: a small store mined by ``once``, a file, bad input, MLflow."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from miner.cli import main
from state import Store
from tests.miner.conftest import SMALL_MARKET, write_small_config

PNG = b"\x89PNG\r\n\x1a\n"
FILE_ALPHAS = "reversal\t-ts_sum(returns, 5)\npv\t-ts_corr(close, volume, 10)\nrank(volume)\n"


@pytest.fixture(scope="module")
def mined(tmp_path_factory) -> Path:
    """A small-market config whose store holds one ``once`` cycle."""
    directory = tmp_path_factory.mktemp("pool")
    config = write_small_config(directory)
    assert main(["once", "--config", str(config), "--json"]) == 0
    return config


@pytest.fixture
def alphas_file(tmp_path) -> Path:
    path = tmp_path / "alphas.txt"
    path.write_text(FILE_ALPHAS)
    return path


def _json(capsys, *argv: str) -> dict:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.slow
def test_store_pool_beside_alpha158_json_contract_and_experiment_dir(mined, capsys, tmp_path):
    out = tmp_path / "exp"
    capsys.readouterr()
    result = _json(capsys, "pool", "--config", str(mined), "--top", "4", "--baseline", "alpha158",
                   "--out", str(out), "--json")
    assert [row["name"] for row in result["rows"]] == ["pool", "alpha158"]
    pool, baseline = result["rows"]
    assert 1 <= pool["n_features"] <= 4 and baseline["n_features"] == 158
    assert pool["n_features"] == len(result["alphas"])  # one feature per selected alpha
    for key in ("model", "is_ic", "gross_sharpe", "ic", "rank_ic", "icir", "mae", "rmse", "directional_accuracy", "sharpe", "annual_return",
                "max_drawdown", "turnover", "win_rate", "profit_factor"):
        assert key in pool and key in baseline
    assert pool["model"] == "ridge" and pool["os_rows"] == baseline["os_rows"] > 0  # same rows, same split
    assert len(result["alphas"]) == pool["n_features"]
    assert {"id", "expression"} <= set(result["alphas"][0]) and isinstance(result["alphas"][0]["id"], int)
    assert result["out"] == str(out)
    assert sorted(p.name for p in out.iterdir()) == ["dataset_alpha158.parquet", "dataset_pool.parquet",
                                                    "equity.png", "metrics.csv", "run.json"]
    with (out / "metrics.csv").open() as handle:
        written = list(csv.DictReader(handle))
    assert [r["name"] for r in written] == ["pool", "alpha158"]
    assert float(written[0]["ic"]) == pytest.approx(pool["ic"])
    run = json.loads((out / "run.json").read_text())
    assert run["arguments"]["top"] == 4 and run["arguments"]["baseline"] == ["alpha158"]
    assert set(run["split"]) == {"train", "valid", "os"}
    dataset = pl.read_parquet(out / "dataset_pool.parquet")
    assert dataset.columns[:2] == ["date", "symbol"] and "label" in dataset.columns
    assert (out / "equity.png").read_bytes()[:8] == PNG


def test_table_output(mined, capsys, tmp_path):
    capsys.readouterr()
    assert main(["pool", "--config", str(mined), "--top", "3", "--train-target", "rank", "--out", str(tmp_path / "t")]) == 0
    out = capsys.readouterr().out
    for word in ("figure", "pool", "ic", "rank_ic", "sharpe", "max_drawdown", "experiment directory"):
        assert word in out


def test_from_file_binary_gbm_with_a_module_objective(alphas_file, capsys, tmp_path):
    out = tmp_path / "binary"
    result = _json(capsys, "pool", "--from-file", str(alphas_file), "--synthetic-config", str(SMALL_MARKET),
                   "--model", "gbm", "--label", "binary", "--horizon", "2", "--universe", "TOP50",
                   "--objectives", "rank_ic,roc_auc,brier,log_loss,sklearn.metrics:brier_score_loss",
                   "--out", str(out), "--json")
    (row,) = result["rows"]
    assert row["n_features"] == 3 and row["label"] == "binary" and row["iterations"] >= 1
    assert 0.0 <= row["roc_auc"] <= 1.0 and 0.0 <= row["brier"] <= 1.0 and row["log_loss"] > 0
    assert row["sklearn.metrics:brier_score_loss"] == pytest.approx(row["brier"]) and "ic" not in row
    assert result["alphas"] == [{"id": "reversal", "expression": "-ts_sum(returns, 5)"},
                                {"id": "pv", "expression": "-ts_corr(close, volume, 10)"},
                                {"id": "rank(volume)", "expression": "rank(volume)"}]
    assert (out / "calibration.png").read_bytes()[:8] == PNG
    assert pl.read_parquet(out / "dataset_pool.parquet").columns[2:5] == ["reversal", "pv", "rank(volume)"]


def _cli(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "miner.cli", *argv], capture_output=True, text=True, timeout=300, check=False,
                          cwd=cwd)


def test_a_bad_option_exits_2_on_one_line_as_a_process(alphas_file, tmp_path):
    done = _cli("pool", "--from-file", str(alphas_file), "--objectives", "ic,sharpness", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith(
        "alphaminer: error: unknown objective 'sharpness'; choose from ic,")


@pytest.mark.parametrize(("extra", "message"), [
    (["--model", "svm"], "alphaminer: error: argument --model: invalid choice: 'svm'"),
    (["--objectives", "roc_auc"], "alphaminer: error: objective 'roc_auc' needs a binary label"),
    (["--horizon", "0"], "alphaminer: error: horizon must be an integer >= 1 day, got 0"),
])
def test_bad_options_exit_2(alphas_file, tmp_path, capsys, extra, message):
    argv = ["pool", "--from-file", str(alphas_file), "--synthetic-config", str(SMALL_MARKET), "--out",
            str(tmp_path / "x"), *extra]
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse's own errors
        code = stop.code
    assert code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith(message)


def test_empty_pool_and_bad_file_exit_2(tmp_path, capsys):
    config = write_small_config(tmp_path)
    Store(f"sqlite:///{tmp_path / 'store.db'}").close()  # a store with no alphas
    assert main(["pool", "--config", str(config), "--out", str(tmp_path / "x")]) == 2
    assert "the store has no simulated alphas yet" in capsys.readouterr().err
    bad = tmp_path / "bad.txt"
    bad.write_text("ok\tclose\nbroken\trank(clse)\n")
    assert main(["pool", "--config", str(config), "--from-file", str(bad), "--out", str(tmp_path / "y")]) == 2
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("alphaminer: error: feature 'broken' (rank(clse)): unknown field 'clse'")


def test_mlflow_file_store(alphas_file, capsys, tmp_path):
    pytest.importorskip("mlflow", reason="the mlflow extra (mlflow-skinny, in the test extra) is not installed")
    from mlflow.tracking import MlflowClient

    uri = (tmp_path / "mlruns").as_uri()
    result = _json(capsys, "pool", "--from-file", str(alphas_file), "--synthetic-config", str(SMALL_MARKET),
                   "--universe", "TOP50", "--mlflow", uri, "--out", str(tmp_path / "exp"), "--json")
    client = MlflowClient(uri)
    (experiment,) = [e for e in client.search_experiments() if e.name == "alphaminer-pool"]
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.data.params["model"] == "ridge" and run.data.params["from_file"] == str(alphas_file)
    assert run.data.metrics["pool.ic"] == pytest.approx(result["rows"][0]["ic"])
    assert run.data.metrics["pool.sharpe"] == pytest.approx(result["rows"][0]["sharpe"])
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"run.json", "metrics.csv", "equity.png", "dataset_pool.parquet"} <= artifacts
