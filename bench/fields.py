"""A wide panel (synthetic market + noise + quarterly "fundamental" fields): load, metadata, once.

Usage: python bench/fields.py [--stocks 500] [--days 1260] [--noise 1000] [--fundamental 1000]
                              [--population 10] [--generations 2] [--dir DIR]

Builds the synthetic market, adds ``--noise`` N(0,1) fields and ``--fundamental`` fields that step
once a quarter (63 days), writes it as long parquet (float32 extras, written in row groups so the
writer never holds the whole table), then measures in fresh processes, each against its peer on
the same market with only OHLCV (``narrow``):

1. first load: parquet -> Panel -> cache write (``pipelines.load.load_panel``);
2. cached load (memory map) + field metadata for every field (``pipelines.fields``, cold, then
   read back from the file beside the cache);
3. a small ``alphaminer once`` (no LLM).

Each line prints wall seconds and peak RSS (``ru_maxrss``), and the wide / narrow ratios; for the
first load also the peak RSS growth of the load alone (Linux ``VmHWM`` reset after the imports,
whose own peak otherwise hides it).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
QUARTER = 63

_LOAD = """
import json, resource, sys, time
import structlog
structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
from pipelines.load import load_panel
from pipelines.fields import panel_field_stats

def high_water_kib():
    return int(next(line for line in open("/proc/self/status") if line.startswith("VmHWM:")).split()[1])

with open("/proc/self/clear_refs", "w") as handle:
    handle.write("5")  # peak RSS back to the current RSS: the imports peaked higher than a load
imported = high_water_kib()
start = time.perf_counter()
panel = load_panel(sys.argv[1], cache_dir=sys.argv[2])
panel.field("close")[-1].sum()
loaded = time.perf_counter()
load_growth = high_water_kib() - imported
stats = panel_field_stats(panel, "TOP500")
scanned = time.perf_counter()
panel_field_stats(panel, "TOP500")
again = time.perf_counter()
print(json.dumps({"load_s": loaded - start, "metadata_s": scanned - loaded, "metadata_cached_s": again - scanned,
                  "fields": len(stats), "load_growth_kib": load_growth,
                  "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

_ONCE = """
import json, resource, sys, time
from miner.cli import main
start = time.perf_counter()
code = main(sys.argv[1:])
print(json.dumps({"once_s": time.perf_counter() - start, "code": code,
                  "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def write_market(path: Path, panel, n_noise: int, n_fundamental: int, seed: int = 0, chunk_days: int = 50) -> None:
    """Long parquet of the panel's OHLCV plus the extra fields, one row group per ``chunk_days``."""
    rng = np.random.default_rng(seed)
    n = panel.N
    steps = rng.normal(size=(n_fundamental, panel.T // QUARTER + 1, n)).astype(np.float32)
    symbols = np.asarray(panel.symbols, dtype=str)
    writer = None
    try:
        for first in range(0, panel.T, chunk_days):
            rows = slice(first, min(panel.T, first + chunk_days))
            days = rows.stop - rows.start
            columns = {"date": pa.array(np.repeat(panel.dates[rows], n)), "symbol": pa.array(np.tile(symbols, days))}
            for name in ("open", "high", "low", "close", "volume"):
                columns[name] = pa.array(np.asarray(panel.fields[name][rows]).reshape(-1))
            for i in range(n_noise):
                columns[f"noise{i:04d}"] = pa.array(rng.normal(size=days * n).astype(np.float32))
            quarter = np.arange(rows.start, rows.stop) // QUARTER
            for i in range(n_fundamental):
                columns[f"fund{i:04d}"] = pa.array(steps[i, quarter].reshape(-1))
            table = pa.table(columns)
            writer = writer or pq.ParquetWriter(path, table.schema)
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()


def run_child(code: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"child failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def once_args(directory: Path, data: Path, cache: Path, population: int, generations: int) -> list[str]:
    config = directory / "alphaminer.toml"
    config.write_text(f"""db = "sqlite:///{directory / 'store.db'}"
[evolution]
population = {population}
windows = [2, 5, 10, 20, 60]
[lateral]
elites = 2
per_elite = 3
rounds = 1
[llm]
enabled = false
[bandit.space]
neutralization = ["MARKET", "SECTOR"]
""")
    return ["once", "--config", str(config), "--data", str(data), "--cache-dir", str(cache), "--no-llm",
            "--generations", str(generations), "--json"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stocks", type=int, default=500)
    parser.add_argument("--days", type=int, default=1260)
    parser.add_argument("--noise", type=int, default=1000)
    parser.add_argument("--fundamental", type=int, default=1000)
    parser.add_argument("--population", type=int, default=10)
    parser.add_argument("--generations", type=int, default=2)
    parser.add_argument("--dir", help="work folder (default: a temporary one, removed afterwards)")
    args = parser.parse_args()
    import structlog

    from pipelines.synthetic import DEFAULT_CONFIG, SyntheticConfig, synthetic_panel

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    base = SyntheticConfig.from_toml(DEFAULT_CONFIG)
    config = dataclasses.replace(base, n_stocks=args.stocks, n_days=args.days)
    with tempfile.TemporaryDirectory(dir=args.dir) as work:
        work = Path(work)
        panel = synthetic_panel(config)
        files = {"narrow": work / "narrow.parquet", "wide": work / "wide.parquet"}
        write_market(files["narrow"], panel, 0, 0)
        write_market(files["wide"], panel, args.noise, args.fundamental)
        del panel
        n_fields = args.noise + args.fundamental + 5
        print(f"panel: {args.days} dates x {args.stocks} stocks; wide = {n_fields} stored fields "
              f"({n_fields * args.days * args.stocks * 8 / 2**30:.2f} GiB as float64), "
              f"parquet {files['wide'].stat().st_size / 2**20:.0f} MiB")
        figures = {}
        for kind, path in files.items():
            cache = work / f"cache-{kind}"
            first = run_child(_LOAD, str(path), str(cache))
            cached = run_child(_LOAD, str(path), str(cache))
            (work / kind).mkdir()
            once = run_child(_ONCE, *once_args(work / kind, path, cache, args.population, args.generations))
            figures[kind] = {"first": first, "cached": cached, "once": once}
        report(figures)
    return 0


def report(figures: dict) -> None:
    rows = (
        ("first load (convert + cache write)", "first", "load_s"),
        ("field metadata, cold scan", "first", "metadata_s"),
        ("field metadata, from the cache file", "first", "metadata_cached_s"),
        ("cached load (memory map)", "cached", "load_s"),
        ("once (no LLM)", "once", "once_s"),
    )
    print(f"{'step':40s} {'wide s':>9s} {'narrow s':>9s} {'ratio':>7s}")
    for label, run, key in rows:
        wide, narrow = figures["wide"][run][key], figures["narrow"][run][key]
        print(f"{label:40s} {wide:9.2f} {narrow:9.2f} {wide / max(narrow, 1e-9):6.1f}x")
    print(f"{'peak RSS (MiB)':40s} {'wide':>9s} {'narrow':>9s} {'ratio':>7s}")
    for label, run, key in (("first load: growth above the imports", "first", "load_growth_kib"),
                            ("first load + metadata", "first", "peak_rss_kib"),
                            ("cached load + metadata", "cached", "peak_rss_kib"), ("once", "once", "peak_rss_kib")):
        wide, narrow = figures["wide"][run][key] / 1024, figures["narrow"][run][key] / 1024
        print(f"{label:40s} {wide:9.0f} {narrow:9.0f} {wide / max(narrow, 1e-9):6.2f}x")


if __name__ == "__main__":
    sys.exit(main())
