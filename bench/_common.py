"""Shared glue of the quality benches (recovery, sp500_os, gplearn_compare): a time-boxed mining
run through the miner's own session and cycle, the OS figures of stored alphas the way ``submit``
computes them, the daily rank IC both sides of a comparison are judged by, and table printing.

Nothing here is timed against a peer; the scripts do that.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from miner.config import MinerConfig  # noqa: E402
from miner.cycle import CycleSummary, run_cycle  # noqa: E402
from miner.session import mining_session  # noqa: E402

SHARED_DATA = ROOT.parent / "shared" / "data"
SP500_DAILY = SHARED_DATA / "sp500_daily.parquet"
SP500_SECTORS = SHARED_DATA / "sp500_sectors.parquet"


def bench_main(name: str, args: Any, run: Callable[[Any], dict], print_report: Callable[[dict], None],
               files: tuple[tuple[str, Any], ...] = ()) -> int:
    """What every bench's main() does: check its input files (exit 2 naming the missing one),
    quiet the logs, run, and print the report (as JSON with --json)."""
    for label, path in files:
        if path and not Path(path).is_file():
            print(f"{name}: {label} file not found: {path}", file=sys.stderr)
            return 2
    quiet_logs()
    report = run(args)
    if args.json:
        print(json.dumps(report, default=str))
    else:
        print_report(report)
    return 0


def quiet_logs() -> None:
    """Warnings only, on stderr: the benches print their tables (or JSON) on stdout."""
    from miner.logs import configure_logging

    configure_logging()
    logging.getLogger().setLevel(logging.WARNING)


def bench_config(db: str, *, data: str = "synthetic", groups: str | None = None,
                 synthetic_config: str | None = None, cache_dir: str | None = None, seed: int = 0) -> MinerConfig:
    """The product's default miner on ``data``, with a given store, no LLM and no log file."""
    config = MinerConfig()
    config.db = db
    config.data.path = data
    config.data.groups = groups
    config.data.synthetic_config = synthetic_config
    config.data.cache_dir = cache_dir
    config.evolution.seed = seed
    config.llm.enabled = False
    config.daemon.log_file = None
    return config.validate()


@dataclasses.dataclass
class MiningProgress:
    """What the caller's ``on_cycle`` callback sees after each cycle (or the partial last one)."""

    cycle: int
    mining_seconds: float
    simulated: int
    generations: int
    summary: CycleSummary


def mine(config: MinerConfig, minutes: float, on_cycle: Callable[[Any, MiningProgress], None] | None = None) -> dict:
    """Run the miner's cycles (``miner.cycle.run_cycle``, as ``alphaminer run`` does) for ``minutes``
    of mining time, stopping between batches at the deadline. ``on_cycle(ctx, progress)`` runs after
    each cycle; its own time is not counted as mining time.

    Returns
    -------
    dict : cycles, generations, simulated (candidates simulated), mining_seconds, load_seconds.
    """
    budget = minutes * 60.0
    started = time.perf_counter()
    with mining_session(config, mode="once", llm=False) as ctx:
        load_seconds = time.perf_counter() - started
        mined, simulated, generations, cycle = 0.0, 0, 0, 0
        while mined < budget:
            timer = threading.Timer(budget - mined, ctx.stop.set)
            timer.start()
            try:
                summary = run_cycle(ctx, llm=False)
            finally:
                timer.cancel()
            cycle += 1
            mined += summary.seconds
            simulated += summary.evaluated
            generations += summary.generations
            if on_cycle is not None:
                on_cycle(ctx, MiningProgress(cycle, mined, simulated, generations, summary))
            if ctx.stop.is_set():
                break
    return {"cycles": cycle, "generations": generations, "simulated": simulated,
            "mining_seconds": round(mined, 2), "load_seconds": round(load_seconds, 2)}


def simulated_expression(simulation: dict[str, Any]) -> tuple[str, Any]:
    """The expression text a stored simulation really ran (params applied) and its settings."""
    from pipelines.params import apply_params
    from pipelines.settings import SimulationSettings

    settings = SimulationSettings.from_dict(simulation["settings"])
    return apply_params(simulation["canonical"], settings, simulation.get("params") or {})


def distinct_top(store: Any, k: int, metric: str = "score", pool: int = 2000) -> list[dict[str, Any]]:
    """The best ``k`` stored simulations by ``metric``, one per simulated expression."""
    seen, out = set(), []
    for simulation in store.top_simulations(pool, metric=metric):
        text, _ = simulated_expression(simulation)
        if text in seen:
            continue
        seen.add(text)
        out.append(simulation)
        if len(out) == k:
            break
    return out


def daily_rank_ic(values: np.ndarray, forward: np.ndarray, days: range | np.ndarray) -> float:
    """Mean over ``days`` of the cross-sectional Spearman correlation of values[t] and forward[t]
    (``miner.rank_correlation``: average ranks for ties, days with fewer than 5 finite pairs or
    no spread skipped; NaN when no day has 5 pairs, 0.0 when none of those has spread)."""
    from miner.rank_correlation import mean_rank_correlation

    rows = np.asarray(list(days), dtype=np.int64)
    if rows.size == 0:
        return float("nan")
    a, b = np.asarray(values, dtype=np.float64)[rows], np.asarray(forward, dtype=np.float64)[rows]
    ok = np.isfinite(a) & np.isfinite(b)
    usable = (ok.sum(axis=1) >= 5).any()
    return mean_rank_correlation(a, b, ok) if usable else float("nan")


def forward_returns(panel: Any) -> np.ndarray:
    """forward[t] = return from the close of day t to the close of day t + 1 (NaN on the last day)."""
    returns = np.asarray(panel.returns, dtype=np.float64)
    forward = np.full_like(returns, np.nan)
    forward[:-1] = returns[1:]
    return forward


def fmt(value: Any, spec: str = ".3f") -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "-"
    return format(value, spec) if isinstance(value, (int, float)) else str(value)


def print_table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    """A plain fixed-width table on stdout (benches avoid rich so logs and output stay apart)."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(col)] + [len(r[i]) for r in cells]) for i, col in enumerate(columns)]
    print(title)
    print("  ".join(col.ljust(w) for col, w in zip(columns, widths)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    print()
