"""``alphaminer status``: what the store holds and whether a daemon is mining it (read-only, cheap)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from rich.console import Console

from miner.commands._miner_args import add_store_args
from miner.config import load_config
from miner.report import bandit_rows, best_rows, field_rows, print_bandit, print_best, print_fields
from pipelines.checks import FITNESS_LIMIT, SHARPE_LIMIT
from state import Store
from state.lock import stale_reason


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("status", help="show the store: daemon, counts, best alphas, bandit, LLM")
    add_store_args(parser)
    parser.add_argument("--top", type=int, default=10, help="how many alphas to list (default 10)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def collect(store: Store, top: int, stale_after_s: float) -> dict[str, Any]:
    counts = store.counts()
    holder = store.lock_holder()
    checkpoint = store.load_checkpoint()
    return {
        "daemon": _daemon(holder, stale_after_s),
        "alphas_tested": counts.get("alphas", 0),
        "simulations": counts.get("simulations", 0),
        "errors": counts.get("errors", 0),
        "by_origin": counts.get("by_origin", {}),
        "best": best_rows(store, top),
        "bandit": _bandit(store),
        "generation": checkpoint["generation"] if checkpoint else 0,
        "llm": _llm(store),
        "submitted": len(store.submissions()),
        "fields": field_rows(store),
    }


def _daemon(holder: dict[str, Any] | None, stale_after_s: float) -> dict[str, Any]:
    if not holder:
        return {"alive": False, "pid": None, "heartbeat": None}
    alive = stale_reason(holder, stale_after_s) is None
    return {"alive": alive, "pid": holder.get("pid"), "host": holder.get("host"),
            "heartbeat": str(holder.get("heartbeat")), "run_id": holder.get("id"), "mode": holder.get("mode")}


def _bandit(store: Store) -> list[dict[str, Any]]:
    from bandit import policy_from_state
    from miner.context import BANDIT_NAME

    saved = store.load_bandit(BANDIT_NAME)
    return bandit_rows(policy_from_state(saved)) if saved else []


def _llm(store: Store) -> dict[str, Any]:
    stats = store.llm_stats()
    calls = sum(s.get("calls", 0) for s in stats)
    valid = sum(s.get("valid", 0) or 0 for s in stats)
    invalid = sum(s.get("invalid", 0) or 0 for s in stats)
    fleet = store.load_value("llm.fleet")
    passing = store.top_simulations(100_000, origin="llm", min_sharpe=SHARPE_LIMIT[1], min_fitness=FITNESS_LIMIT[1])
    submitted = [s for s in store.submissions() if (store.get_alpha(s["alpha_id"]) or {}).get("origin") == "llm"]
    return {"calls": calls, "valid": valid, "invalid": invalid,
            "validity_rate": valid / (valid + invalid) if valid + invalid else None,
            "ideas_passing_is": len({row["canonical"] for row in passing}), "ideas_submitted": len(submitted),
            "models": stats, "fleet": fleet, "last_error": (fleet or {}).get("last_error") if isinstance(fleet, dict) else None}


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    store = Store(args.db or config.db, create=False)
    status = collect(store, args.top, config.daemon.stale_after_s)
    if args.json:
        print(json.dumps(status, default=str))
        return 0
    console = Console()
    daemon = status["daemon"]
    console.print(f"daemon: {'running (pid %s, heartbeat %s)' % (daemon['pid'], daemon['heartbeat']) if daemon['alive'] else 'not running'}")
    console.print(f"alphas tested: {status['alphas_tested']}  simulations: {status['simulations']}  "
                  f"errors: {status['errors']}  generation: {status['generation']}  submitted: {status['submitted']}")
    llm = status["llm"]
    if llm["calls"]:
        rate = "-" if llm["validity_rate"] is None else f"{llm['validity_rate']:.0%}"
        console.print(f"LLM: {llm['calls']} calls, {llm['valid']} valid ideas ({rate} valid), "
                      f"{llm['ideas_passing_is']} pass the Sharpe/fitness limits, {llm['ideas_submitted']} submitted")
    if llm.get("last_error"):
        console.print(f"LLM disabled: {llm['last_error']}")
    print_best(status["best"], console)
    print_bandit(status["bandit"], console)
    if status["fields"]:
        print_fields(status["fields"][: args.top], console)
    return 0
