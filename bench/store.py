"""Store benchmark: record N simulations in batches, then query the full table.

Prints inserts/s of ``Store.record_batch`` and, as the peer measured in the same run, of plain
``sqlite3.executemany`` of the same rows into the store's own schema with the same pragmas and
one transaction per batch (the floor any layer above SQLite adds to); then top-k and "already
simulated" lookup times on the full table, and the file size.

    python bench/store.py                # 1,000,000 rows, batches of 100, no PnL
    python bench/store.py --rows 100000 --pnl-days 252
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from state import Store, encode_pnl
from state.db import BUSY_TIMEOUT_MS, CACHE_KIB, MMAP_BYTES, WAL_CHECKPOINT_PAGES
from state.repo_rows import hash_key, score_band

SETTINGS = [{"decay": d, "neutralization": n} for d in (0, 4) for n in ("MARKET", "SECTOR")]


def make_batch(start: int, size: int, rng: np.random.Generator, pnl_days: int) -> list[dict]:
    items = []
    for number in range(start, start + size):
        canonical = f"rank(ts_delta(close, {number % 20 + 1})) * {number}"
        settings = SETTINGS[number % len(SETTINGS)]
        metrics = dict(zip(("sharpe", "fitness", "returns", "turnover"), rng.normal(size=4).tolist()))
        items.append(
            {
                "canonical": canonical,
                "hash": hashlib.sha1(canonical.encode()).hexdigest(),
                "origin": "ga",
                "parents": [],
                "generation": number // 1000,
                "settings_key": json.dumps(settings, sort_keys=True),
                "settings": settings,
                "params_key": "{}",
                "params": {},
                "status": "ok",
                "error": None,
                "metrics": metrics,
                "daily_pnl": rng.normal(0, 1e4, pnl_days) if pnl_days else None,
                "pnl_start": "2015-01-02" if pnl_days else None,
                "duration": 0.05,
                "score": metrics["fitness"],
            }
        )
    return items


class Rates:
    """Rows per wall second and per CPU second of this process (SQLite runs in-process, so CPU
    seconds count its work too but not the time a busy machine kept us off the CPU)."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    def __enter__(self) -> Rates:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.wall += time.perf_counter() - self._wall
        self.cpu += time.process_time() - self._cpu

    def per_second(self, rows: int) -> tuple[float, float]:
        return rows / self.wall, rows / self.cpu


def bench_store(path: Path, rows: int, batch: int, pnl_days: int) -> tuple[Store, tuple[float, float], list[str]]:
    store = Store(f"sqlite:///{path}")
    run = store.start_run("bench")
    rng, timer, sample = np.random.default_rng(0), Rates(), []
    for start in range(0, rows, batch):
        items = make_batch(start, min(batch, rows - start), rng, pnl_days)
        sample.append(items[0]["hash"])
        with timer:
            store.record_batch(run, items)
    return store, timer.per_second(rows), sample


METRICS = ("sharpe", "returns", "turnover", "fitness", "margin", "drawdown", "ic", "rank_ic", "long_count",
           "short_count", "days", "score")
PEER_PRAGMAS = (
    "journal_mode = WAL",
    "synchronous = NORMAL",
    f"busy_timeout = {BUSY_TIMEOUT_MS}",
    "foreign_keys = ON",
    f"cache_size = -{CACHE_KIB}",
    f"mmap_size = {MMAP_BYTES}",
    f"wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}",
)


def peer_rows(items: list[dict], first_id: int, run_id: int) -> tuple[list[tuple], list[tuple]]:
    """The alphas and simulations rows of a batch of new alphas, as plainly as Python allows."""
    alphas, simulations = [], []
    for number, it in enumerate(items, start=first_id):
        alpha = (it["canonical"], it["hash"], hash_key(it["hash"]), it["origin"], json.dumps(it["parents"]), it["generation"])
        alphas.append((number, *alpha))
        metrics = {**it["metrics"], "score": it["score"]}
        pnl = None if it["daily_pnl"] is None else encode_pnl(it["daily_pnl"])
        simulations.append(
            (number, number, run_id, it["settings_key"], json.dumps(it["settings"]), it["params_key"],
             json.dumps(it["params"]), it["status"], it["error"], *(metrics.get(name) for name in METRICS),
             pnl, it["pnl_start"], it["duration"], score_band(it["score"]))
        )
    return alphas, simulations


