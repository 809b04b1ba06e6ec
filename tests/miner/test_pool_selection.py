"""Greedy pool selection on a real SQLite store: by score, |PnL correlation| under the limit."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from miner.errors import UsageError
from miner.pool_selection import correlation, select_pool
from pipelines.settings import SimulationSettings
from state import Store
from tests.state.test_repo import item

CALENDAR = np.arange("2020-01-01", "2020-05-01", dtype="datetime64[D]")
SETTINGS = SimulationSettings().to_dict()


def _record(store: Store, rows: list[tuple[str, float, np.ndarray, dict]]) -> None:
    store.record_batch(None, [
        item(text, settings_key=f"s{i}", settings=SETTINGS, params=params, params_key=json.dumps(params), score=score, daily_pnl=pnl,
             pnl_start=dt.date(2020, 1, 1), metrics={"sharpe": score, "fitness": score})
        for i, (text, score, pnl, params) in enumerate(rows)
    ])


def test_greedy_by_score_skips_correlated_and_repeated_alphas(tmp_sqlite):
    rng = np.random.default_rng(0)
    base, other, third = (rng.normal(size=len(CALENDAR)) for _ in range(3))
    store = Store(tmp_sqlite)
    _record(store, [
        ("close", 3.0, base, {}),
        ("-close", 2.5, -base + 0.1 * rng.normal(size=len(CALENDAR)), {}),  # mirror image: |corr| ~ 1
        ("volume", 2.0, other, {"post.transform": "rank"}),
        ("open", 1.0, third, {}),
    ])
    pool = select_pool(store, CALENDAR, top=2, max_corr=0.7)
    assert [a.canonical for a in pool] == ["close", "volume"]
    assert pool[1].expression == "rank(volume)"  # params applied
    assert pool[0].name == f"alpha_{pool[0].simulation_id}"
    assert [a.canonical for a in select_pool(store, CALENDAR, top=5, max_corr=1.0)] == ["close", "-close", "volume",
                                                                                      "open"]


def test_correlation_lines_up_on_shared_days():
    a = np.array([np.nan] * 5 + list(range(30)), dtype=float)
    assert correlation(a, a * 2) == pytest.approx(1.0)
    assert correlation(a, np.full_like(a, np.nan)) == 0.0  # no overlap


def test_empty_store_and_bad_limits(tmp_sqlite):
    store = Store(tmp_sqlite)
    with pytest.raises(UsageError, match="the store has no simulated alphas yet"):
        select_pool(store, CALENDAR)
    with pytest.raises(UsageError, match="--max-corr must be in"):
        select_pool(store, CALENDAR, max_corr=0.0)
    with pytest.raises(UsageError, match="--top must be >= 1"):
        select_pool(store, CALENDAR, top=0)
