"""``alphaminer submit``: run every check, out-of-sample included, and record/export what passes.

Without ``--alpha``/``--best`` the top ``--top`` alphas by score are checked. Out-of-sample
figures are computed here and only here. Exit 1 (with the reasons) when nothing passes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from miner.commands._miner_args import add_store_args, build_config
from miner.commands._data_args import add_data_args
from miner.errors import UsageError
from miner.session import panel_source_for
from miner.submission import as_submitted, judge, submitted_pnls
from state import Store


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("submit", help="check alphas (OS included) and record/export those that pass")
    add_store_args(parser)
    add_data_args(parser)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--alpha", type=int, help="the simulation id shown by 'alphaminer status'")
    which.add_argument("--best", action="store_true", help="the best alpha by score")
    parser.add_argument("--top", type=int, default=10, help="without --alpha/--best: check the top K (default 10)")
    parser.add_argument("--dry-run", action="store_true", help="check and report, record nothing")
    parser.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    parser.add_argument("--out", help="export passing alphas to this JSON file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = build_config(args)
    store = Store(config.db, create=False)
    candidates = _candidates(store, args)
    _, panel = panel_source_for(config).resolved()
    submitted = submitted_pnls(store, panel)
    n_trials = int(store.counts().get("alphas", 1))
    verdicts = []
    for simulation in candidates:
        verdict = judge(simulation, panel, submitted, n_trials)
        verdicts.append(verdict)
        if verdict.passed:
            submitted.append(as_submitted(verdict))
            if not args.dry_run:
                store.record_submission(simulation["id"], [c.to_dict() for c in verdict.checks],
                                        destination=args.out or "local", os_metrics=verdict.result.os_metrics.to_dict())
    passing = [v.export() for v in verdicts if v.passed]
    if args.out and passing:
        Path(args.out).write_text(json.dumps(passing, indent=2, default=str), encoding="utf-8")
    _print(verdicts, args, n_trials)
    if not passing:
        sys.stderr.write("alphaminer: nothing passed the checks: " + "; ".join(
            f"#{v.simulation['id']}: {', '.join(v.failures())}" for v in verdicts) + "\n")
        return 1
    return 0


def _candidates(store: Store, args: argparse.Namespace) -> list[dict]:
    if args.alpha is not None:
        found = store.get_simulation(args.alpha)
        if found is None or found.get("status") != "ok":
            raise UsageError(f"no successful simulation with id {args.alpha} (see 'alphaminer status')")
        return [found]
    rows = store.top_simulations(1 if args.best else args.top, metric="score")
    if not rows:
        raise UsageError("the store has no simulated alphas yet: run 'alphaminer once' first")
    return rows


def _print(verdicts: list, args: argparse.Namespace, n_trials: int) -> None:
    if args.json:
        print(json.dumps([v.export() for v in verdicts], default=str))
        return
    table = Table(title=f"submission checks ({n_trials} distinct alphas tried){' - dry run' if args.dry_run else ''}")
    for column in ("id", "expression", "IS sharpe", "OS sharpe", "IS checks", "verdict"):
        table.add_column(column, overflow="fold")
    for v in verdicts:
        os_sharpe = v.result.os_metrics.sharpe if v.result.os_metrics else float("nan")
        table.add_row(str(v.simulation["id"]), v.simulation["canonical"], f"{v.result.is_metrics.sharpe:.2f}",
                      f"{os_sharpe:.2f}", "pass" if v.passed_in_sample else "fail",
                      "PASS" if v.passed else "FAIL: " + ", ".join(v.failures()))
    Console().print(table)
