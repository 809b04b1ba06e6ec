"""Time-series kernels against the best peer measured in the same run.

Panel: [1260, 500] float64 (five years x 500 stocks), 5% NaNs, window 20 unless stated. For each
operator: our time, the best of bottleneck ``move_*`` / numbagg ``move_*`` / pandas rolling for
the same computation on the same array along axis 0, ratio = peer_ms / ms (> 1: we are faster),
and ours / a numpy copy of the panel (the memory-bandwidth floor). Best of ``--repeat`` runs
after one warm-up call. BRAIN ops require full windows; the ``qlib_*`` rows (min_count=1) time
the kernels' counting paths against peers called with ``min_count=1``.

Our kernels run on one thread, like bottleneck; numbagg's gufuncs spread over all cores unless
told otherwise, so they run with ``--peer-threads`` numba threads (default 1: the same work per
core; on the shared 2-core box more threads mostly measure the neighbours).

    python bench/kernels.py            # table
    python bench/kernels.py --json     # [{op, ms, peer, peer_ms, ratio, copy_ratio}, ...]
    python bench/kernels.py --cold     # also: first evaluation in a fresh process (numba cache)
    python bench/kernels.py --peer-threads 2   # numbagg on 2 threads
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import bottleneck as bn
import numba
import numbagg
import numpy as np
import pandas as pd

import expressions.ops  # noqa: F401  (registers the operators)
from expressions.kernels import timeseries_stats as stats
from expressions.registry import REGISTRY

T, N, W = 1260, 500, 20


def best_ms(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times) * 1e3


def cases(x: np.ndarray, y: np.ndarray):
    """(op, our call, {peer name: peer call}) for every benchmarked operator."""
    df, dfy = pd.DataFrame(x), pd.DataFrame(y)
    r = df.rolling(W)
    op = lambda name, *a, **k: (lambda: REGISTRY[name].fn(*a, **k))  # noqa: E731
    return [
        ("ts_sum", op("ts_sum", x, W), {"bottleneck": lambda: bn.move_sum(x, W, axis=0),
                                         "numbagg": lambda: numbagg.move_sum(x, window=W, axis=0), "pandas": r.sum}),
        ("ts_mean", op("ts_mean", x, W), {"bottleneck": lambda: bn.move_mean(x, W, axis=0),
                                           "numbagg": lambda: numbagg.move_mean(x, window=W, axis=0), "pandas": r.mean}),
        ("ts_std_dev", op("ts_std_dev", x, W), {"bottleneck": lambda: bn.move_std(x, W, axis=0, ddof=1),
                                                 "numbagg": lambda: numbagg.move_std(x, window=W, axis=0), "pandas": r.std}),
        ("ts_max", op("ts_max", x, W), {"bottleneck": lambda: bn.move_max(x, W, axis=0), "pandas": r.max}),
        ("ts_min", op("ts_min", x, W), {"bottleneck": lambda: bn.move_min(x, W, axis=0), "pandas": r.min}),
        ("ts_arg_max", op("ts_arg_max", x, W), {"bottleneck": lambda: bn.move_argmax(x, W, axis=0)}),
        ("ts_rank", op("ts_rank", x, W), {"bottleneck": lambda: bn.move_rank(x, W, axis=0),
                                           "pandas": lambda: r.rank(pct=True)}),
        ("ts_median", op("ts_median", x, W), {"bottleneck": lambda: bn.move_median(x, W, axis=0),
                                               "pandas": r.median}),
        ("ts_corr", op("ts_corr", x, y, W), {"numbagg": lambda: numbagg.move_corr(x, y, window=W, axis=0),
                                              "pandas": lambda: r.corr(dfy)}),
        ("ts_covariance", op("ts_covariance", x, y, W), {"numbagg": lambda: numbagg.move_cov(x, y, window=W, axis=0),
                                                         "pandas": lambda: r.cov(dfy)}),
        ("ts_skewness", op("ts_skewness", x, W), {"pandas": r.skew}),
        ("ts_kurtosis", op("ts_kurtosis", x, W), {"pandas": r.kurt}),
        ("ts_delta", op("ts_delta", x, W), {"pandas": lambda: df.diff(W)}),
        ("ts_decay_linear", op("ts_decay_linear", x, W), {}),
        ("ts_product", op("ts_product", x, W), {}),
        ("ts_regression", op("ts_regression", x, y, W, rettype=2), {}),
        ("qlib_ema", op("qlib_ema", x, W), {"numbagg": lambda: numbagg.move_exp_nanmean(x, alpha=2 / (W + 1), axis=0),
                                             "pandas": lambda: df.ewm(span=W, min_periods=1).mean()}),
        ("qlib_rank", op("qlib_rank", x, W), {"pandas": lambda: df.rolling(W, min_periods=1).rank(pct=True)}),
        ("qlib_slope", op("qlib_slope", x, W), {}),
        ("qlib_mean", op("qlib_mean", x, W), {"bottleneck": lambda: bn.move_mean(x, W, min_count=1, axis=0),
                                               "numbagg": lambda: numbagg.move_mean(x, window=W, min_count=1, axis=0)}),
        ("qlib_std", op("qlib_std", x, W), {"bottleneck": lambda: bn.move_std(x, W, min_count=1, axis=0, ddof=1),
                                             "numbagg": lambda: numbagg.move_std(x, window=W, min_count=1, axis=0)}),
        ("qlib_max", op("qlib_max", x, W), {"bottleneck": lambda: bn.move_max(x, W, min_count=1, axis=0)}),
        ("qlib_med", op("qlib_med", x, W), {"bottleneck": lambda: bn.move_median(x, W, min_count=1, axis=0)}),
        # Qlib's Corr adds two rolling stds (its flat-window rule); the kernel alone is numbagg's work.
        ("qlib_corr", op("qlib_corr", x, y, W), {}),
        ("corr_kernel_mc1", lambda: stats.ts_pair_2d(x, y, W, 1, stats.PAIR_CORR),
         {"numbagg": lambda: numbagg.move_corr(x, y, window=W, min_count=1, axis=0)}),
        ("qlib_cov", op("qlib_cov", x, y, W), {"numbagg": lambda: numbagg.move_cov(x, y, window=W, min_count=1,
                                                                                  axis=0)}),
    ]


COLD = (
    "import time; t=time.perf_counter(); import numpy as np; "
    "from expressions.registry import resolve; "
    "x=np.random.default_rng(0).normal(size=(1260,500)); "
    "[resolve(n).fn(x, 20) for n in ('ts_mean','ts_std_dev','ts_rank','ts_max','ts_decay_linear')]; "
    "print(time.perf_counter()-t)"
)


def cold_start_ms() -> float:
    """Import + first evaluation of five operators in a fresh interpreter (numba cache warm)."""
    subprocess.run([sys.executable, "-c", COLD], check=True, capture_output=True)  # fills the cache
    out = subprocess.run([sys.executable, "-c", COLD], check=True, capture_output=True, text=True)
    return float(out.stdout.strip()) * 1e3


def run(repeat: int, cold: bool, peer_threads: int = 1) -> list[dict]:
    numba.set_num_threads(min(peer_threads, numba.config.NUMBA_NUM_THREADS))
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(T, N)), rng.normal(size=(T, N))
    x[rng.random((T, N)) < 0.05] = np.nan
    y[rng.random((T, N)) < 0.05] = np.nan
    copy_ms = best_ms(x.copy, repeat)
    rows = [{"op": "numpy_copy", "ms": copy_ms, "peer": None, "peer_ms": None, "ratio": None, "copy_ratio": 1.0}]
    for name, ours, peers in cases(x, y):
        ms = best_ms(ours, repeat)
        timed = {peer: best_ms(fn, max(1, repeat // 2)) for peer, fn in peers.items()}
        peer = min(timed, key=timed.get) if timed else None
        peer_ms = timed.get(peer)
        rows.append({"op": name, "ms": ms, "peer": peer, "peer_ms": peer_ms,
                     "ratio": peer_ms / ms if peer_ms else None, "copy_ratio": ms / copy_ms})
    if cold:
        rows.append({"op": "cold_start_5_ops", "ms": cold_start_ms(), "peer": None, "peer_ms": None,
                     "ratio": None, "copy_ratio": None})
    return rows


def table(rows: list[dict]) -> str:
    def fmt(v, spec):
        return format("-" if v is None else v, spec if v is not None else spec.strip(".2f1"))

    lines = [f"{'op':<18}{'ms':>9}  {'best peer':<11}{'peer ms':>9}{'peer/ours':>11}{'ours/copy':>11}"]
    for r in rows:
        lines.append(f"{r['op']:<18}{fmt(r['ms'], '9.2f')}  {fmt(r['peer'], '<11')}{fmt(r['peer_ms'], '9.2f')}"
                     f"{fmt(r['ratio'], '11.2f')}{fmt(r['copy_ratio'], '11.1f')}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--cold", action="store_true")
    parser.add_argument("--peer-threads", type=int, default=1, help="numba threads for numbagg")
    args = parser.parse_args()
    rows = run(args.repeat, args.cold, args.peer_threads)
    print(json.dumps(rows, indent=1) if args.json else table(rows))


if __name__ == "__main__":
    main()
