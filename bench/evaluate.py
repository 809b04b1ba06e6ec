"""Expression evaluation cost per candidate in a batch, against a numpy copy of the panel.

The 200 typical expressions of bench/throughput.py are evaluated (``pipelines.candidates.
alpha_values``: the evaluator with default settings on the in-sample view, one ``ResultCache``
shared by the batch) the way the local executor does, after the same warm-up into that cache;
no simulation. Two rows:

- fresh cache: each batch starts from an empty cache, as in bench/throughput.py (a new
  executor). Filling 512 MiB of cache makes the process fault in new memory: the page-fault
  (system) CPU is part of the figure, and is the noisy part of it on a busy machine.
- full cache: the cache is first filled with the same templates on other windows, as in a
  daemon's steady state: memory is reused and hardly any page faults remain.

Times are this process's CPU time (the median of ``--repeat`` batches), so other jobs on shared
cores do not land in them; the peer is one numpy copy of a [T, N] float64 field measured in the
same run (the cost floor of anything producing a panel). ``--profile`` also prints where one
full-cache batch spends its time (cProfile, wall clock, top ``--top`` by own time).

Usage: .venv/bin/python bench/evaluate.py [--count 200] [--repeat 5] [--profile] [--top 20]
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import pstats
import random
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from throughput import FIELDS, SHARED, TEMPLATES, typical_expressions, warmup_expressions  # noqa: E402

from expressions import ResultCache, parse  # noqa: E402
from pipelines.candidates import alpha_values  # noqa: E402
from pipelines.executors import PanelSource  # noqa: E402
from pipelines.executors.base import DEFAULT_CACHE_BYTES  # noqa: E402
from pipelines.settings import SimulationSettings, split_index  # noqa: E402

FILLER_WINDOWS = (4, 6, 8, 12, 15, 30)  # neither the batch's windows nor the warm-up's


def in_sample_view(settings: SimulationSettings):
    panel = PanelSource("file", str(SHARED / "sp500_daily.parquet"), groups=str(SHARED / "sp500_sectors.parquet")).load()
    return panel.head(split_index(panel.T, settings.os_fraction))


def filler_expressions() -> list[str]:
    every = [t.format(f=f, w=w) for t, f, w in itertools.product(TEMPLATES, FIELDS, FILLER_WINDOWS)]
    random.Random(1).shuffle(every)
    return every


def evaluate_all(nodes, view, settings, cache) -> None:
    for node in nodes:
        alpha_values(node, view, settings, cache)


def batch_figures(before, nodes, view, settings, profile=None) -> dict:
    """CPU seconds, page faults and cache figures of one batch on a fresh cache that first
    evaluates ``before`` (untimed). The cache is dropped on return: holding several would make
    every later batch fault in fresh memory."""
    cache = ResultCache(DEFAULT_CACHE_BYTES)
    evaluate_all(before, view, settings, cache)
    hits, misses = cache.hits, cache.misses
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    if profile is not None:
        profile.enable()
    start = time.process_time()
    evaluate_all(nodes, view, settings, cache)
    seconds = time.process_time() - start
    if profile is not None:
        profile.disable()
    return {
        "seconds": seconds,
        "faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults,
        "hits": cache.hits - hits,
        "misses": cache.misses - misses,
    }


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

    warm, nodes, filler = parsed(warmup_expressions(1)), parsed(typical_expressions(args.count)), parsed(filler_expressions())
    batch_figures(warm, nodes, view, settings)  # numba compile / load
    copy = copy_seconds(np.asarray(view.fields["close"]), args.repeat)
    print(f"panel [{view.T}, {len(view.symbols)}], {len(nodes)} expressions, median of {args.repeat} batches (CPU time)")
    print(f"numpy copy of one field: {copy * 1e3:.3f} ms")
    print(f"{'cache':<12}{'ms/cand':>9}{'/ copy':>8}{'faults/batch':>14}{'hits':>6}{'misses':>8}")
    for label, before in (("fresh", warm), ("full", filler + warm)):
        runs = [batch_figures(before, nodes, view, settings) for _ in range(args.repeat)]
        per_candidate = statistics.median(r["seconds"] for r in runs) / len(nodes)
        faults = statistics.median(r["faults"] for r in runs)
        print(f"{label:<12}{per_candidate * 1e3:>9.2f}{per_candidate / copy:>7.0f}x{faults:>14.0f}"
              f"{runs[0]['hits']:>6}{runs[0]['misses']:>8}")
    if args.profile:
        profile = cProfile.Profile()
        batch_figures(filler + warm, nodes, view, settings, profile)
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
