"""``alphaminer eval EXPR``: simulate one expression and print its BRAIN-like report.

The expression is parsed against the panel's fields and groups, evaluated with the settings'
universe (pasteurization), simulated in sample (and out of sample only with ``--show-os``), and
checked (the sub-universe check re-simulates it in the next smaller universe).
``--executor process|dask`` computes the figures through ``pipelines.executors`` (the same code
in a worker); the checks still need the weights, so they are computed here.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from miner.commands._data_args import add_data_args, load_data
from miner.errors import UsageError
from pipelines.checks import run_checks, sub_universe
from pipelines.metrics import Metrics
from pipelines.report import render_text, report_dict
from pipelines.settings import NEUTRALIZATIONS, SimulationSettings
from pipelines.simulate import SimulationResult, simulate

OS_WARNING = (
    "alphaminer: warning: out-of-sample figures shown; every look at them while searching spends "
    "the hold-out (choose alphas on in-sample figures only)\n"
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("eval", help="simulate one expression and print its report")
    parser.add_argument("expression", metavar="EXPR", help="the alpha expression, e.g. 'rank(-returns)' (put -- before one that starts with '-')")
    add_data_args(parser)
    parser.add_argument("--universe", default="TOP500", help="ALL or TOPn (default TOP500)")
    parser.add_argument("--delay", type=int, default=1, help="0 or 1 (default 1)")
    parser.add_argument("--decay", type=int, default=0, help="linear decay days, 0 = off (default 0)")
    parser.add_argument("--neutralization", default="MARKET", help=f"{'|'.join(NEUTRALIZATIONS)} (default MARKET)")
    parser.add_argument("--truncation", type=float, default=0.08, help="max weight per instrument, 0 = off")
    parser.add_argument("--pasteurization", default="on", choices=("on", "off"))
    parser.add_argument("--nan-handling", default="off", choices=("on", "off"))
    parser.add_argument("--cost-bps", type=float, default=0.0, help="transaction cost in bps (net figures)")
    parser.add_argument("--os-fraction", type=float, default=0.2, help="out-of-sample tail share (default 0.2)")
    parser.add_argument("--show-os", action="store_true", help="also show out-of-sample figures (spends them)")
    parser.add_argument("--executor", default="local", choices=("local", "process", "dask"))
    parser.add_argument("--scheduler", help="Dask scheduler address (with --executor dask)")
    parser.add_argument("--dialect", default="brain", choices=("brain", "qlib"))
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.scheduler and args.executor != "dask":
        raise UsageError("--scheduler needs --executor dask")
    settings = _settings(args)
    panel = load_data(args)
    text, result = _simulate_expression(args.expression, args.dialect, panel, settings, args.show_os)
    sub = _sub_universe_result(text, panel, settings)
    checks = run_checks(result, panel=panel, sub_universe_result=sub)
    is_metrics, years, os_metrics = result.is_metrics, result.years, result.os_metrics
    if args.executor != "local":
        is_metrics, years, os_metrics = _figures_from_executor(args, panel, text, settings)
    if args.show_os:
        sys.stderr.write(OS_WARNING)
    shown_os = os_metrics if args.show_os else None
    if args.json:
        report = report_dict(text, settings, is_metrics, years, checks, shown_os)
        sys.stdout.write(json.dumps(report) + "\n")
    else:
        sys.stdout.write(render_text(text, settings, is_metrics, years, checks, shown_os))
    return 0


def _settings(args: argparse.Namespace) -> SimulationSettings:
    return SimulationSettings(
        universe=args.universe,
        delay=args.delay,
        decay=args.decay,
        neutralization=args.neutralization,
        truncation=args.truncation,
        pasteurization=args.pasteurization,
        nan_handling=args.nan_handling,
        cost_bps=args.cost_bps,
        os_fraction=args.os_fraction,
    )


def _simulate_expression(
    expression: str, dialect: str, panel, settings: SimulationSettings, include_os: bool
) -> tuple[str, SimulationResult]:
    """(canonical text, result): parse with the panel's names, evaluate, simulate."""
    from expressions import canonical, parse

    node = parse(expression, dialect=dialect, fields=panel.fields, groups=panel.groups)
    alpha = _evaluate(node, panel, settings)
    return canonical(node), simulate(alpha, panel, settings, include_os=include_os)


def _evaluate(node, panel, settings: SimulationSettings):
    from pipelines.candidates import alpha_values

    return alpha_values(node, panel, settings)


def _sub_universe_result(text: str, panel, settings: SimulationSettings) -> SimulationResult:
    from expressions import parse

    smaller = settings.replace(universe=sub_universe(settings.universe, panel.N))
    alpha = _evaluate(parse(text, fields=panel.fields, groups=panel.groups), panel, smaller)
    return simulate(alpha, panel, smaller, rank_ic=False)


def _figures_from_executor(args, panel, text: str, settings: SimulationSettings):
    from pipelines.candidates import Candidate
    from pipelines.executors import make_executor

    with make_executor(args.executor, panel, scheduler=args.scheduler, cache_dir=args.cache_dir) as executor:
        (outcome,) = executor.evaluate_batch([Candidate(text, settings)], include_os=args.show_os)
    if not outcome.ok:
        raise UsageError(f"the {args.executor} executor failed on {text!r}: {outcome.error}")
    years = [_metrics(row) for row in outcome.years]
    os_metrics = _metrics(outcome.os_metrics) if outcome.os_metrics else None
    return _metrics(outcome.is_metrics), years, os_metrics


def _metrics(values: dict) -> Metrics:
    return Metrics(**{k: (math.nan if v is None else v) for k, v in values.items()})
