"""SQLite WAL checkpoints on a thread of their own, so that a batch's commit never waits for them.

With ``synchronous=NORMAL`` a commit only appends pages to the WAL; a checkpoint copies them into
the database file and fsyncs both files, and SQLite's automatic checkpoint runs inside the commit
that crosses its threshold: at full speed every ~60th batch waited 60-75 ms for it.
``WalCheckpointer`` runs rounds beside the writer instead:

1. a PASSIVE checkpoint on the thread's own connection copies the WAL into the database while the
   writer goes on appending (PASSIVE never waits for, nor blocks, readers and writers); every
   round syncs the WAL, so a power cut loses at most the rows since the last round;
2. once the WAL holds more than ``restart_frames`` pages, a second pass under the store's batch
   lock copies the pages appended meanwhile, so that every frame is in the database when the next
   batch begins and SQLite writes the WAL from its start again. That pass blocks the writer and
   costs ~30 ms however few its pages (two fsyncs), so it runs every few rounds, not every one.

The connections keep ``wal_autocheckpoint``: should this thread fall behind or stop, SQLite's own
checkpoint still bounds the WAL. A round runs every ``rows`` recorded rows, or ``seconds`` after
a write. A killed process loses nothing committed, and a checkpoint cut short is finished by the
next one (SQLite's own guarantee).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import structlog

log = structlog.get_logger()

ROUND_ROWS = 4_000  # ~7,000 WAL pages of bench/store.py's rows
ROUND_SECONDS = 1.0
RESTART_FRAMES = 16_000  # ~64 MiB; below db.WAL_CHECKPOINT_PAGES, SQLite's own threshold


class WalCheckpointer:
    """Checkpoints the WAL of the SQLite file ``path`` on a daemon thread, started by the first
    ``wrote``; ``batch_lock`` is the lock the store's batch writes hold."""

    def __init__(
        self,
        path: Path,
        batch_lock: threading.Lock,
        *,
        rows: int = ROUND_ROWS,
        seconds: float = ROUND_SECONDS,
        restart_frames: int = RESTART_FRAMES,
    ):
        self._path = path
        self._batch_lock = batch_lock
        self._round_rows = rows
        self._round_seconds = seconds
        self._restart_frames = restart_frames
        self._pending_rows = 0
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.rounds = 0
        self.restarts = 0  # rounds that ended with the pass under the batch lock
        self.largest_wal = 0  # most WAL frames a round found

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
        checkpoint = "PRAGMA wal_checkpoint(PASSIVE)"
        try:
            connection.execute("PRAGMA synchronous = NORMAL")  # the store's: a checkpoint fsyncs both files
            _, frames, _ = connection.execute(checkpoint).fetchone()
            if frames > self._restart_frames:
                with self._batch_lock:
                    connection.execute(checkpoint).fetchone()
                self.restarts += 1
        except sqlite3.Error as error:  # the next round, or SQLite's own checkpoint, catches up
            log.warning("wal_checkpoint_failed", store=str(self._path), error=str(error))
            return
        self.rounds += 1
        self.largest_wal = max(self.largest_wal, frames)
