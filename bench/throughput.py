"""Simulated candidates per second: local vs a process pool vs Dask, on the S&P panel.

200 fixed, typical expressions (templates x fields x windows, in a fixed shuffled order, so
they share subtrees as a GA generation does) are simulated with default settings by each
executor. Each executor is started and warmed up on other expressions first, as in a daemon's
steady state: every template on a window the batch does not use, several times over, so that
every worker has opened the panel and loaded every numba kernel the batch needs; then every
template x field on three more unused windows, so that every worker's result cache is full (each
worker has its own: filling them page-faults in ``workers`` x the cache budget, which is a
start-up cost, not a per-candidate one; ``--cold-caches`` skips this step to show it). Only the
batch itself is timed. Ratios are against the local executor measured in the same run.

Besides wall-clock rates the table gives CPU ms per candidate: the CPU seconds the executor's
processes (this one for local, the pool's or Dask's workers otherwise) spent on the batch, per
candidate, of which "sys ms" in the kernel, and their minor page faults per candidate (a
freshly touched 4 KiB page each: ~9 us of system CPU apiece on a virtual machine). "busy %" is
that CPU over the batch's wall time x workers: below 100 the workers waited (for a core the
box's other jobs held, or for each other at the end of the batch). On a box shared with other
jobs the wall rates depend on the load, the CPU cost much less: process(2) / dask(2) reach
about 2 * 1000 / (CPU ms) candidates/s on two free cores, less what "parent ms" takes from
them: the CPU this process spent meanwhile (sending tasks, receiving results; with Dask's
LocalCluster also its scheduler).

Usage: .venv/bin/python bench/throughput.py [--workers 2] [--kinds local,process,dask]
       [--data FILE --groups FILE] [--count 200] [--cold-caches] [--json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.candidates import Candidate  # noqa: E402
from pipelines.executors import PanelSource, make_executor  # noqa: E402
from pipelines.settings import SimulationSettings  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
TEMPLATES = (
    "-rank(ts_delta({f}, {w}))",
    "rank({f} / ts_mean({f}, {w}))",
    "-ts_corr({f}, volume, {w})",
    "group_neutralize(rank(ts_mean({f}, {w})), sector)",
    "-ts_rank({f}, {w})",
    "zscore(ts_delta({f}, {w}) / {f})",
    "rank(ts_std_dev(returns, {w})) * -rank({f})",
    "group_rank(-ts_delta({f}, {w}), industry)",
    "ts_decay_linear(rank(-returns), {w}) * rank({f})",
    "-ts_covariance(rank({f}), rank(volume), {w})",
)
FIELDS = ("close", "open", "high", "low", "vwap")
WINDOWS = (3, 5, 10, 20)
WARMUP_WINDOW = 7  # not in WINDOWS: warm-up results never serve the timed batch from a cache
FILL_WINDOWS = (8, 15, 30)  # not in WINDOWS either


def warmup_expressions(workers: int) -> list[str]:
    """Every template on close with a window the batch does not use, 4 x workers times over.

    ``chunks`` cuts it into tasks of exactly one copy each (then a tail of smaller ones), and
    each worker takes one of the first tasks, so every worker runs every template (a shorter
    list let a worker see only half of them and load the other half's kernels inside the
    timed batch).
    """
    return [t.format(f="close", w=WARMUP_WINDOW) for t in TEMPLATES] * (4 * max(1, workers))


def fill_expressions() -> list[str]:
    """Every field x FILL_WINDOWS x template (template varying fastest): ~350 new [T, N] results,
    enough to fill the result cache (512 MiB, ~130 S&P arrays) of each of two workers."""
    return [t.format(f=f, w=w) for f, w, t in itertools.product(FIELDS, FILL_WINDOWS, TEMPLATES)]


def typical_expressions(count: int = 200) -> list[str]:
    """``count`` fixed expressions from TEMPLATES x FIELDS x WINDOWS in a seeded order."""
    every = [t.format(f=f, w=w) for t, f, w in itertools.product(TEMPLATES, FIELDS, WINDOWS)]
    random.Random(0).shuffle(every)
    return every[:count]


def measure(kind: str, source: PanelSource, expressions: list[str], workers: int, fill: bool = True) -> dict:
    """Start + warm up one executor (and fill its caches), then time one batch of the expressions."""
    started = time.perf_counter()
    executor = make_executor(kind, source, workers=workers)
    try:
        executor.evaluate_batch([Candidate(e) for e in warmup_expressions(workers)])
        if fill:
            executor.evaluate_batch([Candidate(e) for e in fill_expressions()])
        ready = time.perf_counter()
        before = executor_usage(executor)
        parent_before = time.process_time()
        results = executor.evaluate_batch([Candidate(e, SimulationSettings()) for e in expressions])
        elapsed = time.perf_counter() - ready
        used = [after - first for after, first in zip(executor_usage(executor), before)]
        parent = time.process_time() - parent_before if kind != "local" else 0.0
    finally:
        executor.close()
    errors = [r.error for r in results if not r.ok]
    count = len(results)
    return {
        "kind": kind,
        "workers": 1 if kind == "local" else workers,
        "candidates": count,
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "startup_s": round(ready - started, 2),
        "batch_s": round(elapsed, 3),
        "per_second": round(count / elapsed, 1),
        "busy_percent": round((used[0] + used[1]) / (elapsed * (1 if kind == "local" else workers)) * 100),
        "cpu_ms_per_candidate": round((used[0] + used[1]) / count * 1e3, 1),
        "sys_ms_per_candidate": round(used[1] / count * 1e3, 1),
        "page_faults_per_candidate": round(used[2] / count),
        "parent_ms_per_candidate": round(parent / count * 1e3, 1),
    }


def executor_usage(executor) -> tuple[float, float, int]:
    """(user CPU s, system CPU s, minor page faults) so far of the processes running candidates."""
    if executor.kind == "local":
        return _own_usage()
    if executor.kind == "dask":
        return tuple(map(sum, zip(*executor.client.run(_own_usage).values())))
    pool = executor._pool  # the pool's worker processes: read their counters from /proc
    rows = [_process_usage(pid) for pid in (pool._processes if pool is not None else {})]
    return tuple(map(sum, zip(*rows))) if rows else (0.0, 0.0, 0)


def _own_usage() -> tuple[float, float, int]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime, usage.ru_minflt


def _process_usage(pid: int) -> tuple[float, float, int]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick, int(fields[7])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(SHARED / "sp500_daily.parquet"))
    parser.add_argument("--groups", default=str(SHARED / "sp500_sectors.parquet"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kinds", default="local,process,dask")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--cache-dir", help="panel cache (default: a temporary directory)")
    parser.add_argument("--cold-caches", action="store_true", help="time the batch before the result caches are full")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        source = PanelSource("file", args.data, groups=args.groups, cache_dir=args.cache_dir or scratch)
        expressions = typical_expressions(args.count)
        rows = [measure(kind, source, expressions, args.workers, fill=not args.cold_caches)
                for kind in args.kinds.split(",")]
    base = next((r["per_second"] for r in rows if r["kind"] == "local"), rows[0]["per_second"])
    for row in rows:
        row["vs_local"] = round(row["per_second"] / base, 2)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'executor':<10}{'workers':>8}{'cands':>7}{'errors':>7}{'startup s':>11}{'batch s':>9}{'cands/s':>9}"
          f"{'vs local':>9}{'CPU ms/cand':>13}{'sys ms':>8}{'faults/cand':>13}{'busy %':>8}{'parent ms':>11}")
    for r in rows:
        print(f"{r['kind']:<10}{r['workers']:>8}{r['candidates']:>7}{r['errors']:>7}{r['startup_s']:>11}"
              f"{r['batch_s']:>9}{r['per_second']:>9}{r['vs_local']:>9}{r['cpu_ms_per_candidate']:>13}"
              f"{r['sys_ms_per_candidate']:>8}{r['page_faults_per_candidate']:>13}{r['busy_percent']:>8}{r['parent_ms_per_candidate']:>11}")
    for r in rows:
        if r["first_error"]:
            print(f"{r['kind']}: first error: {r['first_error']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
