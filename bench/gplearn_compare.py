"""gplearn's SymbolicTransformer against our miner: same S&P data, same split, same wall clock.

1. Ours: the miner (``miner.session`` + ``miner.cycle``, default settings, no LLM, local executor,
   one process) mines for --minutes on the first 80% of dates (the simulator's IS split).
2. gplearn: ``SymbolicTransformer`` (population --population, hall of fame 100, 10 components,
   metric spearman, its default function set plus sqrt/log/abs/neg/inv/max/min, n_jobs 1 like
   our local executor) grows one generation at a time (warm start) until the same --minutes are
   spent. gplearn is not panel-aware: it sees stacked (date, symbol) rows of in-sample dates
   (--rows of them drawn at random) with features it cannot build itself precomputed per stock:
   open, high, low, close, volume, vwap, returns, returns of the previous day, 5- and 20-day
   returns, 20-day volatility, volume over its 20-day mean, (high - low) / close and close over
   its 20-day mean. Its target is the next-day return ranked across stocks on each day (so its
   Spearman over stacked rows rewards the cross-sectional ordering the rank IC measures).
3. Both are judged the same way: each alpha / component on every (date, symbol), oriented by the
   sign of its in-sample rank IC, then its OS rank IC = mean over OS days of the cross-sectional
   Spearman correlation with the next-day return. Ours: the top --top distinct alphas by score
   (alpha values as simulated: settings and params applied).

Usage: .venv/bin/python bench/gplearn_compare.py [--minutes 3] [--population 1000] [--rows 100000]
       [--top 10] [--data ...] [--groups ...] [--json]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    SP500_DAILY,
    SP500_SECTORS,
    bench_config,
    bench_main,
    daily_rank_ic,
    distinct_top,
    fmt,
    forward_returns,
    mine,
    print_table,
    simulated_expression,
)

from expressions import parse  # noqa: E402
from pipelines.candidates import alpha_values  # noqa: E402
from pipelines.load import load_panel  # noqa: E402
from pipelines.settings import split_index  # noqa: E402
from state import Store  # noqa: E402

FUNCTIONS = ("add", "sub", "mul", "div", "sqrt", "log", "abs", "neg", "inv", "max", "min")


def features(panel) -> dict[str, np.ndarray]:
    """The [T, N] inputs gplearn gets: raw fields plus the per-stock lags and ratios it cannot build."""
    raw = {name: np.asarray(panel.field(name), dtype=np.float64)
           for name in ("open", "high", "low", "close", "volume", "vwap", "returns")}
    close = pd.DataFrame(raw["close"])
    returns = pd.DataFrame(raw["returns"])
    volume = pd.DataFrame(raw["volume"])
    derived = {
        "returns_lag1": returns.shift(1),
        "return_5d": close / close.shift(5) - 1,
        "return_20d": close / close.shift(20) - 1,
        "volatility_20d": returns.rolling(20).std(),
        "volume_ratio_20d": volume / volume.rolling(20).mean(),
        "range": pd.DataFrame((raw["high"] - raw["low"]) / raw["close"]),
        "close_to_mean_20d": close / close.rolling(20).mean(),
    }
    return {**raw, **{name: frame.to_numpy() for name, frame in derived.items()}}


def daily_ranks(values: np.ndarray) -> np.ndarray:
    """Each day's values as centred ranks in [-0.5, 0.5] (NaN stays NaN)."""
    ranked = pd.DataFrame(values).rank(axis=1, pct=True).to_numpy()
    return ranked - 0.5


def stacked(inputs: dict[str, np.ndarray], days: slice) -> tuple[np.ndarray, np.ndarray]:
    """Rows (date, symbol) of ``days`` as a [rows, features] matrix, and which cells they are."""
    matrix = np.stack([v[days] for v in inputs.values()], axis=-1).reshape(-1, len(inputs))
    ok = np.isfinite(matrix).all(axis=1)
    return matrix, ok


def fit_gplearn(x: np.ndarray, y: np.ndarray, names: list[str], budget_s: float, args: argparse.Namespace):
    """Grow the transformer one generation at a time until ``budget_s`` seconds are spent."""
    from gplearn.genetic import SymbolicTransformer

    model = SymbolicTransformer(population_size=args.population, hall_of_fame=min(100, args.population),
                                n_components=min(args.top, args.population),
                                generations=1, function_set=FUNCTIONS, metric="spearman",
                                parsimony_coefficient=0.0005, max_samples=0.9, feature_names=names,
                                warm_start=True, n_jobs=1, random_state=args.seed)
    started = time.perf_counter()
    generations = 0
    while True:
        model.set_params(generations=generations + 1)
        model.fit(x, y)
        generations += 1
        if time.perf_counter() - started >= budget_s:
            break
    return model, generations, time.perf_counter() - started


def judged(values: np.ndarray, forward: np.ndarray, is_end: int) -> dict:
    """IS and OS rank IC of one [T, N] signal, oriented by the sign of its IS rank IC."""
    is_ic = daily_rank_ic(values, forward, range(0, is_end - 1))
    sign = -1.0 if np.isfinite(is_ic) and is_ic < 0 else 1.0
    os_ic = daily_rank_ic(values, forward, range(is_end, values.shape[0] - 1))
    return {"is_rank_ic": sign * is_ic, "os_rank_ic": sign * os_ic, "flipped": sign < 0}


