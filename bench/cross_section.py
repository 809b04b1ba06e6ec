"""Cross-sectional, group and elementwise operators against their pandas / numpy peers.

Usage: python bench/cross_section.py [--days T] [--stocks N] [--groups G] [--repeat K] [--sp500]
(default [1260, 500], 11 groups: five years of an S&P-500-sized panel, sector-sized groups).
``--sp500`` takes x and y from the S&P data instead (5-day differences of close and open: real
prices make many ties and values a few ulps apart, the hard case of the rank kernels) and the
groups from its industries (60).

Prints, per operator, the median of K runs of ours and of its peer measured in the same run,
the ratio peer / ours (> 1: ours is faster) and ours / numpy copy (the floor: one pass that
only reads and writes [T, N]). Results are checked equal to the peer before timing.
Times are this process's CPU time (all code here is single-threaded), so that other work on
shared cores does not land in the figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from expressions.kernels.elementwise import member_or_nan_ufunc  # noqa: E402
from expressions.ops import arith, cross_section, group, logical  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def median_seconds(fn, repeat: int) -> float:
    fn()  # compile (numba) and warm caches outside the timing
    runs = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        runs.append(time.process_time() - start)
    return statistics.median(runs)


def pandas_rank(x: np.ndarray) -> np.ndarray:
    frame = pd.DataFrame(x)
    ranks = frame.rank(axis=1, method="average")
    count = frame.count(axis=1).to_numpy()[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count == 1, 0.5, (ranks.to_numpy() - 1) / (count - 1))


def numpy_zscore(x: np.ndarray) -> np.ndarray:
    mean = np.nanmean(x, axis=1, keepdims=True)
    return (x - mean) / np.nanstd(x, axis=1, keepdims=True)


def pandas_group_neutralize(x: np.ndarray, codes: np.ndarray) -> np.ndarray:
    by_stock = pd.DataFrame(x.T)
    return (by_stock - by_stock.groupby(codes).transform("mean")).to_numpy().T


def pandas_group_zscore(x: np.ndarray, codes: np.ndarray) -> np.ndarray:
    grouped = pd.DataFrame(x.T).groupby(codes)
    mean, std = grouped.transform("mean"), grouped.transform(lambda g: g.std(ddof=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = ((pd.DataFrame(x.T) - mean) / std.where(std > 0)).to_numpy().T
    return z


def pandas_group_rank(x: np.ndarray, codes: np.ndarray) -> np.ndarray:
    by_stock = pd.DataFrame(x.T)
    grouped = by_stock.groupby(codes)
    ranks = grouped.rank(method="average").to_numpy()
    count = grouped.transform("count").to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count == 1, 0.5, (ranks - 1) / (count - 1)).T


def numpy_divide(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        q = x / y
    q[~np.isfinite(q)] = np.nan
    return q


def numpy_less(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(x) | np.isnan(y), np.nan, (x < y).astype(np.float64))


def numpy_if_else(c: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(c), np.nan, np.where(c != 0, a, b))


def cases(x, y, c, codes, universe):
    codes_2d = np.broadcast_to(codes, x.shape)
    return [
        ("rank", lambda: cross_section.rank(x), "pandas rank(axis=1)", lambda: pandas_rank(x)),
        ("zscore", lambda: cross_section.zscore(x), "numpy nanmean/nanstd", lambda: numpy_zscore(x)),
        ("group_neutralize", lambda: group.group_neutralize(x, codes_2d),
         "pandas groupby.transform", lambda: pandas_group_neutralize(x, codes)),
        ("group_zscore", lambda: group.group_zscore(x, codes_2d),
         "pandas groupby.transform", lambda: pandas_group_zscore(x, codes)),
        ("group_rank", lambda: group.group_rank(x, codes_2d),
         "pandas groupby.rank", lambda: pandas_group_rank(x, codes)),
        ("pasteurize", lambda: member_or_nan_ufunc(x, universe), "numpy where", lambda: np.where(universe, x, np.nan)),
        ("divide", lambda: arith.divide(x, y), "numpy / + isfinite", lambda: numpy_divide(x, y)),
        ("less", lambda: logical.less(x, y), "numpy where(isnan)", lambda: numpy_less(x, y)),
        ("if_else", lambda: logical.if_else(c, x, y), "numpy where x2", lambda: numpy_if_else(c, x, y)),
    ]


def sp500_inputs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """5-day differences of close and of open on the S&P panel, and its industry codes."""
    from pipelines.executors import PanelSource

    panel = PanelSource("file", str(SHARED / "sp500_daily.parquet"), groups=str(SHARED / "sp500_sectors.parquet")).load()

    def delta(field: str) -> np.ndarray:
        values = np.asarray(panel.fields[field], dtype=np.float64)
        out = np.full(values.shape, np.nan)
        out[5:] = values[5:] - values[:-5]
        return out

    return delta("close"), delta("open"), np.asarray(panel.groups["industry"], dtype=np.int64)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=1260)
    parser.add_argument("--stocks", type=int, default=500)
    parser.add_argument("--groups", type=int, default=11)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--sp500", action="store_true", help="x, y and groups from the S&P data")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    if args.sp500:
        x, y, codes = sp500_inputs()
        args.days, args.stocks = x.shape
        args.groups = int(codes.max()) + 1
    else:
        shape = (args.days, args.stocks)
        x = np.round(rng.normal(size=shape), 3)  # rounded: ties occur, as in prices
        x[rng.random(shape) < 0.05] = np.nan
        y = np.round(rng.normal(size=shape), 1)  # many exact zeros for divide
        codes = rng.integers(0, args.groups, size=args.stocks)
    shape = x.shape
    c = rng.choice([0.0, 1.0, np.nan], size=shape)
    universe = rng.random(shape) < 0.9
    floor = median_seconds(lambda: x.copy(), args.repeat)
    print(f"shape [{args.days}, {args.stocks}], {args.groups} groups, median of {args.repeat} runs")
    print(f"numpy copy floor: {floor * 1e3:.2f} ms")
    print(f"{'operator':<17}{'ours ms':>9}  {'peer':<25}{'peer ms':>9}{'peer/ours':>11}{'ours/copy':>11}")
    for name, ours, peer_name, peer in cases(x, y, c, codes, universe):
        np.testing.assert_allclose(ours(), peer(), rtol=1e-9, atol=1e-12, err_msg=name)
        ours_s = median_seconds(ours, args.repeat)
        peer_s = median_seconds(peer, args.repeat)
        print(f"{name:<17}{ours_s * 1e3:>9.2f}  {peer_name:<25}{peer_s * 1e3:>9.2f}"
              f"{peer_s / ours_s:>10.1f}x{ours_s / floor:>10.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
