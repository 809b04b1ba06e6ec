"""Alpha101 on the real S&P panel: our evaluator (all 101, per alpha and total) next to a
straightforward pandas implementation of a handful of them, measured in the same run.

Usage: python bench/alpha101.py [--data sp500_daily.parquet] [--groups sp500_sectors.parquet] [--repeat 3]

Prints one row per alpha (ms, best of --repeat, after a warm-up pass that pays numba's
compilation), the total with and without a shared ResultCache, and for the pandas peers the
ratio pandas / ours and the largest difference between the two results. The rank conventions
differ (ours: uniform 0..1, (r - 1) / (n - 1); pandas pct / rankdata: r / n), so alphas 3, 4
and 33 differ by up to that convention; 6, 12 and 101 match to rounding.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import rankdata

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from expressions import EvaluationError, Evaluator, ExpressionError, ResultCache  # noqa: E402
from pipelines.load import load_panel  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def ts_rank_pandas(df: pd.DataFrame, window: int) -> pd.DataFrame:
    # As public Alpha101 ports write it: rankdata of each window, today's rank.
    return df.rolling(window).apply(lambda x: rankdata(x)[-1] / len(x), raw=True)


def pandas_alphas(frames: dict[str, pd.DataFrame]) -> dict[str, callable]:
    o, c, v, lo = frames["open"], frames["close"], frames["volume"], frames["low"]
    h = frames["high"]
    return {
        "3": lambda: -1 * o.rank(axis=1, pct=True).rolling(10).corr(v.rank(axis=1, pct=True)),
        "4": lambda: -1 * ts_rank_pandas(lo.rank(axis=1, pct=True), 9),
        "6": lambda: -1 * o.rolling(10).corr(v),
        "12": lambda: np.sign(v.diff(1)) * (-1 * c.diff(1)),
        "33": lambda: (-1 * (1 - o / c) ** 1).rank(axis=1, pct=True),
        "101": lambda: (c - o) / ((h - lo) + 0.001),
    }


def best_time(fn, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DATA / "sp500_daily.parquet"))
    parser.add_argument("--groups", default=str(DATA / "sp500_sectors.parquet"))
    parser.add_argument("--formulas", default=str(DATA / "alpha101_formulas.txt"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    panel = load_panel(args.data, groups=args.groups, cache_dir=tempfile.mkdtemp(prefix="bench101-"))
    formulas = [line.split("\t", 1) for line in Path(args.formulas).read_text().splitlines() if line.strip()]
    ev = Evaluator.from_panel(panel, universe="ALL")

    ours: dict[str, float] = {}
    results: dict[str, np.ndarray] = {}
    errors: dict[str, str] = {}
    for number, formula in formulas:  # warm-up: numba compiles each kernel once
        try:
            ev.evaluate(formula)
        except (ExpressionError, EvaluationError) as error:
            errors[number] = str(error)
    for number, formula in formulas:
        if number not in errors:
            ours[number], results[number] = best_time(lambda f=formula: ev.evaluate(f), args.repeat)

    shared = Evaluator.from_panel(panel, universe="ALL", cache=ResultCache(1_000_000_000))
    start = time.perf_counter()
    for number, formula in formulas:
        if number not in errors:
            shared.evaluate(formula)
    shared_total = time.perf_counter() - start

    frames = {
        name: pd.DataFrame(np.array(panel.fields[name]), index=panel.dates, columns=panel.symbols)
        for name in ("open", "high", "low", "close", "volume")
    }
    peers = {n: best_time(fn, 1 if n == "4" else args.repeat) for n, fn in pandas_alphas(frames).items()}

    print(f"panel: {panel.T} dates x {panel.N} symbols; times are best of {args.repeat} (ms)")
    print(f"{'alpha':>5} {'ours ms':>9} {'pandas ms':>10} {'pandas/ours':>12} {'max |diff|':>11}")
    for number, _ in formulas:
        if number in errors:
            print(f"{number:>5}  skipped: {errors[number]}")
            continue
        row = f"{number:>5} {ours[number] * 1e3:9.1f}"
        if number in peers:
            peer_time, peer_values = peers[number]
            diff = np.nanmax(np.abs(np.asarray(peer_values, dtype=float) - results[number]))
            row += f" {peer_time * 1e3:10.1f} {peer_time / ours[number]:12.1f} {diff:11.2e}"
        print(row)
    total = sum(ours.values())
    print(f"total, {len(ours)} alphas, no shared cache: {total:.2f} s ({total / len(ours) * 1e3:.1f} ms per alpha)")
    print(f"total, {len(ours)} alphas, one shared ResultCache: {shared_total:.2f} s; {shared.cache!r}")
    ours_peer = sum(ours[n] for n in peers)
    pandas_peer = sum(t for t, _ in peers.values())
    print(f"the {len(peers)} pandas peers ({', '.join(peers)}): pandas {pandas_peer:.2f} s, ours "
          f"{ours_peer:.3f} s, ratio pandas/ours {pandas_peer / ours_peer:.1f}x")


if __name__ == "__main__":
    main()
