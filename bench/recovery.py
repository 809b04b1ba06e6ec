"""Planted-alpha recovery: run the miner on a synthetic market and watch it find what was planted.

The miner runs as ``alphaminer run`` does (``miner.session`` + ``miner.cycle.run_cycle``, default
settings, no LLM) on a temporary SQLite store, for --minutes of mining time. After every cycle
(and the partial last one) a row reports: mining seconds, candidates simulated, planted alphas
found among the stored alphas that pass the in-sample Sharpe and fitness limits, as
``alphaminer once --planted`` counts them (``miner.recovery``: mean daily
in-sample rank correlation >= 0.8), and the best in-sample Sharpe / fitness. At the end only, the
best --os-top alphas are judged like ``submit`` does (``miner.submission.judge``): their OS Sharpe.

Usage: .venv/bin/python bench/recovery.py [--config bench/configs/recovery_medium.toml]
       [--minutes 3] [--os-top 5] [--seed 0] [--json]

Configs (bench/configs): recovery_easy.toml (150 x 500, 2 strong alphas), recovery_medium.toml
(300 x 750, the product default's 5 alphas), recovery_hard.toml (500 x 1000, 4 weak, nested
alphas, fat tails). Recovery checks are not counted as mining time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import bench_config, bench_main, distinct_top, fmt, mine, print_table  # noqa: E402

from miner.recovery import FOUND_AT, better_matches, passing_alphas, recovery  # noqa: E402
from miner.submission import judge  # noqa: E402

CONFIGS = Path(__file__).resolve().parent / "configs"


def planted_of(config_path: str) -> list[tuple[str, float, str]]:
    """(expression, ic, name) of each planted alpha, from the market's config file."""
    from pipelines.synthetic import SyntheticConfig

    return [(p.expression, p.ic, p.name) for p in SyntheticConfig.from_toml(config_path).planted]


class RecoveryTracker:
    """Recovery as ``once --planted`` counts it, checking only the passing alphas new since the last
    row (the count grows by hundreds a cycle; re-checking all of them each time would dominate)."""

    def __init__(self):
        self.checked: set[str] = set()
        self.matches: list = []

    def update(self, ctx) -> list:
        settings = ctx.base_settings
        fresh = [e for e in passing_alphas(ctx.store, settings.delay) if e not in self.checked]
        found = recovery(ctx.panel, ctx.panel.planted, fresh, universe=settings.universe,
                         os_fraction=settings.os_fraction)
        self.matches = better_matches(self.matches, found) if self.matches else found
        self.checked.update(fresh)
        return self.matches


def progress_row(ctx, progress, tracker: RecoveryTracker) -> tuple[dict, list]:
    """One row of the table: figures after a cycle, and the recovery matches behind it."""
    top = distinct_top(ctx.store, 1)
    started = time.perf_counter()
    matches = tracker.update(ctx)
    best = top[0]["metrics"] if top else {}
    by_sharpe = ctx.store.top_simulations(1, metric="sharpe")
    by_fitness = ctx.store.top_simulations(1, metric="fitness")
    row = {
        "cycle": progress.cycle, "seconds": round(progress.mining_seconds, 1), "simulated": progress.simulated,
        "generations": progress.generations, "found": sum(m.found for m in matches), "planted": len(matches),
        "best_score_sharpe": best.get("sharpe"), "best_score_fitness": best.get("fitness"),
        "max_is_sharpe": by_sharpe[0]["metrics"].get("sharpe") if by_sharpe else None,
        "max_is_fitness": by_fitness[0]["metrics"].get("fitness") if by_fitness else None,
        "recovery_check_seconds": round(time.perf_counter() - started, 1),
    }
    return row, matches


def os_figures(ctx, k: int) -> list[dict]:
    """The best ``k`` alphas by score judged as ``submit`` judges them (OS Sharpe included)."""
    n_trials = int(ctx.store.counts().get("alphas", 1))
    rows = []
    for simulation in distinct_top(ctx.store, k):
        verdict = judge(simulation, ctx.panel, [], n_trials)
        os_metrics = verdict.result.os_metrics
        rows.append({"id": simulation["id"], "expression": verdict.expression,
                     "is_sharpe": verdict.result.is_metrics.sharpe, "is_fitness": verdict.result.is_metrics.fitness,
                     "os_sharpe": os_metrics.sharpe if os_metrics else None, "passed": verdict.passed})
    return rows


