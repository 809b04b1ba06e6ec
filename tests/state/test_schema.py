"""Schema versions: a fresh store, a hand-made v1 store migrated, newer and foreign databases refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.exc import IntegrityError

from state import SCHEMA_VERSION, SchemaVersionError, Store
from state.db import write_transaction
from state.repo_rows import score_band

# The v1 tables as alphaminer 0.0 wrote them (frozen here on purpose: the migration must keep
# working on real old files even when the models change).
V1_SCHEMA = """
CREATE TABLE schema_version (id INTEGER PRIMARY KEY, version INTEGER NOT NULL);
INSERT INTO schema_version VALUES (1, 1);
CREATE TABLE runs (id INTEGER PRIMARY KEY, mode VARCHAR(32) NOT NULL, pid INTEGER NOT NULL,
  host VARCHAR(255) NOT NULL, started DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
  heartbeat DATETIME, ended DATETIME, status VARCHAR(32) NOT NULL);
CREATE TABLE daemon_lock (id INTEGER PRIMARY KEY, run_id INTEGER REFERENCES runs (id) ON DELETE SET NULL,
  acquired DATETIME);
INSERT INTO daemon_lock VALUES (1, NULL, NULL);
CREATE TABLE alphas (id INTEGER PRIMARY KEY, canonical TEXT NOT NULL UNIQUE, hash VARCHAR(64) NOT NULL UNIQUE,
  origin VARCHAR(16) NOT NULL, parents JSON NOT NULL, generation INTEGER,
  created DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL);
CREATE TABLE simulations (id INTEGER PRIMARY KEY, alpha_id INTEGER NOT NULL REFERENCES alphas (id),
  run_id INTEGER REFERENCES runs (id) ON DELETE SET NULL, settings_key TEXT NOT NULL, settings JSON NOT NULL,
  params_key TEXT NOT NULL, params JSON NOT NULL, status VARCHAR(8) NOT NULL, error TEXT,
  sharpe FLOAT, returns FLOAT, turnover FLOAT, fitness FLOAT, margin FLOAT, drawdown FLOAT, ic FLOAT,
  rank_ic FLOAT, long_count FLOAT, short_count FLOAT, days INTEGER, score FLOAT, extra_metrics JSON,
  daily_pnl BLOB, pnl_start DATE, duration FLOAT, created DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL,
  CONSTRAINT uq_simulation_triple UNIQUE (alpha_id, settings_key, params_key));
INSERT INTO alphas (id, canonical, hash, origin, parents, generation) VALUES (1, 'rank(close)', 'h1', 'seed', '[]', 0);
INSERT INTO simulations (alpha_id, settings_key, settings, params_key, params, status, sharpe, score)
  VALUES (1, 's', '{}', 'p', '{}', 'ok', 1.25, 0.75);
"""


def _sqlite(path: Path, script: str) -> None:
    with sqlite3.connect(path) as connection:
        connection.executescript(script)


def test_fresh_store_has_the_current_version(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert Store(url).schema_version == SCHEMA_VERSION
    assert Store(url).schema_version == SCHEMA_VERSION


def test_a_v1_store_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _sqlite(path, V1_SCHEMA)
    store = Store(f"sqlite:///{path}")
    assert store.schema_version == 1
    [old] = store.top_simulations(1)
    assert (old["canonical"], old["metrics"]["sharpe"], old["os_metrics"]) == ("rank(close)", 1.25, None)
    store.record_submission(old["id"], [], os_metrics={"sharpe": 0.5})
    store.save_value("fleet", {"ok": True})
    assert store.submissions()[0]["os_metrics"] == {"sharpe": 0.5} and store.load_value("fleet") == {"ok": True}
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version FROM schema_version").fetchone() == (SCHEMA_VERSION,)
    assert Store(f"sqlite:///{path}").schema_version == SCHEMA_VERSION


def test_a_newer_store_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Store(f"sqlite:///{path}").close()
    _sqlite(path, f"UPDATE schema_version SET version = {SCHEMA_VERSION + 1}")
    message = f"database schema v{SCHEMA_VERSION + 1} is newer than this alphaminer (v{SCHEMA_VERSION}); upgrade"
    with pytest.raises(SchemaVersionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Store(f"sqlite:///{path}")
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version FROM schema_version").fetchone() == (SCHEMA_VERSION + 1,)


def test_a_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    _sqlite(path, "CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    with pytest.raises(SchemaVersionError, match=r"is not an alphaminer store \(it has tables customers"):
        Store(f"sqlite:///{path}")


def test_a_version_without_migration_is_named(tmp_path: Path) -> None:
    path = tmp_path / "ancient.db"
    Store(f"sqlite:///{path}").close()
    _sqlite(path, "UPDATE schema_version SET version = 0")
    with pytest.raises(SchemaVersionError, match="database schema v0 is too old to migrate"):
        Store(f"sqlite:///{path}")


# v2 = v1 + simulations.os_metrics + key_values (+ a submission, so alphas is referenced twice).
V2_SCHEMA = V1_SCHEMA.replace("VALUES (1, 1);", "VALUES (1, 2);", 1) + """
ALTER TABLE simulations ADD COLUMN os_metrics JSON;
CREATE TABLE key_values ("key" VARCHAR(255) NOT NULL, value JSON NOT NULL,
  updated DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL, PRIMARY KEY ("key"));
