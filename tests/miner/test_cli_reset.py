"""``alphaminer reset``: confirmation, refusal without a terminal, what it removes, daemon check."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from miner.cli import main
from state import Store, acquire_lock


def _filled(url: str) -> Store:
    store = Store(url)
    run = store.start_run("run")
    item = {
        "canonical": "rank(close)",
        "hash": "h",
        "origin": "seed",
        "settings_key": "s",
        "settings": {},
        "params_key": "p",
        "params": {},
        "status": "ok",
    }
    store.record_batch(run, [item, dict(item, settings_key="s2")])
    store.save_checkpoint(run, 1, [], [], {})
    store.end_run(run)
    return store


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_yes_removes_everything_and_prints_counts(tmp_sqlite: str, capsys: pytest.CaptureFixture) -> None:
    store = _filled(tmp_sqlite)
    assert main(["reset", "--db", tmp_sqlite, "--yes"]) == 0
    out = capsys.readouterr().out
    assert "removed 1 alphas" in out and "removed 2 simulations" in out and "removed 1 checkpoints" in out
    assert "removed 1 runs" in out
    counts = store.counts()
    assert (counts["alphas"], counts["simulations"], counts["runs"]) == (0, 0, 0)


def test_asks_on_a_terminal(tmp_sqlite: str, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _filled(tmp_sqlite)
    monkeypatch.setattr(sys, "stdin", _Terminal("n\n"))
    assert main(["reset", "--db", tmp_sqlite]) == 1
    assert "reset cancelled" in capsys.readouterr().out and store.counts()["alphas"] == 1
    monkeypatch.setattr(sys, "stdin", _Terminal("y\n"))
    assert main(["reset", "--db", tmp_sqlite]) == 0
    assert "Remove all alphas" in capsys.readouterr().out and store.counts()["alphas"] == 0


def test_refuses_without_a_terminal_or_with_a_live_daemon(tmp_sqlite: str) -> None:
    store = _filled(tmp_sqlite)
    command = [sys.executable, "-m", "miner.cli", "reset", "--db", tmp_sqlite]
    refused = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    assert refused.returncode == 2
    assert refused.stderr.strip().endswith("needs confirmation and stdin is not a terminal; pass --yes")
    acquire_lock(store, store.start_run("run"))
    busy = subprocess.run([*command, "--yes"], capture_output=True, text=True)
    assert busy.returncode == 2 and "another daemon (pid" in busy.stderr and "Traceback" not in busy.stderr
    assert store.counts()["alphas"] == 1


def test_a_missing_store_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["reset", "--db", f"sqlite:///{tmp_path / 'none.db'}", "--yes"]) == 2
    assert "no store at" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()
