"""Metrics: every figure against a hand-computed case."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipelines.metrics import (
    DailyFigures,
    compute_metrics,
    max_drawdown,
    period_metrics,
    sharpe_ratio,
    yearly_metrics,
)


def figures(pnl, traded, dates=None, cost_bps=0.0):
    n = len(pnl)
    if dates is None:
        dates = np.arange(np.datetime64("2021-01-04"), np.datetime64("2021-01-04") + n)
    traded = np.asarray(traded, dtype=float)
    return DailyFigures(
        dates=np.asarray(dates, dtype="datetime64[D]"),
        pnl=np.asarray(pnl, dtype=float),
        traded=traded,
        cost=traded * cost_bps / 1e4,
        long_count=np.array([2.0, 3.0, 1.0, 2.0][:n]),
        short_count=np.array([1.0, 1.0, 0.0, 2.0][:n]),
        ic=np.array([0.1, np.nan, 0.3, 0.2][:n]),
        rank_ic=np.array([np.nan, np.nan, np.nan, np.nan][:n]),
    )


def test_hand_computed_figures():
    # book 1000 -> half book 500. pnl 100, -50, 150, 0; traded 1000, 500, 500, 0 dollars.
    m = compute_metrics(figures([100, -50, 150, 0], [1000, 500, 500, 0]), book=1000)
    std = math.sqrt((50**2 + 100**2 + 100**2 + 50**2) / 3)  # mean 50, ddof=1
    assert m.sharpe == pytest.approx(math.sqrt(252) * 50 / std)
    assert m.returns == pytest.approx(252 * 50 / 500)
    assert m.turnover == pytest.approx(0.5)  # mean traded 500 / book 1000
    assert m.fitness == pytest.approx(m.sharpe * math.sqrt(25.2 / 0.5))
    assert m.margin == pytest.approx(200 / 2000 * 1e4)  # 1000 bps
    assert m.drawdown == pytest.approx(50 / 500)  # cum 100, 50, 200, 200: fell 50 from 100
    assert m.ic == pytest.approx(0.2)  # NaN day skipped
    assert math.isnan(m.rank_ic) and m.to_dict()["rank_ic"] is None
    assert (m.long_count, m.short_count, m.days, m.pnl) == (2.0, 1.0, 4, 200.0)
    assert m.net_sharpe == m.sharpe  # no costs


def test_costs_give_net_figures():
    # 10 bps of 1000, 500, 500, 0 traded -> costs 1, 0.5, 0.5, 0
    m = compute_metrics(figures([100, -50, 150, 0], [1000, 500, 500, 0], cost_bps=10), book=1000)
    assert m.net_pnl == pytest.approx(198.0)
    assert m.net_returns == pytest.approx(252 * 49.5 / 500)
    assert m.net_margin == pytest.approx(198 / 2000 * 1e4)
    assert m.net_drawdown == pytest.approx(50.5 / 500)
    assert m.pnl == 200.0


def test_fitness_floors_turnover_at_one_eighth():
    m = compute_metrics(figures([10, 20, 5], [10, 10, 10]), book=1000)  # turnover 1%
    assert m.fitness == pytest.approx(m.sharpe * math.sqrt(abs(m.returns) / 0.125))


def test_degenerate_cases():
    assert sharpe_ratio(np.array([5.0])) == 0.0
    assert sharpe_ratio(np.array([5.0, 5.0])) == 0.0
    assert max_drawdown(np.array([-3.0, 1.0])) == 3.0  # the peak starts at 0
    empty = compute_metrics(figures([], []), book=1000)
    assert empty.days == 0 and empty.sharpe == 0.0 and empty.turnover == 0.0


def test_yearly_rows_split_by_calendar_year():
    dates = np.array(["2020-12-30", "2020-12-31", "2021-01-04", "2021-01-05"], dtype="datetime64[D]")
    rows = yearly_metrics(figures([1, 3, -2, 2], [1, 1, 1, 1], dates=dates), book=10)
    assert [(r.start, r.end, r.days, r.pnl) for r in rows] == [
        ("2020-12-30", "2020-12-31", 2, 4.0),
        ("2021-01-04", "2021-01-05", 2, 0.0),
    ]
    assert rows[0].sharpe == pytest.approx(math.sqrt(252) * 2 / math.sqrt(2))


def reference_metrics(days, book):
    """Slow twin: each figure straight from its definition with numpy."""
    n, half = len(days), book / 2
    out = {"days": n, "turnover": float(np.mean(days.traded)) / book if n else 0.0}
    for prefix, pnl in (("", days.pnl), ("net_", days.pnl - days.cost)):
        std = float(np.std(pnl, ddof=1)) if n > 1 else 0.0
        sharpe = math.sqrt(252) * float(np.mean(pnl)) / std if std > 0 else 0.0
        returns = 252 * float(np.mean(pnl)) / half if n else 0.0
        cumulative = np.concatenate(([0.0], np.cumsum(pnl)))
        traded = float(np.sum(days.traded))
        out |= {
            f"{prefix}sharpe": sharpe,
            f"{prefix}returns": returns,
            f"{prefix}fitness": sharpe * math.sqrt(abs(returns) / max(out["turnover"], 0.125)),
            f"{prefix}margin": float(np.sum(pnl)) / traded * 1e4 if traded > 0 else 0.0,
            f"{prefix}drawdown": float(np.max(np.maximum.accumulate(cumulative) - cumulative)) / half,
            f"{prefix}pnl": float(np.sum(pnl)),
        }
    for name in ("ic", "rank_ic"):
        values = getattr(days, name)
        out[name] = float(np.nanmean(values)) if np.any(~np.isnan(values)) else math.nan
    out["long_count"] = float(np.mean(days.long_count)) if n else 0.0
    out["short_count"] = float(np.mean(days.short_count)) if n else 0.0
    return out


@pytest.mark.parametrize("seed", range(6))
def test_periods_match_the_slow_twin_at_random(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 40))
    ic = rng.normal(size=n)
    ic[rng.random(n) < 0.3] = np.nan
    traded = np.where(rng.random(n) < 0.2, 0.0, rng.random(n) * 1e6)
    days = DailyFigures(
        dates=np.datetime64("2020-12-20") + np.arange(n),
        pnl=np.round(rng.normal(0, 1e4, n), int(rng.integers(-3, 3))),  # ties, sometimes constant
        traded=traded, cost=traded * 5e-4,
        long_count=rng.integers(0, 9, n).astype(float), short_count=rng.integers(0, 9, n).astype(float),
        ic=ic, rank_ic=np.where(rng.random(n) < 0.5, np.nan, ic),
    )
    bounds = [(0, n), *(sorted(rng.integers(0, n + 1, 2).tolist()) for _ in range(4))]
    for (a, b), got in zip(bounds, period_metrics(days, bounds, 2e7)):
        expected = reference_metrics(days.select(slice(a, b)), 2e7)
        for name, value in expected.items():
            assert getattr(got, name) == pytest.approx(value, rel=1e-9, abs=1e-12, nan_ok=True), (name, a, b)
