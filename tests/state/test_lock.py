"""The daemon lock in one process: refusal message, stale takeover, refresh and release."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from structlog.testing import capture_logs

from state import LockHeldError, Store, acquire_lock, refresh_lock, release_lock


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(store_url: str, clock: Clock) -> Store:
    with Store(store_url, clock=clock) as opened:
        yield opened


def test_a_live_fresh_holder_refuses_a_second_daemon(store: Store, clock: Clock) -> None:
    first, second = store.start_run("run"), store.start_run("run")
    acquire_lock(store, first)
    acquire_lock(store, first)
    clock.now += 7.0
    expected = f"another daemon (pid {os.getpid()} on host {socket.gethostname()}) holds this store; last heartbeat 7s ago"
    with pytest.raises(LockHeldError) as raised:
        acquire_lock(store, second, stale_after_s=60)
    assert str(raised.value) == expected
    assert store.lock_holder()["id"] == first


def test_an_old_heartbeat_is_taken_over_with_a_warning(store: Store, clock: Clock) -> None:
    first, second = store.start_run("run"), store.start_run("run")
    acquire_lock(store, first)
    clock.now += 61.0
    with capture_logs() as logs:
        acquire_lock(store, second, stale_after_s=60)
    assert store.lock_holder()["id"] == second
    [warning] = [entry for entry in logs if entry["event"] == "store_lock_taken_over"]
    assert warning["log_level"] == "warning" and "last heartbeat 61s ago" in warning["reason"]
    with pytest.raises(LockHeldError, match=f"run {first}\\) lost the store lock; it is now held by pid"):
        refresh_lock(store, first)


def test_a_dead_pid_on_this_host_is_taken_over(store: Store) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    ghost = store.start_run("run", pid=int(dead.stdout))
    acquire_lock(store, ghost)
    mine = store.start_run("run")
    with capture_logs() as logs:
        acquire_lock(store, mine)
    assert store.lock_holder()["id"] == mine
    assert f"pid {int(dead.stdout)} is gone" in logs[0]["reason"]


def test_a_pid_on_another_host_counts_only_by_heartbeat(store: Store, clock: Clock) -> None:
    remote = store.start_run("run", pid=1, host="elsewhere.example")
    acquire_lock(store, remote)
    mine = store.start_run("run")
    with pytest.raises(LockHeldError, match="pid 1 on host elsewhere.example"):
        acquire_lock(store, mine)
    clock.now += 500.0
    acquire_lock(store, mine)
    assert store.lock_holder()["id"] == mine


def test_refresh_keeps_the_lock_fresh_and_release_frees_it(store: Store, clock: Clock) -> None:
    first, second = store.start_run("run"), store.start_run("run")
    acquire_lock(store, first)
    for _ in range(3):
        clock.now += 50.0
        refresh_lock(store, first)
    with pytest.raises(LockHeldError):
        acquire_lock(store, second, stale_after_s=60)
    assert not release_lock(store, second)
    assert release_lock(store, first)
    assert store.lock_holder() is None
    acquire_lock(store, second)
    store.end_run(second)
    assert store.lock_holder() is None


def test_an_ended_run_holds_nothing(store: Store) -> None:
    first, second = store.start_run("run"), store.start_run("run")
    acquire_lock(store, first)
    store.end_run(first, "crashed")
    acquire_lock(store, second)
    assert store.lock_holder()["id"] == second
