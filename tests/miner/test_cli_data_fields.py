"""``alphaminer data fields`` through miner.cli.main, on real files and a real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from miner.cli import main
from state import Store
from tests.state.test_repo import item

# 4 dates x 2 symbols. eps: A steps once (1,1,2,2), B never changes: 1 change in 6 pairs.
# sparse: one value per symbol, no consecutive pair.
CSV = """date,symbol,open,high,low,close,volume,eps,sparse
2020-01-02,A,10,11,9,10,100,1,1
2020-01-02,B,20,22,18,20,300,5,
2020-01-03,A,10,11,9,11,120,1,
2020-01-03,B,20,21,19,21,200,5,
2020-01-06,A,11,12,10,11,150,2,
2020-01-06,B,21,22,20,20,250,5,
2020-01-07,A,11,12,10,12,150,2,
2020-01-07,B,20,22,19,21,250,5,2
"""


@pytest.fixture
def setup(tmp_path: Path) -> list[str]:
    data = tmp_path / "prices.csv"
    data.write_text(CSV)
    described = tmp_path / "fields.csv"
    described.write_text("field,category,description\neps,Fundamental,Earnings per share\n")
    db = f"sqlite:///{tmp_path / 'store.db'}"
    with Store(db) as store:
        run = store.start_run("test")
        store.record_batch(run, [
            item("rank(eps)", metrics={"sharpe": 2.0, "fitness": 1.5}, score=0.9),
            item("rank(eps / close)", metrics={"sharpe": 1.5, "fitness": 1.2}, score=0.5),
            item("rank(sparse)", metrics={"sharpe": 0.3, "fitness": 0.1}, score=0.1),
        ])
    return ["--data", str(data), "--fields-file", str(described), "--db", db, "--universe", "ALL",
            "--cache-dir", str(tmp_path / "cache")]


def error_lines(err: str) -> list[str]:
    """The CLI's error lines (log events share stderr); no traceback anywhere."""
    assert "Traceback" not in err
    return [line for line in err.splitlines() if line.startswith("alphaminer: error")]


def fields_json(capsys, *args: str) -> list[dict]:
    assert main(["data", "fields", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_rows_match_the_hand_computed_case(capsys, setup) -> None:
    rows = {row["name"]: row for row in fields_json(capsys, *setup)}
    assert list(rows) == ["open", "high", "low", "close", "volume", "eps", "sparse", "returns", "vwap", "adv20"]
    eps = rows["eps"]
    assert (eps["category"], eps["description"], eps["coverage"], eps["frequency"]) == (
        "fundamental", "Earnings per share", 1.0, "weekly")
    assert eps["change_share"] == pytest.approx(1 / 6)
    assert (eps["passing"], eps["mean_score"]) == (2, pytest.approx((0.9 + 0.5) / 2))
    assert (rows["close"]["passing"], rows["close"]["mean_score"]) == (1, pytest.approx(0.5))
    sparse = rows["sparse"]
    assert (sparse["coverage"], sparse["frequency"], sparse["passing"], sparse["category"]) == (0.25, "unknown", 0, "other")
    assert rows["returns"]["coverage"] == pytest.approx(6 / 8)  # no return on the first day
    assert rows["open"]["category"] == "price" and rows["adv20"]["category"] == "volume"


def test_filters_and_sort(capsys, setup) -> None:
    names = [row["name"] for row in fields_json(capsys, *setup, "--min-coverage", "0.7", "--sort", "passing")]
    assert names[:2] == ["eps", "close"] and "sparse" not in names and "adv20" not in names
    assert [row["name"] for row in fields_json(capsys, *setup, "--category", "Fundamental")] == ["eps"]
    by_name = [row["name"] for row in fields_json(capsys, *setup, "--sort", "name")]
    assert by_name == sorted(by_name)


def test_table(capsys, setup, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")  # rich's width when not on a terminal
    assert main(["data", "fields", *setup]) == 0
    out = capsys.readouterr().out
    assert "data fields (coverage over ALL)" in out
    eps_line = next(line for line in out.splitlines() if "│ eps" in line)
    for text in ("fundamental", "100.0%", "weekly", "2", "0.70", "Earnings per share"):
        assert text in eps_line


def test_without_a_store_every_field_has_no_popularity(capsys, setup, tmp_path: Path) -> None:
    args = list(setup)
    args[args.index("--db") + 1] = f"sqlite:///{tmp_path / 'absent.db'}"
    assert all(row["passing"] == 0 for row in fields_json(capsys, *args))
    assert not (tmp_path / "absent.db").exists()


@pytest.mark.parametrize("extra, message", [
    (["--min-coverage", "1.5"], "--min-coverage must be a share between 0 and 1, not 1.5"),
    (["--category", "nope"], "--category 'nope': no such category; categories: derived, fundamental, other, price, volume"),
])
def test_bad_options_exit_2_with_one_line(capsys, setup, extra: list[str], message: str) -> None:
    assert main(["data", "fields", *setup, *extra]) == 2
    err = capsys.readouterr().err
    assert error_lines(err) == [f"alphaminer: error: {message}"]


def test_bad_fields_file_exits_2_naming_file_column_and_row(capsys, setup, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("field,category\neps,fundamental\n,other\n")
    args = list(setup)
    args[args.index("--fields-file") + 1] = str(bad)
    assert main(["data", "fields", *args]) == 2
    err = capsys.readouterr().err
    assert error_lines(err) == [f"alphaminer: error: {bad}: column 'field': empty field at line 3"]


def test_unknown_sort_column_is_a_usage_error(setup) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["data", "fields", *setup, "--sort", "colour"])
    assert caught.value.code == 2
