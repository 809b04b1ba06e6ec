"""``alphaminer once``: one mining cycle with a progress bar, then the best alphas and the bandit's arms."""

from __future__ import annotations

import argparse
import json

from miner.commands._miner_args import add_mining_args, build_config
from miner.cycle import run_cycle
from miner.progress import RichHooks
from miner.recovery import recovery_from_store
from miner.report import bandit_rows, best_rows, print_bandit, print_best, print_planted
from miner.session import mining_session


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("once", help="run one mining cycle and print the best alphas")
    add_mining_args(parser)
    parser.add_argument("--top", type=int, default=10, help="how many alphas to list (default 10)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--planted", action="store_true",
                        help="on a synthetic market, also report which planted alphas the store's passing alphas recover")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = build_config(args)
    with mining_session(config, mode="once", llm=not args.no_llm) as ctx, RichHooks() as hooks:
        ctx.hooks = hooks
        summary = run_cycle(ctx, llm=not args.no_llm, ga=not args.llm_only)
        best = best_rows(ctx.store, args.top)
        arms = bandit_rows(ctx.policy)
        planted = planted_rows(ctx) if args.planted else None
    if args.json:
        print(json.dumps({
            "generations": summary.generations, "evaluated": summary.evaluated, "errors": summary.errors,
            "lateral": summary.lateral, "llm_ideas": summary.llm_ideas, "llm_error": summary.llm_error,
            "seconds": round(summary.seconds, 2), "best": best, "bandit": arms,
            **({"planted": planted} if planted is not None else {}),
        }, default=str))
        return 0
    print(f"cycle: {summary.generations} generations, {summary.evaluated} simulated, {summary.errors} errors, "
          f"{summary.lateral} lateral, {summary.llm_ideas} LLM ideas in {summary.seconds:.1f}s")
    if summary.llm_error:
        print(f"LLM: {summary.llm_error}")
    print_best(best)
    print_bandit(arms)
    if planted is not None:
        print_planted(planted)
    return 0


def planted_rows(ctx) -> list[dict]:
    """Recovery of the synthetic market's planted alphas (empty on real data)."""
    if not getattr(ctx.panel, "planted", None):
        return []
    settings = ctx.base_settings
    matches = recovery_from_store(ctx.store, ctx.panel, universe=settings.universe, delay=settings.delay,
                                  os_fraction=settings.os_fraction)
    return [{"planted": m.planted, "found": m.found, "best": m.best, "correlation": round(m.correlation, 4)}
            for m in matches]
