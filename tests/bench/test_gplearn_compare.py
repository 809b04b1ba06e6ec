"""bench/gplearn_compare.py on the S&P data with a tiny budget and population."""

from __future__ import annotations

import math

import pytest

from tests.bench._run import run_bench

pytest.importorskip("gplearn", reason="gplearn is in the bench and test extras")


@pytest.mark.slow
@pytest.mark.sp500
def test_both_sides_get_the_same_budget_and_are_judged_alike(sp500_paths):
    daily, sectors = sp500_paths
    report = run_bench("gplearn_compare.py", "--minutes", "0.2", "--population", "40", "--rows", "5000",
                       "--top", "3", "--data", str(daily), "--groups", str(sectors))
    ours, theirs = report["ours"], report["gplearn"]
    assert ours["simulated"] > 0 and 1 <= len(ours["alphas"]) <= 3
    assert theirs["generations"] >= 1 and theirs["rows"] == 5000 and len(theirs["components"]) == 3
    # gplearn grows until our mining time is spent (one generation may overrun it)
    assert theirs["seconds"] >= ours["mining_seconds"] * 0.99 or theirs["generations"] == 1
    assert report["is_days"] + report["os_days"] + 1 == 1259
    for row in ours["alphas"] + theirs["components"]:
        assert row["is_rank_ic"] >= 0 or math.isnan(row["is_rank_ic"])  # oriented by the IS sign
        assert math.isnan(row["os_rank_ic"]) or -0.5 < row["os_rank_ic"] < 0.5  # NaN: a constant program
    counted = [0.0 if math.isnan(r["os_rank_ic"]) else r["os_rank_ic"] for r in ours["alphas"]]  # constant: no skill
    assert ours["mean_os_rank_ic"] == pytest.approx(sum(counted) / len(counted))