CREATE TABLE submissions (id INTEGER PRIMARY KEY, alpha_id INTEGER NOT NULL REFERENCES alphas (id),
  simulation_id INTEGER NOT NULL REFERENCES simulations (id), checks JSON NOT NULL,
  submitted DATETIME DEFAULT (CURRENT_TIMESTAMP) NOT NULL, destination VARCHAR(255) NOT NULL);
INSERT INTO submissions (alpha_id, simulation_id, checks, destination) VALUES (1, 1, '[]', 'brain');
"""


def _alpha_indexes(path: Path) -> list[tuple[int, list[str]]]:
    with sqlite3.connect(path) as connection:
        found = []
        for _, name, unique, *_ in connection.execute("PRAGMA index_list(alphas)"):
            columns = [row[2] for row in connection.execute(f"PRAGMA index_info('{name}')")]
            found.append((unique, columns))
    return sorted(found)


def test_a_v2_store_loses_the_unique_text_constraint_and_keeps_rows_and_references(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    _sqlite(path, V2_SCHEMA)
    fresh = tmp_path / "fresh.db"
    Store(f"sqlite:///{fresh}").close()
    store = Store(f"sqlite:///{path}")
    assert store.schema_version == 2
    assert _alpha_indexes(path) == _alpha_indexes(fresh) == [(0, ["origin"]), (1, ["hash_key"])]
    [old] = store.top_simulations(1)
    assert (old["canonical"], old["hash"], old["metrics"]["sharpe"]) == ("rank(close)", "h1", 1.25)
    assert store.is_simulated("h1", "s", "p") and store.get_alpha("h1")["id"] == 1  # found by its new key
    assert store.submissions()[0]["simulation_id"] == old["id"]
    item = {"canonical": "rank(close)", "hash": "h2", "origin": "ga", "settings_key": "s", "settings": {},
            "params_key": "p", "params": {}, "status": "ok"}
    store.record_batch(None, [item])
    assert store.counts()["alphas"] == 2
    store.close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        assert connection.execute("SELECT version FROM schema_version").fetchone() == (SCHEMA_VERSION,)
    with Store(f"sqlite:///{path}") as reopened, write_transaction(reopened.engine) as connection:
        with pytest.raises(IntegrityError):  # enforcement is back on for the store's connections
            connection.exec_driver_sql("INSERT INTO submissions (alpha_id, simulation_id, checks, destination)"
                                       " VALUES (99, 1, '[]', 'x')")


def test_v3_and_v4_migrations_swap_the_unique_constraints_on_postgresql(pg_store_url: str) -> None:
    """A v2 alphas table (unique text and hash, no hash key) ends with only hash_key unique.
    (SQLite's rebuild is tested on hand-made v2 and v3 files above.)"""
    store_url = pg_store_url
    with Store(store_url) as store:
        [sim_id] = store.record_batch(None, [dict(V3_ITEM, hash="h1")])
    engine = create_engine(store_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE simulations DROP COLUMN score_band")  # v5's, with its index
        connection.exec_driver_sql("ALTER TABLE alphas DROP COLUMN hash_key")
        connection.exec_driver_sql("ALTER TABLE alphas ADD CONSTRAINT alphas_hash_key UNIQUE (hash)")
        connection.exec_driver_sql("ALTER TABLE alphas ADD CONSTRAINT alphas_canonical_key UNIQUE (canonical)")
        connection.exec_driver_sql("UPDATE schema_version SET version = 2")
    with Store(store_url) as store:
        assert store.schema_version == 2
        assert store.lookup_simulations([("h1", "s", "p")])[("h1", "s", "p")]["id"] == sim_id
        assert store.record_batch(None, [dict(V3_ITEM, hash="h1")]) == [sim_id]
    with engine.connect() as connection:
        assert [c["column_names"] for c in inspect(connection).get_unique_constraints("alphas")] == [["hash_key"]]
        assert connection.exec_driver_sql("SELECT version FROM schema_version").scalar() == SCHEMA_VERSION
    engine.dispose()


# v3 = v2 with alphas rebuilt without the unique text constraint (the frozen DDL of state.schema).
V3_SCHEMA = V2_SCHEMA.replace("VALUES (1, 2);", "VALUES (1, 3);", 1).replace(
    "canonical TEXT NOT NULL UNIQUE, hash VARCHAR(64) NOT NULL UNIQUE", "canonical TEXT NOT NULL, hash VARCHAR(64) NOT NULL UNIQUE"
) + """
INSERT INTO alphas (id, canonical, hash, origin, parents, generation) VALUES (2, 'rank(close)', 'h2', 'ga', '["h1"]', 1);
INSERT INTO simulations (alpha_id, settings_key, settings, params_key, params, status, sharpe, score)
  VALUES (2, 's', '{}', 'p', '{}', 'ok', 2.5, 1.5);
"""
V3_ITEM = {"canonical": "rank(close)", "origin": "ga", "settings_key": "s", "settings": {}, "params_key": "p",
           "params": {}, "status": "ok"}


def test_a_v3_store_gets_hash_keys_and_keeps_every_alpha_findable(tmp_path: Path) -> None:
    path = tmp_path / "v3.db"
    _sqlite(path, V3_SCHEMA)
    store = Store(f"sqlite:///{path}")
    assert store.schema_version == 3
    assert _alpha_indexes(path) == [(0, ["origin"]), (1, ["hash_key"])]
    found = store.lookup_simulations([("h1", "s", "p"), ("h2", "s", "p")])
    assert {key[0]: row["metrics"]["sharpe"] for key, row in found.items()} == {"h1": 1.25, "h2": 2.5}
    assert store.get_alpha("h2")["parents"] == ["h1"] and store.simulated_keys(["h1", "h3"]) == {"h1"}
    assert store.record_batch(None, [dict(V3_ITEM, hash="h2"), dict(V3_ITEM, hash="h3")])[0] == found[("h2", "s", "p")]["id"]
    assert store.counts()["alphas"] == 3
    store.close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert connection.execute("SELECT version FROM schema_version").fetchone() == (SCHEMA_VERSION,)


def _as_v4(url: str) -> None:
    """Turn a v5 store into the v4 store it would have been: no band column, the score indexed."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP INDEX ix_simulations_status_score_band")
        connection.exec_driver_sql("ALTER TABLE simulations DROP COLUMN score_band")
        connection.exec_driver_sql("CREATE INDEX ix_simulations_status_score ON simulations (status, score)")
        connection.exec_driver_sql("UPDATE schema_version SET version = 4")
    engine.dispose()


def _score_indexes(url: str) -> list[tuple[str, list[str]]]:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = [(index["name"], index["column_names"]) for index in inspect(connection).get_indexes("simulations")]
    engine.dispose()
    return sorted(index for index in found if "score" in index[0])


def test_a_v4_store_gets_score_bands_and_ranks_as_before(store_url: str) -> None:
    scores = [3.0, -0.25, None, 1e-9, 2.9, 0.0, -7.5, 3.0, 2.75, -1e300, float("inf")]
    items = [dict(V3_ITEM, hash=f"h{n}", score=score) for n, score in enumerate(scores)]
    with Store(store_url) as store:
        store.record_batch(None, items)
        descending = [row["id"] for row in store.top_simulations(20)]
        ascending = [row["id"] for row in store.top_simulations(4, ascending=True)]
    _as_v4(store_url)
    assert _score_indexes(store_url) == [("ix_simulations_status_score", ["status", "score"])]
    with Store(store_url) as store:
        assert store.schema_version == 4
        assert [row["id"] for row in store.top_simulations(20)] == descending
        assert [row["id"] for row in store.top_simulations(4, ascending=True)] == ascending
    assert _score_indexes(store_url) == [("ix_simulations_status_score_band", ["status", "score_band"])]
    engine = create_engine(store_url)
    with engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT score, score_band FROM simulations").all()
        assert connection.exec_driver_sql("SELECT version FROM schema_version").scalar() == SCHEMA_VERSION
    engine.dispose()
    assert sorted(stored, key=repr) == sorted(((score, score_band(score)) for score in scores), key=repr)
