"""bench/recovery.py on the miner's small test market with a tiny budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.bench._run import run_bench

SMALL_MARKET = Path(__file__).resolve().parents[1] / "miner" / "data" / "small_market.toml"


@pytest.mark.slow
def test_recovery_reports_progress_and_finds_the_strong_reversal():
    report = run_bench("recovery.py", "--config", str(SMALL_MARKET), "--minutes", "0.3",
                       "--os-top", "2")
    assert report["planted"] == 2 and len(report["matches"]) == 2
    assert report["simulated"] > 0 and report["rows"]
    last = report["rows"][-1]
    assert last["simulated"] == report["simulated"] and last["seconds"] > 0
    assert [r["simulated"] for r in report["rows"]] == sorted(r["simulated"] for r in report["rows"])
    assert report["found"] == sum(m["found"] for m in report["matches"])
    for match in report["matches"]:
        assert -1.0 <= match["correlation"] <= 1.0
        assert match["found"] == (match["correlation"] >= report["found_at"])
    # -ts_sum(returns, 5) at IC 0.08 is found within seconds by every seed tried; the bar is a
    # correlation the GA's first generations reach, not luck
    reversal = next(m for m in report["matches"] if m["name"] == "reversal")
    assert reversal["correlation"] >= 0.5
    assert 1 <= len(report["best"]) <= 2
    for best in report["best"]:
        assert best["os_sharpe"] is None or abs(best["os_sharpe"]) < 50
        assert best["is_sharpe"] is not None


def test_recovery_names_a_missing_config(tmp_path):
    import subprocess
    import sys

    from tests.bench._run import BENCH

    done = subprocess.run([sys.executable, str(BENCH / "recovery.py"), "--config", str(tmp_path / "nope.toml")],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "nope.toml" in done.stderr and "Traceback" not in done.stderr
