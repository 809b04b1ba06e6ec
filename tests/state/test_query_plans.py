"""The store's hot reads use indexes on SQLite (EXPLAIN QUERY PLAN of the statements it really runs):
top-k walks the (status, score band) index, "already simulated" lookups the hash key and triple indexes,
and none scans a whole table."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event

from state import Store
from tests.state.test_repo import item, sha


@pytest.fixture
def store(tmp_sqlite: str) -> Store:
    with Store(tmp_sqlite) as opened:
        opened.record_batch(None, [item(f"a{n}", score=float(n)) for n in range(30)])
        yield opened


def plans_of(store: Store, call) -> list[list[str]]:  # noqa: ANN001 - a callable on the store
    """The query plan (detail lines) of every SELECT that ``call(store)`` runs."""
    statements: list[tuple[str, object]] = []

    def remember(_conn, _cursor, statement, parameters, _context, _many) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", remember)
    try:
        call(store)
    finally:
        event.remove(store.engine, "before_cursor_execute", remember)
    with sqlite3.connect(store.path) as connection:
        return [[row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", params)] for sql, params in statements]


def assert_no_scan(plans: list[list[str]]) -> None:
    scans = [line for plan in plans for line in plan if line.startswith("SCAN")]
    assert not scans, scans


@pytest.mark.parametrize("ascending", [False, True])
def test_top_k_walks_the_score_band_index_and_sorts_within_bands(store: Store, ascending: bool) -> None:
    plans = plans_of(store, lambda s: s.top_simulations(5, ascending=ascending))
    assert len(plans) == 1
    assert any("USING INDEX ix_simulations_status_score_band (status=? AND score_band>?)" in line for line in plans[0]), plans
    assert "USE TEMP B-TREE FOR RIGHT PART OF ORDER BY" in plans[0], plans
    assert_no_scan(plans)


@pytest.mark.parametrize(
    "lookup",
    [
        lambda s: s.is_simulated(sha("a3"), "s1", "p0"),
        lambda s: s.lookup_simulations([(sha("a3"), "s1", "p0"), (sha("absent"), "s1", "p0")]),
        lambda s: s.simulated_keys([sha("a3"), (sha("a4"), "s1", "p0")]),
    ],
    ids=["is_simulated", "lookup_simulations", "simulated_keys"],
)
def test_already_simulated_lookups_use_the_hash_key_and_triple_indexes(store: Store, lookup) -> None:  # noqa: ANN001
    plans = plans_of(store, lookup)
    assert plans
    for plan in plans:
        assert any("alphas USING" in line and "(hash_key=?)" in line for line in plan), plan
        assert any("simulations USING" in line and "sqlite_autoindex_simulations_1 (alpha_id=?" in line for line in plan), plan
    assert_no_scan(plans)
