"""SQLite WAL checkpoints on a thread of their own, so that a batch's commit never waits for them.

With ``synchronous=NORMAL`` a commit only appends pages to the WAL; a checkpoint copies them into
the database file and fsyncs both files (~60-75 ms per 10,000 pages on a disk that syncs
~1.5 GB/s), and SQLite's automatic checkpoint runs inside the commit that crosses its threshold:
at full speed every ~60th batch waited for it. ``WalCheckpointer`` runs them beside the writer:

1. a PASSIVE checkpoint on the thread's own connection copies the WAL while the writer goes on
   appending (PASSIVE never waits for, nor blocks, readers and writers);
2. a second one under the store's write lock copies the few pages appended meanwhile, so every
   frame is back in the database when the next batch begins and SQLite restarts the WAL from its
   start: the file stays at the size of one round.

The connections keep ``wal_autocheckpoint``: should this thread fall behind or stop, SQLite's own
checkpoint still bounds the WAL. A round runs every ``rows`` recorded rows, or ``seconds`` after
a write. Durability is unchanged: a killed process loses nothing committed, and a checkpoint cut
short is finished by the next one (SQLite's own guarantee).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import structlog

log = structlog.get_logger()

ROUND_ROWS = 4_000  # ~7,000 WAL pages of bench/store.py's rows: under SQLite's own 10,000
ROUND_SECONDS = 1.0


class WalCheckpointer:
    """Checkpoints the WAL of the SQLite file ``path`` on a daemon thread, started by the first
    ``wrote``; ``write_lock`` is the lock the store's batch writes hold."""

    def __init__(self, path: Path, write_lock: threading.Lock, *, rows: int = ROUND_ROWS, seconds: float = ROUND_SECONDS):
        self._path = path
        self._write_lock = write_lock
        self._round_rows = rows
        self._round_seconds = seconds
        self._pending_rows = 0
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.rounds = 0
        self.frames = 0  # WAL frames checkpointed by every round together
        self.largest_round = 0  # most WAL frames one round found

    def wrote(self, rows: int) -> None:
        """Note ``rows`` committed rows: a round starts after ``rows`` of them, or after ``seconds``."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="alphaminer-wal-checkpoints", daemon=True)
            self._thread.start()
        self._pending_rows += rows
        if self._pending_rows >= self._round_rows:
            self._wake.set()

    def close(self) -> None:
        """Stop the thread after its current round (idempotent)."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        connection = sqlite3.connect(self._path, isolation_level=None)  # opens the file lazily
        try:
            while not self._stopping:
                self._wake.wait(self._round_seconds)
                self._wake.clear()
                if self._pending_rows and not self._stopping:
                    self._pending_rows = 0
                    self._round(connection)
        finally:
            connection.close()

    def _round(self, connection: sqlite3.Connection) -> None:
        try:
            connection.execute("PRAGMA synchronous = NORMAL")  # the store's: a checkpoint fsyncs both files
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            with self._write_lock:
                _, frames, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as error:  # the next round, or SQLite's own checkpoint, catches up
            log.warning("wal_checkpoint_failed", store=str(self._path), error=str(error))
            return
        self.rounds += 1
        self.frames += copied
        self.largest_round = max(self.largest_round, frames)
