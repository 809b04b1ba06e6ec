"""The daemon as a real process: started, signalled, killed, and checked through its SQLite file."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from state import Store


pytestmark = pytest.mark.slow


def start(config: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "miner.cli", "run", "--config", str(config), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=config.parent,
    )


def wait_for_generation(store_url: str, at_least: int, process: subprocess.Popen, timeout: float = 240) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1][-2000:]
        checkpoint = Store(store_url).load_checkpoint() if Path(store_url[10:]).exists() else None
        if checkpoint and checkpoint["generation"] >= at_least:
            return checkpoint["generation"]
        time.sleep(0.2)
    raise AssertionError(f"no generation {at_least} within {timeout}s")


def test_daemon_refuses_a_second_stops_on_sigterm_and_resumes(tmp_path, config_file):
    config = config_file
    url = f"sqlite:///{tmp_path / 'store.db'}"
    daemon = start(config)
    try:
        wait_for_generation(url, 1, daemon)
        second = subprocess.run([sys.executable, "-m", "miner.cli", "run", "--config", str(config)],
                                capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert second.returncode == 2
        assert "holds this store" in second.stderr and "Traceback" not in second.stderr
        daemon.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        assert daemon.wait(timeout=30) == 0
        assert time.monotonic() - stopped_at < 10
    finally:
        if daemon.poll() is None:
            daemon.kill()
    generation = Store(url).load_checkpoint()["generation"]
    again = subprocess.run([sys.executable, "-m", "miner.cli", "run", "--config", str(config), "--max-cycles", "1"],
                           capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]
    assert Store(url).load_checkpoint()["generation"] == generation + 2
    assert "resumed" in (tmp_path / "daemon.log").read_text()


def test_kill_9_loses_at_most_the_in_flight_batch(tmp_path, config_file):
    config = config_file
    url = f"sqlite:///{tmp_path / 'store.db'}"
    daemon = start(config)
    try:
        wait_for_generation(url, 2, daemon)
        os.kill(daemon.pid, signal.SIGKILL)
        daemon.wait(timeout=30)
    finally:
        if daemon.poll() is None:
            daemon.kill()
    with sqlite3.connect(tmp_path / "store.db") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store = Store(url)
    checkpoint = store.load_checkpoint()
    assert checkpoint["generation"] >= 2
    assert store.counts()["simulations"] > 0
    again = subprocess.run([sys.executable, "-m", "miner.cli", "run", "--config", str(config), "--max-cycles", "1"],
                           capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-2000:]  # the dead daemon's lock is taken over
    assert Store(url).load_checkpoint()["generation"] >= checkpoint["generation"] + 2
