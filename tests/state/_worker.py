"""A child process for the store's multi-process tests: ``python _worker.py MODE URL ...``.

write URL BATCH_SIZE     record batches (marker "pid_b" in params) + a checkpoint after each,
                         forever; prints "ready" after the first commit
read URL SECONDS         poll counts()/top_simulations()/load_checkpoint(); prints the number of
                         polls, or the error and exit 1
lock URL START_AT HOLD   at time START_AT start a run and try the lock; print "won" or
                         "lost: <message>", then stay alive HOLD seconds
"""

from __future__ import annotations

import hashlib
import os
import sys
import time

import numpy as np

from state import LockHeldError, Store, acquire_lock


def batch_items(marker: str, size: int, rng: np.random.Generator) -> list[dict]:
    items = []
    for index in range(size):
        canonical = f"rank(ts_delta(close, {index + 1})) # {marker}"
        items.append(
            {
                "canonical": canonical,
                "hash": hashlib.sha1(canonical.encode()).hexdigest(),
                "origin": "ga",
                "parents": [],
                "generation": 0,
                "settings_key": '{"decay":0}',
                "settings": {"decay": 0},
                "params_key": "{}",
                "params": {"batch": marker, "size": size},
                "status": "ok",
                "error": None,
                "metrics": {"sharpe": float(rng.normal()), "fitness": float(rng.normal())},
                "daily_pnl": rng.normal(size=500),
                "pnl_start": "2015-01-02",
                "duration": 0.01,
                "score": float(rng.normal()),
            }
        )
    return items


def write(url: str, size: int) -> None:
    store = Store(url)
    run_id = store.start_run("test-writer")
    rng = np.random.default_rng(os.getpid())
    batch = 0
    while True:
        marker = f"{os.getpid()}_{batch}"
        store.record_batch(run_id, batch_items(marker, size, rng))
        store.save_checkpoint(run_id, batch, [marker] * 50, [marker], {"batch": marker})
        if batch == 0:
            print("ready", flush=True)
        batch += 1


def read(url: str, seconds: float) -> None:
    store = Store(url)
    polls, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        store.counts()
        store.top_simulations(10, min_sharpe=0.0)
        store.load_checkpoint()
        polls += 1
    print(polls, flush=True)


def lock(url: str, start_at: float, hold: float) -> None:
    store = Store(url)
    run_id = store.start_run("test-lock")
    time.sleep(max(0.0, start_at - time.time()))
    try:
        acquire_lock(store, run_id, stale_after_s=60)
        print("won", flush=True)
    except LockHeldError as error:
        print(f"lost: {error}", flush=True)
    time.sleep(hold)


if __name__ == "__main__":
    mode, url, *rest = sys.argv[1:]
    try:
        if mode == "write":
            write(url, int(rest[0]))
        elif mode == "read":
            read(url, float(rest[0]))
        else:
            lock(url, float(rest[0]), float(rest[1]))
    except Exception as error:  # noqa: BLE001 - report any failure to the parent test
        print(f"FAILED {type(error).__name__}: {error}", flush=True)
        sys.exit(1)
