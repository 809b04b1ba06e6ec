"""once / status / submit through the CLI entry point, on the small synthetic market."""

from __future__ import annotations

import json
import pytest

from miner.cli import main

def run_json(capsys, *argv: str) -> tuple[int, object]:
    code = main(list(argv))
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_once_then_status_then_submit(config_file, capsys):
    code, summary = run_json(capsys, "once", "--config", str(config_file), "--json")
    assert code == 0
    assert summary["generations"] == 2 and summary["evaluated"] > 0
    assert summary["best"][0]["sharpe"] > 0
    assert {row["arm"] for row in summary["bandit"]} == {"neutralization=MARKET", "neutralization=SECTOR"}

    code, status = run_json(capsys, "status", "--config", str(config_file), "--json")
    assert code == 0
    for key in ("daemon", "alphas_tested", "simulations", "errors", "best", "bandit", "generation", "llm", "submitted"):
        assert key in status
    assert status["daemon"]["alive"] is False
    assert status["generation"] == 2 and status["simulations"] >= summary["evaluated"]
    assert {"id", "expression", "settings", "sharpe", "fitness", "turnover"} <= set(status["best"][0])
    assert sum(arm["pulls"] for arm in status["bandit"]) > 0

    best_id = status["best"][0]["id"]
    main(["submit", "--config", str(config_file), "--alpha", str(best_id), "--dry-run", "--json"])
    (verdict,) = json.loads(capsys.readouterr().out)
    names = [c["name"] for c in verdict["checks"]]
    assert names[:5] == ["LOW_SHARPE", "LOW_FITNESS", "LOW_TURNOVER", "HIGH_TURNOVER", "CONCENTRATED_WEIGHT"]
    assert "OUT_OF_SAMPLE" in names and "DEFLATED_SHARPE" in names and "SELF_CORRELATION" in names
    assert verdict["os"] is not None and verdict["is"]["sharpe"] == pytest.approx(status["best"][0]["sharpe"], rel=1e-6)

    code, after = run_json(capsys, "status", "--config", str(config_file), "--json")
    assert after["submitted"] == 0  # a dry run records nothing


def test_submit_records_passing_alphas_and_exports_them(config_file, capsys, tmp_path):
    assert main(["once", "--config", str(config_file), "--json"]) == 0
    capsys.readouterr()
    out = tmp_path / "submitted.json"
    code = main(["submit", "--config", str(config_file), "--top", "5", "--out", str(out)])
    captured = capsys.readouterr()
    if code == 0:
        exported = json.loads(out.read_text())
        assert exported and all(item["passed"] for item in exported)
        assert {"expression", "settings", "params", "is", "os", "checks"} <= set(exported[0])
        _, status = run_json(capsys, "status", "--config", str(config_file), "--json")
        assert status["submitted"] == len(exported)
    else:
        assert code == 1 and "nothing passed the checks" in captured.err


def test_submit_without_a_store_or_alphas_is_a_usage_error(config_file, capsys, tmp_path):
    assert main(["submit", "--config", str(config_file), "--best"]) == 2
    assert "no store at" in capsys.readouterr().err
    from state import Store

    Store(f"sqlite:///{tmp_path / 'store.db'}")  # an empty store
    assert main(["submit", "--config", str(config_file), "--best"]) == 2
    assert "no simulated alphas yet" in capsys.readouterr().err


def test_unknown_config_key_is_exit_2_without_traceback(tmp_path, capsys):
    bad = tmp_path / "alphaminer.toml"
    bad.write_text("[evolution]\npopulaton = 3\n")
    assert main(["once", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "unknown key 'evolution.populaton'" in err and "Traceback" not in err
