"""Out-of-sample figures of what the miner finds on the real S&P 500 data.

1. Mine --minutes on the S&P panel (``miner.session`` + ``miner.cycle``, default settings, no LLM,
   a temporary store). In-sample runs read only the first 80% of dates (the simulator's split,
   ``SimulationSettings.os_fraction`` = 0.2); the last 20% is out of sample.
2. Submit as ``alphaminer submit`` does, with the default checks (``miner.submission.judge``,
   self-correlation against the alphas passed so far), over the top --candidates by score.
   OS figures are computed for every alpha that passes the in-sample checks and for the top 20
   by IS fitness, so the table is not empty when few pass.
3. Report: how many pass (all checks / IS checks), the share with OS Sharpe > 0, the mean OS
   Sharpe, and the OS rank IC of the pooled model beside the Alpha158 baseline on the same split,
   from ``alphaminer pool --from-file F --baseline alpha158 --json`` (rows "pool" and "alpha158").

Usage: .venv/bin/python bench/sp500_os.py [--minutes 3] [--candidates 100]
       [--data ../shared/data/sp500_daily.parquet] [--groups ../shared/data/sp500_sectors.parquet] [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    SP500_DAILY,
    SP500_SECTORS,
    bench_config,
    bench_main,
    distinct_top,
    fmt,
    mine,
    print_table,
)

from miner.session import panel_source_for  # noqa: E402
from miner.submission import as_submitted, judge  # noqa: E402
from state import Store  # noqa: E402

FITNESS_TOP = 20


def submit_all(store: Store, panel, candidates: int) -> list:
    """Judge the top ``candidates`` by score in order, as ``submit`` does (passes feed SELF_CORRELATION)."""
    submitted: list = []
    n_trials = int(store.counts().get("alphas", 1))
    verdicts = []
    for simulation in distinct_top(store, candidates):
        verdict = judge(simulation, panel, submitted, n_trials)
        verdicts.append(verdict)
        if verdict.passed:
            submitted.append(as_submitted(verdict))
    return verdicts


def verdict_row(verdict, why: str) -> dict:
    is_m, os_m = verdict.result.is_metrics, verdict.result.os_metrics
    return {"id": verdict.simulation["id"], "expression": verdict.expression, "why": why,
            "is_sharpe": is_m.sharpe, "is_fitness": is_m.fitness,
            "os_sharpe": os_m.sharpe if os_m else None, "os_rank_ic": os_m.rank_ic if os_m else None,
            "passed": verdict.passed, "passed_is": verdict.passed_in_sample}


def os_rows(verdicts: list) -> list[dict]:
    """Every alpha passing the IS checks, then the top 20 by IS fitness not already listed."""
    rows = [verdict_row(v, "passes IS checks") for v in verdicts if v.passed_in_sample]
    listed = {r["id"] for r in rows}
    by_fitness = sorted(verdicts, key=lambda v: v.result.is_metrics.fitness, reverse=True)
    rows += [verdict_row(v, "top IS fitness") for v in by_fitness[:FITNESS_TOP] if v.simulation["id"] not in listed]
    return rows


def summary_of(rows: list[dict]) -> dict:
    """Share with OS Sharpe > 0 and mean OS Sharpe, over a set of rows (None when empty)."""
    sharpes = np.array([r["os_sharpe"] for r in rows if r["os_sharpe"] is not None], dtype=float)
    if not len(sharpes):
        return {"count": 0, "share_os_sharpe_positive": None, "mean_os_sharpe": None}
    return {"count": int(len(sharpes)), "share_os_sharpe_positive": float(np.mean(sharpes > 0)),
            "mean_os_sharpe": float(np.mean(sharpes))}


def pooled(expressions: list[str], data: str, groups: str | None, workdir: Path, timeout: float) -> dict:
    """Rows "pool" and "alpha158" of ``alphaminer pool`` (issue #6), or why they are not available."""
    if not expressions:
        return {"error": "pool: not available (no alphas to pool)"}
    exe = shutil.which("alphaminer") or str(Path(sys.executable).with_name("alphaminer"))
    listing = workdir / "pool_expressions.txt"
    listing.write_text("".join(f"alpha{i + 1}\t{text}\n" for i, text in enumerate(expressions)), encoding="utf-8")
    command = [exe, "pool", "--from-file", str(listing), "--data", data, "--baseline", "alpha158", "--json",
               "--out", str(workdir / "pool")] + (["--groups", groups] if groups else [])
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as error:
        return {"error": f"pool: not available ({type(error).__name__}: {error})"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"pool: not available (exit {done.returncode}: {last})"}
    try:
        found = {row["name"]: row for row in json.loads(done.stdout)["rows"]}
    except (ValueError, KeyError, TypeError) as error:
        return {"error": f"pool: not available (unreadable JSON: {error})"}
    return {name: {key: found.get(name, {}).get(key) for key in ("rank_ic", "ic", "sharpe")}
            for name in ("pool", "alpha158")}


def run(args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="alphaminer-sp500-") as tmp:
        config = bench_config(f"sqlite:///{tmp}/store.db", data=args.data, groups=args.groups,
                              cache_dir=args.cache_dir or tmp, seed=args.seed)
        totals = mine(config, args.minutes)
        _, panel = panel_source_for(config).resolved()
        verdicts = submit_all(Store(config.db), panel, args.candidates)
        rows = os_rows(verdicts)
        passing = [v.expression for v in verdicts if v.passed] or [r["expression"] for r in rows]
        pool = pooled(passing, args.data, args.groups, Path(tmp), args.pool_timeout) if not args.no_pool else \
            {"error": "pool: not run (--no-pool)"}
    return {
        "data": args.data, "minutes": args.minutes, **totals, "judged": len(verdicts),
        "passed": sum(v.passed for v in verdicts), "passed_is": sum(v.passed_in_sample for v in verdicts),
        "pooled_from": "passing alphas" if any(v.passed for v in verdicts) else "the OS table's alphas",
        "passing_is": summary_of([r for r in rows if r["passed_is"]]), "all_rows": summary_of(rows),
        "pool": pool, "rows": rows,
    }


def print_report(report: dict) -> None:
    print_table(f"S&P 500: OS figures of mined alphas ({report['minutes']} min of mining, "
                f"{report['simulated']} simulated; {report['judged']} judged like submit)",
                ["id", "why", "IS sharpe", "IS fitness", "OS sharpe", "OS rank IC", "checks", "expression"],
                [[r["id"], r["why"], fmt(r["is_sharpe"], ".2f"), fmt(r["is_fitness"], ".2f"),
                  fmt(r["os_sharpe"], ".2f"), fmt(r["os_rank_ic"], ".4f"),
                  "PASS" if r["passed"] else ("IS pass" if r["passed_is"] else "fail"), r["expression"]]
                 for r in report["rows"]])
    lines = []
    for label, key in (("passing the IS checks", "passing_is"), ("all rows above", "all_rows")):
        s = report[key]
        lines.append([label, s["count"], fmt(s["share_os_sharpe_positive"], ".0%"), fmt(s["mean_os_sharpe"], ".2f")])
    print_table(f"summary: {report['passed']} pass all checks, {report['passed_is']} pass the IS checks",
                ["set", "alphas", "OS sharpe > 0", "mean OS sharpe"], lines)
    pool = report["pool"]
    if "error" in pool:
        print(pool["error"])
        return
    print_table(f"pooled model (from {report['pooled_from']}) vs Alpha158, same model and split (OS)",
                ["model", "OS rank IC", "OS IC", "OS sharpe"],
                [[name, fmt(pool[name]["rank_ic"], ".4f"), fmt(pool[name]["ic"], ".4f"), fmt(pool[name]["sharpe"], ".2f")]
                 for name in ("pool", "alpha158")])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0, help="mining time budget (default 3)")
    parser.add_argument("--candidates", type=int, default=100, help="top alphas by score judged like submit")
    parser.add_argument("--data", default=str(SP500_DAILY), help="daily data (default ../shared/data/sp500_daily.parquet)")
    parser.add_argument("--groups", default=str(SP500_SECTORS), help="groups file (default ../shared/data/sp500_sectors.parquet)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the evolution and the bandit")
    parser.add_argument("--cache-dir", help="panel cache (default: a temporary directory)")
    parser.add_argument("--no-pool", action="store_true", help="skip the pooled model (alphaminer pool)")
    parser.add_argument("--pool-timeout", type=float, default=600.0, help="seconds allowed to alphaminer pool")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return bench_main("sp500_os", args, run, print_report, (("--data", args.data), ("--groups", args.groups)))


if __name__ == "__main__":
    sys.exit(main())
