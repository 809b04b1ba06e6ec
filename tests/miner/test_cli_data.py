"""``alphaminer data info`` through miner.cli.main, on real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from miner.cli import main

# 3 dates x 2 symbols; BBB has no row on 2020-01-06 and AAA a null open that day.
CSV = """date,symbol,open,high,low,close,volume
2020-01-02,AAA,10,11,9,10.5,100
2020-01-02,BBB,20,22,18,21,300
2020-01-03,AAA,10.5,11.5,10,11,120
2020-01-03,BBB,20,21,19,20.5,200
2020-01-06,AAA,,12,10,11,150
"""
GROUPS = "symbol,sector\nAAA,Tech\nBBB,Tech\nCCC,Oil\n"


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, Path]:
    data, groups = tmp_path / "prices.csv", tmp_path / "groups.csv"
    data.write_text(CSV, encoding="utf-8")
    groups.write_text(GROUPS, encoding="utf-8")
    return data, groups, tmp_path / "cache"


def info_json(capsys, *args: str) -> dict:
    assert main(["data", "info", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_figures_match_the_hand_computed_case(capsys, files):
    data, groups, cache_dir = files
    info = info_json(capsys, "--data", str(data), "--groups", str(groups), "--cache-dir", str(cache_dir))
    assert (info["symbols"], info["dates"], info["rows"]) == (2, 3, 5)
    assert (info["start"], info["end"]) == ("2020-01-02", "2020-01-06")
    assert info["fields"] == ["open", "high", "low", "close", "volume", "returns", "vwap", "adv20"]
    share = info["nan_share"]
    assert share["close"] == pytest.approx(1 / 6) and share["open"] == pytest.approx(2 / 6)
    assert share["returns"] == pytest.approx(3 / 6)  # first day + BBB's missing day
    assert share["adv20"] == 1.0  # fewer than 20 days
    # sector labels: Oil, Tech (CCC is in the groups file only); both symbols are Tech
    assert info["groups"] == {"sector": {"labels": 2, "unassigned": 0}, "market": {"labels": 1, "unassigned": 0}}
    assert Path(info["cache"]).parent == cache_dir / "panels"
    again = info_json(capsys, "--data", str(data), "--groups", str(groups), "--cache-dir", str(cache_dir))
    assert again == info  # the cached panel reports the same figures


def test_tables_show_the_figures(capsys, files):
    data, groups, cache_dir = files
    assert main(["data", "info", "--data", str(data), "--groups", str(groups), "--cache-dir", str(cache_dir)]) == 0
    out = capsys.readouterr().out
    for text in ("symbols", "2020-01-02 .. 2020-01-06", "16.67%", "33.33%", "100.00%", "sector", "panels"):
        assert text in out, text


@pytest.mark.parametrize(
    "content, expected",
    [
        ("date,symbol,open,high,low,close\n2020-01-02,A,1,1,1,1\n", "missing required column 'volume'"),
        (
            "date,symbol,open,high,low,close,volume\n2020-01-02,A,1,1,1,x,1\n",
            "column 'close': non-numeric value 'x' at line 2",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_traceback(capsys, tmp_path, content, expected):
    bad = tmp_path / "bad.csv"
    bad.write_text(content, encoding="utf-8")
    assert main(["data", "info", "--data", str(bad), "--cache-dir", str(tmp_path / "c")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = [line for line in captured.err.splitlines() if line.startswith("alphaminer: error:")]
    assert len(lines) == 1 and expected in lines[0] and str(bad) in lines[0]
    assert "Traceback" not in captured.err


def test_missing_file_and_missing_action_exit_2(capsys, tmp_path):
    assert main(["data", "info", "--data", str(tmp_path / "none.parquet")]) == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["data"])
    assert exited.value.code == 2 and "ACTION" in capsys.readouterr().err


@pytest.mark.sp500
def test_real_sp500_json(capsys, sp500_paths, tmp_path):
    daily, sectors = sp500_paths
    info = info_json(capsys, "--data", str(daily), "--groups", str(sectors), "--cache-dir", str(tmp_path))
    assert (info["symbols"], info["dates"], info["rows"]) == (505, 1259, 619_040)
    assert info["nan_share"]["close"] == pytest.approx(1 - 619_040 / (505 * 1259))
    assert info["groups"]["sector"] == {"labels": 11, "unassigned": 0}
    assert info["groups"]["subindustry"]["labels"] == 127