def run(args: argparse.Namespace) -> dict:
    rows: list[dict] = []
    last: dict = {}
    final: dict = {}
    with tempfile.TemporaryDirectory(prefix="alphaminer-recovery-") as tmp:
        config = bench_config(f"sqlite:///{tmp}/store.db", synthetic_config=args.config,
                              cache_dir=args.cache_dir or tmp, seed=args.seed)
        planted: list = []
        tracker = RecoveryTracker()

        def on_cycle(ctx, progress) -> None:
            if not planted:
                planted.extend(planted_of(args.config))
            row, matches = progress_row(ctx, progress, tracker)
            rows.append(row)
            last["matches"] = matches
            if not args.json:
                print(f"cycle {row['cycle']}: {row['seconds']}s, {row['simulated']} simulated, "
                      f"{row['found']}/{row['planted']} found", file=sys.stderr)
            if ctx.stop.is_set() or progress.mining_seconds >= args.minutes * 60:
                final["best"] = os_figures(ctx, args.os_top)

        totals = mine(config, args.minutes, on_cycle)
    matches = [{"name": name, "planted": m.planted, "target_ic": m.target_ic, "best": m.best,
                "correlation": round(m.correlation, 3), "found": m.found}
               for m, (_, _, name) in zip(last.get("matches", []), planted)]
    return {"config": args.config, "minutes": args.minutes, "found_at": FOUND_AT, **totals,
            "found": rows[-1]["found"] if rows else 0, "planted": len(planted),
            "rows": rows, "matches": matches, "best": final.get("best", [])}


def print_report(report: dict) -> None:
    print_table(f"recovery on {report['config']} ({report['minutes']} min of mining; found = mean daily "
                f"IS rank correlation >= {report['found_at']} with a planted alpha)",
                ["cycle", "mining s", "simulated", "generations", "found", "best-score IS sharpe",
                 "best-score IS fitness", "max IS sharpe", "max IS fitness"],
                [[r["cycle"], r["seconds"], r["simulated"], r["generations"], f"{r['found']}/{r['planted']}",
                  fmt(r["best_score_sharpe"], ".2f"), fmt(r["best_score_fitness"], ".2f"),
                  fmt(r["max_is_sharpe"], ".2f"), fmt(r["max_is_fitness"], ".2f")] for r in report["rows"]])
    print_table("planted alphas and their closest mined alpha",
                ["planted", "target IC", "corr", "found", "closest mined"],
                [[f"{m['name']}: {m['planted']}", m["target_ic"], m["correlation"], "yes" if m["found"] else "no",
                  m["best"] or "-"] for m in report["matches"]])
    print_table("best alphas by score, judged like submit (OS computed here only)",
                ["id", "IS sharpe", "IS fitness", "OS sharpe", "all checks", "expression"],
                [[b["id"], fmt(b["is_sharpe"], ".2f"), fmt(b["is_fitness"], ".2f"), fmt(b["os_sharpe"], ".2f"),
                  "pass" if b["passed"] else "fail", b["expression"]] for b in report["best"]])
    print(f"{report['simulated']} candidates simulated in {report['mining_seconds']}s of mining "
          f"({report['cycles']} cycles, {report['generations']} generations); panel load {report['load_seconds']}s")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(CONFIGS / "recovery_medium.toml"), help="synthetic market TOML")
    parser.add_argument("--minutes", type=float, default=3.0, help="mining time budget (default 3)")
    parser.add_argument("--os-top", type=int, default=5, help="best alphas judged out of sample at the end")
    parser.add_argument("--seed", type=int, default=0, help="seed of the evolution and the bandit")
    parser.add_argument("--cache-dir", help="panel cache (default: a temporary directory)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return bench_main("recovery", args, run, print_report, (("--config", args.config),))


if __name__ == "__main__":
    sys.exit(main())
