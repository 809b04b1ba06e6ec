"""Engine settings: SQLite pragmas on every connection, writes take the lock up front."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from sqlalchemy.exc import IntegrityError

from state import Store
from state.db import BUSY_TIMEOUT_MS, CACHE_KIB, MMAP_BYTES, WAL_CHECKPOINT_PAGES, make_engine, read_transaction, write_transaction


def test_every_connection_gets_the_pragmas(tmp_sqlite: str) -> None:
    Store(tmp_sqlite).close()
    engine = make_engine(tmp_sqlite)
    with read_transaction(engine) as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("busy_timeout") == BUSY_TIMEOUT_MS
        assert pragma("synchronous") == 1  # NORMAL
        assert pragma("foreign_keys") == 1
        assert pragma("cache_size") == -CACHE_KIB
        assert 1 << 30 < pragma("mmap_size") <= MMAP_BYTES
        assert pragma("wal_autocheckpoint") == WAL_CHECKPOINT_PAGES


def test_foreign_keys_are_enforced(tmp_sqlite: str) -> None:
    store = Store(tmp_sqlite)
    with pytest.raises(IntegrityError), write_transaction(store.engine) as connection:
        connection.exec_driver_sql(
            "INSERT INTO simulations (alpha_id, settings_key, settings, params_key, params, status) "
            "VALUES (42, 's', '{}', 'p', '{}', 'ok')"
        )


def test_a_second_writer_waits_for_the_first_instead_of_failing(tmp_sqlite: str) -> None:
    store = Store(tmp_sqlite)
    path = tmp_sqlite.removeprefix("sqlite:///")
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    threading.Timer(0.5, holder.execute, args=("COMMIT",)).start()
    started = time.monotonic()
    store.save_value("k", 1)
    assert time.monotonic() - started >= 0.4
    assert store.load_value("k") == 1
    holder.close()


def test_a_write_transaction_holds_the_write_lock_from_its_start(tmp_sqlite: str) -> None:
    store = Store(tmp_sqlite)
    path = tmp_sqlite.removeprefix("sqlite:///")
    with write_transaction(store.engine):
        other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
    with read_transaction(store.engine):
        other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("COMMIT")
        other.close()
