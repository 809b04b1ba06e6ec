"""The store under real processes: SIGKILL mid-write, readers beside a writer, a lock race."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from state import Store

WORKER = Path(__file__).with_name("_worker.py")
BATCH = 40


def _spawn(*args: object) -> subprocess.Popen:
    command = [sys.executable, str(WORKER), *map(str, args)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _batch_sizes(path: Path) -> dict[str, int]:
    """Simulations per batch marker, read with the sqlite3 module (independent of the Store)."""
    with sqlite3.connect(path) as connection:
        query = "SELECT json_extract(params, '$.batch'), count(*) FROM simulations GROUP BY 1"
        return dict(connection.execute(query).fetchall())


@pytest.mark.slow
def test_sigkill_at_random_moments_leaves_whole_batches(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    url = f"sqlite:///{path}"
    Store(url).close()
    rng = random.Random(7)
    for kill in range(20):
        child = _spawn("write", url, BATCH)
        assert child.stdout.readline().strip() == "ready", f"kill {kill}: writer did not start"
        time.sleep(rng.uniform(0.0, 0.25))
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert child.returncode == -signal.SIGKILL
        with Store(url) as store:
            assert store.check_integrity() == [], f"kill {kill}"
            checkpoint = store.load_checkpoint()
        sizes = _batch_sizes(path)
        partial = {marker: n for marker, n in sizes.items() if n != BATCH}
        assert not partial, f"kill {kill}: partial batches {partial}"
        assert checkpoint is not None and checkpoint["rng_state"]["batch"] in sizes
    assert len(sizes) >= 20


def test_readers_never_see_database_locked_while_a_writer_commits(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    Store(url).close()
    writer = _spawn("write", url, BATCH)
    try:
        assert writer.stdout.readline().strip() == "ready"
        readers = [_spawn("read", url, 2.5) for _ in range(2)]
        outputs = [reader.communicate(timeout=60)[0] for reader in readers]
    finally:
        writer.kill()
        writer.wait()
    for reader, output in zip(readers, outputs):
        assert reader.returncode == 0, output
        assert int(output.strip()) > 5, output
    with Store(url) as store:
        assert store.counts()["simulations"] >= BATCH


def test_three_processes_taking_the_lock_at_once_exactly_one_wins(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lock.db'}"
    Store(url).close()
    start_at = time.time() + 2.0
    children = [_spawn("lock", url, start_at, 1.5) for _ in range(3)]
    outputs = sorted(child.communicate(timeout=60)[0].strip() for child in children)
    assert outputs[2] == "won", outputs
    for lost in outputs[:2]:
        assert lost.startswith("lost: another daemon (pid "), outputs
        assert "holds this store; last heartbeat 0s ago" in lost or "last heartbeat 1s ago" in lost, outputs
