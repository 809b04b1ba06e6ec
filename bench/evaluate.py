"""Expression evaluation cost per candidate in a batch, against a numpy copy of the panel.

The 200 typical expressions of bench/throughput.py are evaluated (``pipelines.candidates.
alpha_values``: the evaluator with default settings on the in-sample view, one ``ResultCache``
shared by the batch) the way the local executor does, after the same warm-up into that cache;
no simulation. Each repeat starts from a fresh cache. Times are this process's CPU time, so
other jobs on shared cores do not land in the figures; the peer is one numpy copy of a [T, N]
float64 field measured in the same run (the cost floor of anything producing a panel).

``--profile`` also prints where one batch spends its time (cProfile, top ``--top`` by own time).

Usage: .venv/bin/python bench/evaluate.py [--count 200] [--repeat 5] [--profile] [--top 20]
"""

from __future__ import annotations

import argparse
import cProfile
import resource
import pstats
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from throughput import SHARED, typical_expressions, warmup_expressions  # noqa: E402

from expressions import ResultCache, parse  # noqa: E402
from pipelines.candidates import alpha_values  # noqa: E402
from pipelines.executors import PanelSource  # noqa: E402
from pipelines.executors.base import DEFAULT_CACHE_BYTES  # noqa: E402
from pipelines.settings import SimulationSettings, split_index  # noqa: E402


def in_sample_view(settings: SimulationSettings):
    panel = PanelSource("file", str(SHARED / "sp500_daily.parquet"), groups=str(SHARED / "sp500_sectors.parquet")).load()
    return panel.head(split_index(panel.T, settings.os_fraction))


def evaluate_all(nodes, view, settings, cache) -> None:
    for node in nodes:
        alpha_values(node, view, settings, cache)


def batch_seconds(warm, nodes, view, settings, profile=None) -> tuple[float, dict]:
    """CPU seconds of one batch on a fresh cache warmed up like the executors' (untimed), and
    the cache's figures over the batch (the cache itself is dropped: holding several would
    make every batch after the first fault in fresh memory)."""
    cache = ResultCache(DEFAULT_CACHE_BYTES)
    evaluate_all(warm, view, settings, cache)
    hits, misses = cache.hits, cache.misses
    if profile is not None:
        profile.enable()
    start = time.process_time()
    evaluate_all(nodes, view, settings, cache)
    seconds = time.process_time() - start
    if profile is not None:
        profile.disable()
    figures = {"hits": cache.hits - hits, "misses": cache.misses - misses, "items": len(cache), "bytes": cache.nbytes}
    return seconds, figures


def copy_seconds(field: np.ndarray, repeat: int) -> float:
    runs = []
    for _ in range(max(repeat, 20)):
        start = time.process_time()
        field.copy()
        runs.append(time.process_time() - start)
    return statistics.median(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one more batch")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    settings = SimulationSettings()
    view = in_sample_view(settings)

    def parsed(texts):
        return [parse(text, fields=view.fields, groups=view.groups) for text in texts]

    warm, nodes = parsed(warmup_expressions(1)), parsed(typical_expressions(args.count))
    batch_seconds(warm, nodes, view, settings)  # numba compile / load, page faults
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    runs = [batch_seconds(warm, nodes, view, settings) for _ in range(args.repeat)]
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / args.repeat
    seconds = statistics.median(s for s, _ in runs)
    cache = runs[0][1]
    copy = copy_seconds(np.asarray(view.fields["close"]), args.repeat)
    per_candidate = seconds / len(nodes)
    print(f"panel [{view.T}, {len(view.symbols)}], {len(nodes)} expressions, median of {args.repeat} batches (CPU time)")
    print(f"evaluation: {per_candidate * 1e3:.2f} ms per candidate ({seconds:.3f} s per batch)")
    print(f"page faults per batch: {faults:.0f} (each new 4 KiB page the process touches)")
    print(f"numpy copy of one field: {copy * 1e3:.3f} ms; evaluation per candidate / copy: {per_candidate / copy:.1f}x")
    print(f"cache over the batch: {cache['hits']} hits, {cache['misses']} misses, {cache['items']} items, "
          f"{cache['bytes'] / 2**20:.0f} MiB")
    if args.profile:
        profile = cProfile.Profile()
        batch_seconds(warm, nodes, view, settings, profile)
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
