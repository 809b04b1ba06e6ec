"""The daemon lock: one live daemon per store.

The lock is a single row naming the run that holds the store; the holder proves it is alive by
its run's heartbeat (``refresh_lock``). ``acquire_lock`` reads and replaces the holder in one
write transaction (``Store.take_lock``), so of two daemons starting at once exactly one wins.
A lock is *stale*, and taken over with a warning, when its holder's run has ended, its process
is gone (same host only: a pid on another host cannot be probed), or its heartbeat is older
than ``stale_after_s``.
"""

from __future__ import annotations

import os
import socket
from typing import Any

import structlog

from state.errors import LockHeldError
from state.repo import Store

DEFAULT_STALE_AFTER_S = 120.0

log = structlog.get_logger()


def process_alive(pid: int) -> bool:
    """True when a process with ``pid`` exists on this host (it may belong to another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_reason(holder: dict[str, Any], stale_after_s: float) -> str | None:
    """Why the lock held by ``holder`` (a run dict) may be taken over, or None while it is live."""
    if holder["ended"] is not None or holder["status"] != "running":
        return f"its run ended ({holder['status']})"
    if holder["host"] == socket.gethostname() and not process_alive(holder["pid"]):
        return f"pid {holder['pid']} is gone"
    if holder["heartbeat_age_s"] > stale_after_s:
        return f"last heartbeat {holder['heartbeat_age_s']:.0f}s ago (> {stale_after_s:.0f}s)"
    return None


def _held_message(holder: dict[str, Any]) -> str:
    return (
        f"another daemon (pid {holder['pid']} on host {holder['host']}) holds this store; "
        f"last heartbeat {holder['heartbeat_age_s']:.0f}s ago"
    )


def acquire_lock(store: Store, run_id: int, stale_after_s: float = DEFAULT_STALE_AFTER_S) -> None:
    """Make ``run_id`` the one daemon of ``store``.

    Parameters
    ----------
    store : Store
    run_id : int
        From ``store.start_run(mode)``.
    stale_after_s : float
        A holder whose heartbeat is older than this is considered dead.

    Raises
    ------
    LockHeldError
        While another live daemon's heartbeat is fresh (its pid, host and heartbeat age named).
    """

    def may_take(holder: dict[str, Any] | None) -> bool:
        if holder is None or holder["id"] == run_id:
            return True
        reason = stale_reason(holder, stale_after_s)
        if reason is None:
            raise LockHeldError(_held_message(holder))
        log.warning("store_lock_taken_over", store=store.url, previous_run=holder["id"], reason=reason)
        return True

    store.take_lock(run_id, may_take)


def refresh_lock(store: Store, run_id: int) -> None:
    """Heartbeat ``run_id``; LockHeldError if another daemon has taken the lock over meanwhile."""
    store.heartbeat(run_id)
    holder = store.lock_holder()
    if holder is None or holder["id"] != run_id:
        who = "nobody" if holder is None else f"pid {holder['pid']} on host {holder['host']} (run {holder['id']})"
        raise LockHeldError(f"this daemon (run {run_id}) lost the store lock; it is now held by {who}")


def release_lock(store: Store, run_id: int) -> bool:
    """Free the lock if ``run_id`` holds it; True if it did."""
    return store.release_lock(run_id)
