"""ok_simulation_figures: the rows field popularity is counted from."""

from __future__ import annotations

from state import Store
from state.repo_fields import ok_simulation_figures, ok_simulation_figures_after
from tests.state.test_repo import item


def test_rows_of_ok_simulations_only(store_url: str) -> None:
    with Store(store_url) as store:
        run = store.start_run("test")
        store.record_batch(run, [
            item("rank(close)", metrics={"sharpe": 2.0, "fitness": 1.5}, score=1.2),
            item("rank(close)", settings_key="s2", metrics={"sharpe": 0.5, "fitness": 0.2}, score=0.1),
            item("rank(eps)", status="error", error="boom", metrics={}, score=None),
            item("rank(volume)", metrics={}, score=None),
        ])
        rows = ok_simulation_figures(store)
        assert rows == [("rank(close)", 2.0, 1.5, 1.2), ("rank(close)", 0.5, 0.2, 0.1), ("rank(volume)", None, None, None)]
        assert ok_simulation_figures(store, min_sharpe=1.0) == [("rank(close)", 2.0, 1.5, 1.2)]


def test_empty_store(store_url: str) -> None:
    with Store(store_url) as store:
        assert ok_simulation_figures(store) == []


def test_rows_after_an_id_are_only_the_new_ones(store_url: str) -> None:
    with Store(store_url) as store:
        run = store.start_run("test")
        store.record_batch(run, [item("rank(close)", metrics={"sharpe": 2.0, "fitness": 1.5}, score=1.2)])
        rows, last = ok_simulation_figures_after(store, 0)
        assert rows == [("rank(close)", 2.0, 1.5, 1.2)] and last > 0
        assert ok_simulation_figures_after(store, last) == ([], last)
        store.record_batch(run, [
            item("rank(volume)", metrics={"sharpe": 1.8, "fitness": 1.1}, score=0.9),
            item("rank(open)", metrics={"sharpe": 0.2, "fitness": 0.1}, score=0.0),
        ])
        rows, newer = ok_simulation_figures_after(store, last, min_sharpe=1.0)
        assert rows == [("rank(volume)", 1.8, 1.1, 0.9)] and newer > last
