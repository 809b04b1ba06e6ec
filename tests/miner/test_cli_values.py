"""``alphaminer values`` and ``alphaminer operators`` on real files, in process and as a process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from expressions.registry import operators
from miner.cli import main

# 3 dates x 2 symbols, hand-checkable
CSV = """date,symbol,open,high,low,close,volume
2020-01-02,AAA,10,11,9,10,100
2020-01-02,BBB,20,22,18,20,300
2020-01-03,AAA,10,12,10,11,120
2020-01-03,BBB,20,21,19,19,200
2020-01-06,AAA,11,12,10,12,150
2020-01-06,BBB,19,21,18,21,250
"""
GROUPS = "symbol,sector\nAAA,Tech\nBBB,Oil\n"


@pytest.fixture
def data_args(tmp_path: Path) -> list[str]:
    data, groups = tmp_path / "prices.csv", tmp_path / "groups.csv"
    data.write_text(CSV, encoding="utf-8")
    groups.write_text(GROUPS, encoding="utf-8")
    return ["--data", str(data), "--groups", str(groups), "--cache-dir", str(tmp_path / "cache")]


def test_one_expression_writes_a_long_table(tmp_path, data_args):
    out = tmp_path / "values.parquet"
    assert main(["values", "close - open", "--out", str(out), *data_args]) == 0
    frame = pl.read_parquet(out)
    assert frame.columns == ["date", "symbol", "value"]
    assert frame["symbol"].to_list() == ["AAA", "BBB"] * 3
    assert [str(d) for d in frame["date"].to_list()] == ["2020-01-02"] * 2 + ["2020-01-03"] * 2 + ["2020-01-06"] * 2
    np.testing.assert_allclose(frame["value"].to_numpy(), [0, 0, 1, -1, 1, 2])


def test_a_file_gives_one_column_per_expression(tmp_path, data_args):
    exprs = tmp_path / "exprs.txt"
    exprs.write_text("# comment\n\nmove\tclose - open\nrank(close)\nneutral\tgroup_neutralize(close, sector)\n")
    out = tmp_path / "many.parquet"
    assert main(["values", "--file", str(exprs), "--out", str(out), *data_args]) == 0
    frame = pl.read_parquet(out)
    assert frame.columns == ["date", "symbol", "move", "rank(close)", "neutral"]
    np.testing.assert_allclose(frame["rank(close)"].to_numpy(), [0, 1, 0, 1, 0, 1])
    np.testing.assert_allclose(frame["neutral"].to_numpy(), np.zeros(6))  # each symbol alone in its sector


def test_qlib_dialect(tmp_path, data_args):
    out = tmp_path / "q.parquet"
    assert main(["values", "($close-$open)/$open", "--dialect", "qlib", "--out", str(out), *data_args]) == 0
    np.testing.assert_allclose(pl.read_parquet(out)["value"].to_numpy(), [0, 0, 0.1, -0.05, 1 / 11, 2 / 19])


def test_bad_expression_exits_2_with_a_caret(tmp_path, data_args):
    out = tmp_path / "bad.parquet"
    command = [sys.executable, "-m", "miner.cli", "values", "rank(clse) + 1", "--out", str(out), *data_args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines[-3] == "alphaminer: error: unknown field 'clse' (did you mean: close?) at position 6"
    assert lines[-2:] == ["rank(clse) + 1", "     ^"]
    assert "Traceback" not in done.stderr and not out.exists()


def test_bad_file_line_names_the_line(tmp_path, data_args, capsys):
    exprs = tmp_path / "exprs.txt"
    exprs.write_text("ok\tclose\nbad\tts_mean(close, 0)\n")
    assert main(["values", "--file", str(exprs), "--out", str(tmp_path / "x.parquet"), *data_args]) == 2
    err = capsys.readouterr().err
    assert f"{exprs}:2: bad window 0 for argument 2 of ts_mean" in err


def test_usage_errors(tmp_path, data_args, capsys):
    assert main(["values", "--out", str(tmp_path / "x.parquet"), *data_args]) == 2
    assert "give either EXPR or --file" in capsys.readouterr().err
    assert main(["values", "close", "--out", str(tmp_path / "x.csv"), *data_args]) == 2
    assert "--out must be a .parquet file" in capsys.readouterr().err


def test_operators_json_lists_every_operator(capsys):
    assert main(["operators", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [op["name"] for op in listed] == [spec.name for spec in operators()]
    rank = next(op for op in listed if op["name"] == "ts_rank")
    assert rank["args"] == ["series", "window"] and rank["returns"] == "series"
    assert {"name", "args", "doc", "aliases", "category", "returns"} <= set(rank)


def test_operators_table(capsys):
    assert main(["operators", "--category", "group"]) == 0
    out = capsys.readouterr().out
    assert "group_neutralize" in out and "indneutralize" in out and "ts_rank" not in out
