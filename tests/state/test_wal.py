"""The WAL checkpoint thread on a real SQLite file: it starts with the first batch, its rounds
backfill the whole WAL so SQLite restarts it (the file stays small), a failing round is logged
and survived, and closing the store stops it."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from structlog.testing import capture_logs

from state import Store
from state.wal import WalCheckpointer
from tests.state.test_repo import item

THREAD_NAME = "alphaminer-wal-checkpoints"


def _threads() -> int:
    return sum(thread.name == THREAD_NAME and thread.is_alive() for thread in threading.enumerate())


def _wait_for(condition, seconds: float = 10.0) -> None:  # noqa: ANN001 - a zero-argument callable
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_the_thread_starts_with_the_first_batch_and_stops_with_the_store(tmp_sqlite: str) -> None:
    before = _threads()
    store = Store(tmp_sqlite)
    store.start_run("once")
    store.top_simulations(5)
    assert _threads() == before  # reading and bookkeeping start nothing
    store.record_batch(None, [item("a")])
    assert _threads() == before + 1
    _wait_for(lambda: store.wal_checkpointer.rounds == 1)  # a second after the write, under ROUND_ROWS
    store.close()
    assert _threads() == before
    store.close()  # idempotent


def _write_back_to_back(tmp_sqlite: str, restart_frames: int) -> tuple[WalCheckpointer, int]:
    """150 batches of 100 with a round every 300 rows; the checkpointer and the WAL file's size."""
    with Store(tmp_sqlite) as store:
        store.wal_checkpointer.close()  # the store's default rounds are too large for this test
        checkpointer = WalCheckpointer(store.path, store._batch_lock, rows=300, seconds=60, restart_frames=restart_frames)
        store.wal_checkpointer = checkpointer
        for batch in range(150):  # back to back: a round's first pass always races the writer
            store.record_batch(None, [item(f"b{batch}.{n}", score=float(n)) for n in range(100)])
        _wait_for(lambda: checkpointer.rounds >= 30)
        wal_bytes = Path(f"{store.path}-wal").stat().st_size
        assert store.counts()["simulations"] == 15_000
    with sqlite3.connect(store.path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    return checkpointer, wal_bytes


def test_the_wal_restarts_past_its_limit_while_batches_keep_coming(tmp_sqlite: str) -> None:
    checkpointer, wal_bytes = _write_back_to_back(tmp_sqlite, restart_frames=600)
    # A round finds ~3 batches of new frames (~200); past 600 the pass under the batch lock copies
    # the rest, so the next batch writes the WAL from its start again.
    assert checkpointer.restarts >= 1
    assert 600 < checkpointer.largest_wal < 2_000
    assert wal_bytes <= 2_000 * (4096 + 24)


def test_below_the_limit_no_round_blocks_the_writer_and_the_wal_keeps_growing(tmp_sqlite: str) -> None:
    """The control: without the locked pass the WAL restarts only when a round happens to catch
    up between two batches (rounds copy it, but the writer appends during each): it grew to
    4,100-9,900 frames in 40 runs on a loaded 2-core machine, never to the 2,000 the test above
    stays under."""
    checkpointer, wal_bytes = _write_back_to_back(tmp_sqlite, restart_frames=10**9)
    assert checkpointer.restarts == 0
    assert checkpointer.largest_wal > 2_000
    assert wal_bytes > 2_000 * (4096 + 24)


def test_a_failing_round_is_logged_and_the_next_one_still_runs(tmp_path: Path) -> None:
    path = tmp_path / "not_a_store.db"
    path.write_bytes(b"this is not a database file, " * 200)
    before = _threads()
    checkpointer = WalCheckpointer(path, threading.Lock(), rows=1, seconds=60)
    with capture_logs() as logs:
        checkpointer.wrote(1)
        _wait_for(lambda: len(logs) == 1)
        checkpointer.wrote(1)
        _wait_for(lambda: len(logs) == 2)
        checkpointer.close()
    assert {entry["event"] for entry in logs} == {"wal_checkpoint_failed"}
    assert "not a database" in logs[0]["error"] and logs[0]["store"] == str(path)
    assert checkpointer.rounds == 0 and _threads() == before
