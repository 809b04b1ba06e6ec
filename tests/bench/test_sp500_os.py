"""bench/sp500_os.py on the S&P data with a tiny budget (the pooled model is left to issue #6's tests)."""

from __future__ import annotations

import pytest

from tests.bench._run import run_bench


@pytest.mark.slow
@pytest.mark.sp500
def test_sp500_os_judges_mined_alphas_out_of_sample(sp500_paths):
    daily, sectors = sp500_paths
    report = run_bench("sp500_os.py", "--minutes", "0.2", "--candidates", "8", "--data", str(daily),
                       "--groups", str(sectors), "--no-pool")
    assert report["simulated"] > 0
    assert 1 <= report["judged"] <= 8
    assert 0 <= report["passed"] <= report["passed_is"] <= report["judged"]
    rows = report["rows"]
    assert rows and len(rows) <= report["passed_is"] + 20
    assert all(r["os_sharpe"] is not None and abs(r["os_sharpe"]) < 20 for r in rows)
    assert all(-1 <= r["os_rank_ic"] <= 1 for r in rows)
    summary = report["all_rows"]
    assert summary["count"] == len(rows)
    positive = sum(r["os_sharpe"] > 0 for r in rows) / len(rows)
    assert summary["share_os_sharpe_positive"] == pytest.approx(positive)
    assert summary["mean_os_sharpe"] == pytest.approx(sum(r["os_sharpe"] for r in rows) / len(rows))
    assert report["pool"] == {"error": "pool: not run (--no-pool)"}
