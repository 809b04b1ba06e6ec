"""First load (parquet -> Panel -> cache write) vs cached load (hash + memory map) of a data file.

Usage: python bench/load.py [PATH] [--repeat K]   (default PATH: ../shared/data/sp500_daily.parquet)
Prints the median of K runs of each and the ratio first / cached (goal: >= 10).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import structlog

from pipelines.load import load_panel

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sp500_daily.parquet"


def timed(path: Path, cache_dir: Path) -> tuple[float, object]:
    start = time.perf_counter()
    panel = load_panel(path, cache_dir=cache_dir)
    panel.field("close")[-1].sum()  # touch a field so the cached side pays for paging it in
    return time.perf_counter() - start, panel


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", default=str(DEFAULT))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))  # errors only
    path = Path(args.path)
    with tempfile.TemporaryDirectory() as warm:
        load_panel(path, cache_dir=warm)  # warm imports and polars' thread pool
    first, cached = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as cache_dir:
            seconds, panel = timed(path, Path(cache_dir))
            first.append(seconds)
            seconds, hit = timed(path, Path(cache_dir))
            cached.append(seconds)
            assert hit.cache_path == panel.cache_path
    first_s, cached_s = statistics.median(first), statistics.median(cached)
    print(f"file: {path} ({panel.T} dates x {panel.N} symbols, {len(panel.fields.stored_names())} stored fields)")
    print(f"first load (read + pivot + cache write): {first_s * 1e3:8.1f} ms  (median of {args.repeat})")
    print(f"cached load (sha256 + memory map):       {cached_s * 1e3:8.1f} ms  (median of {args.repeat})")
    print(f"ratio first / cached: {first_s / cached_s:.1f}x (goal >= 10x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
