"""The Store's API on a real SQLite file: batches, lookups, top-k, PnL, bookkeeping, reset."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import date

import numpy as np
import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from state import Store, StoreError
from state.db import write_transaction
from state.models import Alpha
from state.repo_batch import write_batch_returning
from state.repo_rows import hash_key


def item(canonical: str, *, settings_key: str = "s1", params_key: str = "p0", **overrides: object) -> dict:
    base = {
        "canonical": canonical,
        "hash": hashlib.sha1(canonical.encode()).hexdigest(),
        "origin": "ga",
        "parents": [],
        "generation": 3,
        "settings_key": settings_key,
        "settings": {"key": settings_key},
        "params_key": params_key,
        "params": {"key": params_key},
        "status": "ok",
        "error": None,
        "metrics": {"sharpe": 1.0, "fitness": 0.5},
        "daily_pnl": None,
        "pnl_start": None,
        "duration": 0.25,
        "score": 0.5,
    }
    base.update(overrides)
    return base


def sha(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


@pytest.fixture(params=["default", "returning"])
def store(store_url: str, request: pytest.FixtureRequest) -> Store:
    """A store on each backend, writing batches by its own path and by the generic one."""
    if request.param == "returning" and not store_url.startswith("sqlite"):
        pytest.skip("the generic path is already the default on this backend")
    with Store(store_url) as opened:
        if request.param == "returning":
            opened._write_batch = write_batch_returning
        yield opened


def test_record_batch_returns_one_id_per_item_and_is_idempotent(store: Store) -> None:
    run = store.start_run("once")
    batch = [item("a"), item("b"), item("a", settings_key="s2"), item("a")]
    ids = store.record_batch(run, batch)
    assert ids[0] == ids[3] and len(set(ids)) == 3
    assert store.record_batch(run, batch) == ids
    counts = store.counts()
    assert (counts["alphas"], counts["simulations"]) == (2, 3)


def test_a_batch_mixing_stored_and_new_alphas_links_each_simulation_to_its_alpha(store: Store) -> None:
    """New alphas are inserted around a stored one (whose row is skipped, not duplicated)."""
    [first] = store.record_batch(None, [item("a")])
    ids = store.record_batch(None, [item("b"), item("a"), item("a", settings_key="s2"), item("c")])
    assert ids[1] == first and len(set(ids)) == 4
    simulations = [store.get_simulation(sim_id) for sim_id in ids]
    assert [(sim["canonical"], sim["settings_key"]) for sim in simulations] == [("b", "s1"), ("a", "s1"), ("a", "s2"), ("c", "s1")]
    assert simulations[2]["alpha_id"] == simulations[1]["alpha_id"]
    assert store.counts()["alphas"] == 3


def test_batches_written_without_sqlite_foreign_key_checks_leave_no_dangling_reference(tmp_sqlite: str) -> None:
    with Store(tmp_sqlite) as store:
        run = store.start_run("once")
        store.record_batch(run, [item("a"), item("b")])
        store.record_batch(run, [item("a", settings_key="s2"), item("c"), item("b"), item("d", params_key="p1")])
        with pytest.raises(StoreError, match="no run with id 99"):
            store.record_batch(99, [item("e")])
        assert store.counts()["simulations"] == 5
    with sqlite3.connect(store.path) as connection:
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        assert connection.execute("SELECT count(*) FROM simulations WHERE run_id = ?", (run,)).fetchone() == (5,)


def test_a_hash_whose_key_another_hash_holds_is_refused_not_confused(store: Store) -> None:
    """A 64-bit hash_key shared by two hashes (forged here) never answers for the other hash."""
    with write_transaction(store.engine) as connection:
        connection.execute(insert(Alpha).values(canonical="x", hash="forged", hash_key=hash_key(sha("a")), origin="ga"))
    assert not store.is_simulated(sha("a"), "s1", "p0") and store.get_alpha(sha("a")) is None
    with pytest.raises(StoreError, match=f"alpha hash {sha('a')} not stored: a stored row holds its key"):
        store.record_batch(None, [item("b"), item("a")])
    assert store.counts()["alphas"] == 1


def test_metrics_round_trip_with_extras_and_nan(store: Store) -> None:
    metrics = {"sharpe": 2.5, "returns": float("nan"), "days": 250.0, "net_sharpe": 2.1}
    [sim_id] = store.record_batch(None, [item("x", metrics=metrics, score=-1.5, origin="llm", parents=["p1"])])
    found = store.get_simulation(sim_id)
    assert found["metrics"] == {"sharpe": 2.5, "days": 250, "score": -1.5, "net_sharpe": 2.1}
    assert (found["canonical"], found["origin"], found["parents"], found["score"]) == ("x", "llm", ["p1"], -1.5)
    assert found["settings"] == {"key": "s1"} and found["duration"] == 0.25
    assert store.get_simulation(sim_id + 99) is None


def test_alpha_keeps_its_first_origin(store: Store) -> None:
    store.record_batch(None, [item("x", origin="seed")])
    store.record_batch(None, [item("x", origin="lateral", settings_key="s2")])
    alpha = store.get_alpha(sha("x"))
    assert (alpha["origin"], alpha["simulations"]) == ("seed", 2)
    assert store.get_alpha(alpha["id"])["canonical"] == "x"
    assert store.get_alpha("nope") is None


def test_a_bad_item_stores_nothing_of_its_batch(store: Store) -> None:
    with pytest.raises(StoreError, match="batch item 1: pnl_start 'soon' is not a date"):
        store.record_batch(None, [item("a"), item("b", pnl_start="soon")])
    with pytest.raises(StoreError, match="batch item 0: origin 'gp' is not one of"):
        store.record_batch(None, [item("a", origin="gp")])
    with pytest.raises(StoreError, match="batch item 0: missing hash, status"):
        store.record_batch(None, [{k: v for k, v in item("a").items() if k not in ("hash", "status")}])
    assert store.counts()["alphas"] == 0
    with pytest.raises(StoreError, match="no run with id 404"):
        store.record_batch(404, [item("d")])


def test_an_alpha_is_its_hash_not_its_text(store: Store) -> None:
    """Two texts of one canonical form share a hash: one alpha, the first text kept. The same text
    under another hash (not something expr_hash produces) is another alpha: text is not unique."""
    first, second, other = store.record_batch(
        None, [item("a+b", hash=sha("canon")), item("a + b", hash=sha("canon"), settings_key="s2"), item("a+b")]
    )
    assert store.get_simulation(first)["alpha_id"] == store.get_simulation(second)["alpha_id"]
    assert store.get_alpha(sha("canon"))["canonical"] == "a+b"
    assert store.get_simulation(other)["alpha_id"] != store.get_simulation(first)["alpha_id"]
    assert store.counts()["alphas"] == 2


def test_lookup_simulations_returns_stored_results_by_triple(store: Store) -> None:
    ids = store.record_batch(None, [item("a", score=1.5), item("b", status="error", error="boom", metrics={})])
    found = store.lookup_simulations([(sha("a"), "s1", "p0"), (sha("b"), "s1", "p0"), (sha("a"), "s2", "p0")])
    assert sorted(found) == sorted([(sha("a"), "s1", "p0"), (sha("b"), "s1", "p0")])
    assert found[(sha("a"), "s1", "p0")]["id"] == ids[0] and found[(sha("a"), "s1", "p0")]["score"] == 1.5
    assert found[(sha("b"), "s1", "p0")]["error"] == "boom"


def test_settings_params_and_parents_round_trip_per_row(store: Store) -> None:
    """Rows sharing a settings/params key share its JSON; rows with other keys keep their own."""
    batch = [
        item("a", settings_key="s1", params_key="p0", parents=["x"]),
        item("b", settings_key="s2", params_key="p0", settings={"decay": 4, "nested": [1, None]}),
        item("c", settings_key="s1", params_key="p1", params={}),
        item("d", settings_key="s2", params_key="p1", settings={"decay": 4, "nested": [1, None]}, params={}),
    ]
    store.record_batch(None, batch)
    found = store.lookup_simulations([(sha(row["canonical"]), row["settings_key"], row["params_key"]) for row in batch])
    stored = {key[0]: (row["settings"], row["params"], row["parents"]) for key, row in found.items()}
    assert stored == {
        sha("a"): ({"key": "s1"}, {"key": "p0"}, ["x"]),
        sha("b"): ({"decay": 4, "nested": [1, None]}, {"key": "p0"}, []),
        sha("c"): ({"key": "s1"}, {}, []),
        sha("d"): ({"decay": 4, "nested": [1, None]}, {}, []),
    }


def test_pnl_series_round_trip(store: Store) -> None:
    pnl = np.array([1.0, np.nan, -2.5, 3.25])
    ids = store.record_batch(
        None,
        [
            item("a", daily_pnl=pnl, pnl_start=date(2020, 1, 2), pnl_dtype="float64"),
            item("b", daily_pnl=pnl, pnl_start=np.datetime64("2021-03-04")),
            item("c"),
        ],
    )
    series = store.pnl_series(ids + [999])
    assert sorted(series) == ids[:2]
    start, values = series[ids[0]]
    assert start == date(2020, 1, 2)
    np.testing.assert_array_equal(values, pnl)
    assert series[ids[1]][0] == date(2021, 3, 4)


def test_simulated_lookups(store: Store) -> None:
    store.record_batch(None, [item("a"), item("b", status="error", error="boom", metrics={})])
    keys = [sha("a"), sha("b"), sha("c"), (sha("a"), "s1", "p0"), (sha("a"), "s2", "p0"), (sha("b"), "s1", "p0")]
    assert store.simulated_keys(keys) == {sha("a"), sha("b"), (sha("a"), "s1", "p0"), (sha("b"), "s1", "p0")}
    assert store.is_simulated(sha("a"), "s1", "p0")
    assert not store.is_simulated(sha("a"), "s1", "p1")
    assert store.simulated_keys([]) == set()


def test_top_simulations_ranks_and_filters(store: Store) -> None:
    store.record_batch(
        None,
        [
            item("a", score=3.0, metrics={"sharpe": 0.5, "fitness": 2.0}),
            item("b", score=2.0, metrics={"sharpe": 2.0, "fitness": 0.1}, origin="llm"),
            item("c", score=1.0, metrics={"sharpe": 1.5, "fitness": 1.0}, settings_key="s9"),
            item("d", score=None, metrics={"sharpe": 9.0}),
            item("e", score=9.0, status="error", error="x"),
            item("f", score=-4.0, metrics={"sharpe": -2.0}),
        ],
    )
    canon = lambda found: [row["canonical"] for row in found]  # noqa: E731
    assert canon(store.top_simulations(3)) == ["a", "b", "c"]
    assert canon(store.top_simulations(10, min_sharpe=1.0)) == ["b", "c"]
    assert canon(store.top_simulations(10, min_fitness=1.0)) == ["a", "c"]
    assert canon(store.top_simulations(10, origin="llm")) == ["b"]
    assert canon(store.top_simulations(10, settings_key="s9")) == ["c"]
    assert canon(store.top_simulations(1, metric="sharpe")) == ["d"]
    assert canon(store.top_simulations(1, ascending=True)) == ["f"]
    assert canon(store.top_simulations(1, status=None)) == ["e"]
    with pytest.raises(StoreError, match="unknown metric 'sharp' to rank by"):
        store.top_simulations(metric="sharp")


def test_top_simulations_by_score_match_a_plain_sort_across_bands(store: Store) -> None:
    """The index orders by score band; many scores per band, ties, every scale and sign, NULLs."""
    rng = np.random.default_rng(3)
    scores = [*rng.normal(0, 2, 150), *(10.0 ** rng.uniform(-12, 12, 60)), *(-(10.0 ** rng.uniform(-12, 12, 40)))]
    scores += [1.0, 1.0, 1.1, 0.0, 0.0, -0.0, None, None, float("inf"), float("-inf")]
    ids = store.record_batch(None, [item(f"r{n}", score=None if s is None else float(s)) for n, s in enumerate(scores)])
    ranked = sorted((-s, id_) for id_, s in zip(ids, scores) if s is not None)
    assert [row["id"] for row in store.top_simulations(60)] == [id_ for _, id_ in ranked[:60]]
    assert [row["id"] for row in store.top_simulations(300)] == [id_ for _, id_ in ranked]
    rising = sorted((s, id_) for id_, s in zip(ids, scores) if s is not None)
    assert [row["id"] for row in store.top_simulations(25, ascending=True)] == [id_ for _, id_ in rising[:25]]


def test_checkpoints_latest_per_run_and_pruned(store: Store) -> None:
    first, second = store.start_run("run"), store.start_run("run")
    assert store.load_checkpoint() is None
    for generation in range(7):
        store.save_checkpoint(first, generation, [f"g{generation}"], ["h"], {"state": [1, 2]}, keep=3)
    store.save_checkpoint(second, 0, ["other"], [], {})
    assert store.load_checkpoint()["population"] == ["other"]
    latest = store.load_checkpoint(first)
    assert (latest["generation"], latest["population"], latest["rng_state"]) == (6, ["g6"], {"state": [1, 2]})
    assert store.counts()["checkpoints"] == 4


def test_bandit_and_key_values_replace(store: Store) -> None:
    assert store.load_bandit("settings") is None and store.load_value("fleet", "none") == "none"
    store.save_bandit("settings", {"counts": [1, 2]})
    store.save_bandit("settings", {"counts": [3, 4]})
    store.save_value("fleet", {"model": "qwen", "down": 1})
    store.save_value("fleet", [1, 2])
    assert store.load_bandit("settings") == {"counts": [3, 4]}
    assert store.load_value("fleet") == [1, 2]


def test_submissions_and_os_metrics(store: Store) -> None:
    [sim_id] = store.record_batch(None, [item("a", metrics={"sharpe": 1.8, "fitness": 1.1})])
    checks = [{"name": "LOW_SHARPE", "result": "PASS", "limit": 1.25, "value": 1.8}]
    store.record_submission(sim_id, checks, destination="file:out.json", os_metrics={"sharpe": 0.9})
    [found] = store.submissions()
    assert (found["canonical"], found["checks"], found["sharpe"], found["os_metrics"]) == (
        "a",
        checks,
        1.8,
        {"sharpe": 0.9},
    )
    assert found["destination"] == "file:out.json" and found["submitted"] is not None
    with pytest.raises(StoreError, match="no simulation with id 77 to submit"):
        store.record_submission(77, [])


def test_llm_stats_hand_computed(store: Store) -> None:
    store.record_llm_call("small", 1.0, True, n_valid=3, n_invalid=1, n_duplicate=1, prompt_id="p")
    store.record_llm_call("small", 2.0, True, n_valid=2)
    store.record_llm_call("small", 6.0, False, error="timeout")
    store.record_llm_call("big", 0.5, False, error="out of memory")
    assert store.llm_stats() == [
        {"model": "big", "calls": 1, "ok": 0, "failed": 1, "mean_latency": 0.5, "valid": 0, "invalid": 0, "duplicate": 0},
        {"model": "small", "calls": 3, "ok": 2, "failed": 1, "mean_latency": 3.0, "valid": 5, "invalid": 1, "duplicate": 1},
    ]


def test_counts_hand_computed_and_reset(store: Store) -> None:
    run = store.start_run("run")
    store.record_batch(run, [item("a"), item("b", origin="llm"), item("b", settings_key="s2", status="error")])
    store.save_checkpoint(run, 4, [], [], {})
    store.save_bandit("b", {})
    counts = store.counts()
    assert counts["alphas"] == 2 and counts["simulations"] == 3 and counts["errors"] == 1 and counts["ok"] == 2
    assert counts["by_origin"] == {"ga": 1, "llm": 1} and counts["latest_generation"] == 4 and counts["runs"] == 1
    removed = store.reset()
    assert removed["alphas"] == 2 and removed["simulations"] == 3 and removed["bandit_state"] == 1
    assert store.counts()["simulations"] == 0 and store.load_bandit("b") is None
    store.record_batch(None, [item("a")])
    assert store.counts()["alphas"] == 1


def test_runs_heartbeat_with_an_injected_clock(tmp_sqlite: str) -> None:
    now = [1_000_000.0]
    store = Store(tmp_sqlite, clock=lambda: now[0])
    run = store.start_run("run", pid=123, host="box")
    now[0] += 42.0
    assert store.get_run(run)["heartbeat_age_s"] == pytest.approx(42.0)
    store.heartbeat(run)
    assert store.get_run(run)["heartbeat_age_s"] == pytest.approx(0.0)
    store.end_run(run, "stopped")
    found = store.runs()[0]
    assert (found["status"], found["pid"], found["host"], found["ended"] is not None) == ("stopped", 123, "box", True)
    with pytest.raises(StoreError, match="no run with id 9"):
        store.heartbeat(9)


def test_opening_errors_name_the_problem(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(StoreError, match=r"no store at .*absent.db \(check --db\)"):
        Store(f"sqlite:///{tmp_path / 'absent.db'}", create=False)
    with pytest.raises(StoreError, match="folder .*missing does not exist"):
        Store(f"sqlite:///{tmp_path / 'missing' / 'x.db'}")
    with pytest.raises(StoreError, match="bad database URL 'not a url'"):
        Store("not a url")
    with pytest.raises(StoreError, match="no database driver"):
        Store("nosuchdb://localhost/x")
    assert not (tmp_path / "absent.db").exists()


def test_a_batch_refused_half_way_stores_nothing(tmp_sqlite: str) -> None:
    """The second table's INSERT fails after the alphas went in: the whole batch rolls back and
    the error is SQLAlchemy's, as from every other query."""
    with Store(tmp_sqlite) as store, store.engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON simulations WHEN NEW.settings_key = 'bad'"
            " BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    with Store(tmp_sqlite) as store:
        with pytest.raises(IntegrityError, match="refused"):
            store.record_batch(None, [item("a"), item("b", settings_key="bad")])
        assert (store.counts()["alphas"], store.counts()["simulations"]) == (0, 0)
        assert store.record_batch(None, [item("a")]) == [1]