def gplearn_side(panel, forward: np.ndarray, is_end: int, budget_s: float, args: argparse.Namespace) -> dict:
    inputs = features(panel)
    target = daily_ranks(forward)
    x_is, ok_is = stacked(inputs, slice(0, is_end - 1))
    y_is = target[: is_end - 1].reshape(-1)
    usable = np.flatnonzero(ok_is & np.isfinite(y_is))
    rng = np.random.default_rng(args.seed)
    rows = rng.choice(usable, size=min(args.rows, len(usable)), replace=False)
    model, generations, seconds = fit_gplearn(x_is[rows], y_is[rows], list(inputs), budget_s, args)
    x_all, ok_all = stacked(inputs, slice(None))
    out = np.full((len(x_all), args.top), np.nan)
    out[ok_all] = model.transform(x_all[ok_all])
    components = []
    for k, program in enumerate(model._best_programs):
        values = out[:, k].reshape(panel.T, panel.N)
        components.append({"expression": str(program), **judged(values, forward, is_end)})
    return {"generations": generations, "seconds": round(seconds, 1), "rows": len(rows),
            "population": args.population, "components": components}


def our_side(db: str, panel, forward: np.ndarray, is_end: int, k: int) -> list[dict]:
    rows = []
    for simulation in distinct_top(Store(db), k):
        text, settings = simulated_expression(simulation)
        values = np.asarray(alpha_values(parse(text, fields=panel.fields, groups=panel.groups), panel, settings))
        rows.append({"expression": text, "is_sharpe": (simulation.get("metrics") or {}).get("sharpe"),
                     **judged(values, forward, is_end)})
    return rows


def mean_os(rows: list[dict]) -> float:
    """Mean OS rank IC; a signal with no OS rank IC (constant across names every day) counts as 0."""
    values = [r["os_rank_ic"] if np.isfinite(r["os_rank_ic"]) else 0.0 for r in rows]
    return float(np.mean(values)) if values else float("nan")


def run(args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="alphaminer-gplearn-") as tmp:
        cache = args.cache_dir or tmp
        config = bench_config(f"sqlite:///{tmp}/store.db", data=args.data, groups=args.groups, cache_dir=cache,
                              seed=args.seed)
        totals = mine(config, args.minutes)
        panel = load_panel(args.data, groups=args.groups, cache_dir=cache)
        is_end = split_index(panel.T, 0.2)
        forward = forward_returns(panel)
        ours = our_side(config.db, panel, forward, is_end, args.top)
        theirs = gplearn_side(panel, forward, is_end, totals["mining_seconds"], args)
    ours_mean, theirs_mean = mean_os(ours), mean_os(theirs["components"])
    return {"data": args.data, "minutes": args.minutes, "is_days": is_end, "os_days": panel.T - is_end - 1,
            "ours": {**totals, "alphas": ours, "mean_os_rank_ic": ours_mean},
            "gplearn": {**theirs, "mean_os_rank_ic": theirs_mean},
            "ratio_mean_os_rank_ic": ours_mean / theirs_mean if theirs_mean else None}


def print_report(report: dict) -> None:
    ours, theirs = report["ours"], report["gplearn"]
    print_table(f"ours: top {len(ours['alphas'])} alphas by score after {ours['mining_seconds']}s of mining "
                f"({ours['simulated']} simulated)", ["#", "IS rank IC", "OS rank IC", "expression"],
                [[i + 1, fmt(r["is_rank_ic"], ".4f"), fmt(r["os_rank_ic"], ".4f"), r["expression"]]
                 for i, r in enumerate(ours["alphas"])])
    print_table(f"gplearn SymbolicTransformer: {theirs['generations']} generations x {theirs['population']} "
                f"in {theirs['seconds']}s on {theirs['rows']} stacked (date, symbol) rows",
                ["#", "IS rank IC", "OS rank IC", "flipped", "program"],
                [[i + 1, fmt(r["is_rank_ic"], ".4f"), fmt(r["os_rank_ic"], ".4f"), "yes" if r["flipped"] else "",
                  r["expression"]] for i, r in enumerate(theirs["components"])])
    print(f"mean OS rank IC: ours {fmt(ours['mean_os_rank_ic'], '.4f')}, gplearn {fmt(theirs['mean_os_rank_ic'], '.4f')}, "
          f"ratio ours / gplearn {fmt(report['ratio_mean_os_rank_ic'], '.2f')} "
          f"({report['is_days']} IS days, {report['os_days']} OS days)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="wall-clock budget of each side (default 3)")
    parser.add_argument("--population", type=int, default=1000, help="gplearn population (default 1000)")
    parser.add_argument("--rows", type=int, default=100_000, help="stacked IS rows gplearn fits on")
    parser.add_argument("--top", type=int, default=10, help="our alphas and gplearn's components compared")
    parser.add_argument("--data", default=str(SP500_DAILY), help="daily data (default ../shared/data/sp500_daily.parquet)")
    parser.add_argument("--groups", default=str(SP500_SECTORS), help="groups file (default ../shared/data/sp500_sectors.parquet)")
    parser.add_argument("--seed", type=int, default=0, help="seed of both searches")
    parser.add_argument("--cache-dir", help="panel cache (default: a temporary directory)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        import gplearn  # noqa: F401
    except ImportError:
        print("gplearn_compare: gplearn is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    return bench_main("gplearn_compare", args, run, print_report, (("--data", args.data), ("--groups", args.groups)))


if __name__ == "__main__":
    sys.exit(main())