def bench_raw_sqlite(path: Path, rows: int, batch: int, pnl_days: int) -> tuple[float, float]:
    """The peer: plain sqlite3 executemany of the same rows into the store's own schema (created by
    the Store: same tables, indexes, pragmas), one BEGIN IMMEDIATE ... COMMIT per batch; no
    upsert, no id read-back (every alpha is new and the ids are counted here)."""
    Store(f"sqlite:///{path}").close()
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in PEER_PRAGMAS:
        connection.execute(f"PRAGMA {pragma}")
    run_id = connection.execute("INSERT INTO runs (mode, pid, host, status) VALUES ('peer', 0, '', 'running')").lastrowid
    sim_columns = ("id", "alpha_id", "run_id", "settings_key", "settings", "params_key", "params", "status", "error",
                   *METRICS, "daily_pnl", "pnl_start", "duration", "score_band")
    insert_alpha = "INSERT INTO alphas (id, canonical, hash, hash_key, origin, parents, generation) VALUES (?, ?, ?, ?, ?, ?, ?)"
    insert_sim = f"INSERT INTO simulations ({', '.join(sim_columns)}) VALUES ({', '.join('?' * len(sim_columns))})"
    rng, timer = np.random.default_rng(0), Rates()
    for start in range(0, rows, batch):
        items = make_batch(start, min(batch, rows - start), rng, pnl_days)
        with timer:
            alphas, simulations = peer_rows(items, start + 1, run_id)
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(insert_alpha, alphas)
            connection.executemany(insert_sim, simulations)
            connection.execute("COMMIT")
    connection.close()
    return timer.per_second(rows)


def median_ms(call, repeats: int) -> float:  # noqa: ANN001 - any zero-argument callable
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def file_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--pnl-days", type=int, default=0, help="daily PnL length stored per row (0: none)")
    parser.add_argument("--peer-rows", type=int, help="rows for the sqlite3 peer (default and at most: --rows)")
    parser.add_argument("--dir", help="where to put the database files (default: a temporary folder)")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        peer_count = min(args.peer_rows or args.rows, args.rows)
        peer_rate = bench_raw_sqlite(Path(folder) / "peer.db", peer_count, args.batch, args.pnl_days)
        path = Path(folder) / "store.db"
        store, rate, sample = bench_store(path, args.rows, args.batch, args.pnl_days)
        rng = np.random.default_rng(1)
        hits = [sample[i] for i in rng.integers(0, len(sample), 200)]
        misses = [hashlib.sha1(f"absent {i}".encode()).hexdigest() for i in range(200)]
        key = json.dumps(SETTINGS[0], sort_keys=True)
        hit_ms = median_ms(lambda: [store.is_simulated(h, key, "{}") for h in hits], 5) / len(hits)
        miss_ms = median_ms(lambda: [store.is_simulated(h, key, "{}") for h in misses], 5) / len(misses)
        keys_ms = median_ms(lambda: store.simulated_keys(hits[:50] + misses[:50]), 20)
        top_ms = median_ms(lambda: store.top_simulations(50), 20)
        top_filtered_ms = median_ms(lambda: store.top_simulations(50, min_sharpe=1.0, settings_key=key), 20)
        counts_ms = median_ms(store.counts, 3)
        size = file_size(path)
        wal = Path(f"{path}-wal").stat().st_size if Path(f"{path}-wal").exists() else 0
        store.close()
    print(f"rows {args.rows:,} in batches of {args.batch}, PnL days {args.pnl_days}")
    print(f"load average {load_before:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall figures compare only at a load near 0)")
    print(f"record_batch        {rate[0]:12,.0f} rows/s wall  {rate[1]:10,.0f} rows/CPU-s")
    print(f"sqlite3 executemany {peer_rate[0]:12,.0f} rows/s wall  {peer_rate[1]:10,.0f} rows/CPU-s  ({peer_count:,} rows)")
    print(f"store / peer        {rate[0] / peer_rate[0]:12.2f} wall          {rate[1] / peer_rate[1]:10.2f} CPU")
    print(f"is_simulated        {hit_ms:9.3f} ms (hit)  {miss_ms:.3f} ms (miss)")
    print(f"simulated_keys(100) {keys_ms:9.3f} ms")
    print(f"top_simulations(50) {top_ms:9.3f} ms  (min_sharpe + settings filter: {top_filtered_ms:.3f} ms)")
    print(f"counts()            {counts_ms:9.3f} ms")
    print(f"file size           {size / 1e6:9.1f} MB  ({size / args.rows:.0f} bytes/row; the WAL, ~120 MB at most, is {wal / 1e6:.1f} MB of it)")


if __name__ == "__main__":
    main()
