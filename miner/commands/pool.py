"""``alphaminer pool``: train a model on a pool of alphas and judge it out of sample.

The pool is the top ``--top`` alphas of the store whose daily PnLs correlate below
``--max-corr`` (``miner.pool_selection``), or the expressions of ``--from-file`` (lines
``name<TAB>expression`` or bare expressions). ``--baseline alpha158`` also trains the same
model on Qlib's 158 Alpha158 features, on the same data, universe, label and split. Every
feature is evaluated on the run's one universe (``--universe``, default: the configured
settings'), a stored alpha with its pipeline params (post transform, flip) applied. Each row of
the table is one model input, with its objectives on the out-of-sample dates and a long-short
backtest of its predictions. Everything lands in an experiment directory (``--out``) and, with
``--mlflow URI``, in MLflow.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

import structlog
from rich.console import Console
from rich.table import Table

from expressions.cache import ResultCache
from miner.commands._data_args import add_data_args
from miner.commands._miner_args import add_store_args, build_config
from miner.commands.values import read_expressions
from miner.experiment import Experiment, json_ready, log_to_mlflow
from miner.pool_selection import select_pool
from miner.session import panel_source_for
from pipelines.pool.alpha158 import DIALECT as ALPHA158_DIALECT
from pipelines.pool.alpha158 import alpha158_features
from pipelines.pool.dataset import LABEL_KINDS, build_dataset, evaluate_features
from pipelines.pool.evaluation import evaluate_model
from pipelines.pool.models import MODELS, check_model
from pipelines.pool.objectives import DEFAULT_BINARY, DEFAULT_RETURN, resolve_objectives
from pipelines.pool.plots import calibration_plot, equity_plot
from pipelines.pool.standardize import STANDARDIZERS
from pipelines.settings import SimulationSettings

CACHE_BYTES = 1_000_000_000
BASELINES = ("alpha158",)
TABLE_FIGURES = ("sharpe", "annual_return", "max_drawdown", "turnover", "win_rate", "profit_factor")
log = structlog.get_logger()


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("pool", help="train a model on the best alphas and judge it out of sample",
                            description=__doc__.splitlines()[0])
    add_store_args(parser)
    add_data_args(parser)
    parser.add_argument("--top", type=int, default=20, help="alphas in the pool (default 20)")
    parser.add_argument("--max-corr", type=float, default=0.7, help="pairwise |PnL correlation| limit (default 0.7)")
    parser.add_argument("--from-file", help="expressions file instead of the store: name<TAB>expression per line")
    parser.add_argument("--dialect", choices=("brain", "qlib"), default="brain", help="dialect of --from-file")
    parser.add_argument("--model", choices=MODELS, default="ridge", help="the meta-model (default ridge)")
    parser.add_argument("--label", choices=LABEL_KINDS, default="return", help="forward return, or above --threshold")
    parser.add_argument("--horizon", type=int, default=1, help="days of the forward return (default 1)")
    parser.add_argument("--delay", type=int, default=0,
                        help="days from the features' close to the label's start (default 0; Qlib's label: 1)")
    parser.add_argument("--threshold", type=float, default=0.0, help="binary label: return above this (default 0)")
    parser.add_argument("--baseline", choices=BASELINES, action="append", help="also train on this feature set")
    parser.add_argument("--objectives", help="comma-separated names or module:function "
                        f"(default {','.join(DEFAULT_RETURN)}; binary adds roc_auc,brier,log_loss)")
    parser.add_argument("--train-target", choices=("raw", "rank"), default="raw",
                        help="fit the return label as is, or its per-day rank (Qlib's CSRankNorm)")
    parser.add_argument("--standardize", choices=STANDARDIZERS, default="rank", help="per-day feature scaling")
    parser.add_argument("--universe", help="TOPn or ALL (default: the configured settings' universe)")
    parser.add_argument("--os-fraction", type=float, help="out-of-sample share of the dates (default: settings)")
    parser.add_argument("--quantile", type=float, default=0.2, help="backtest: share of names per leg (default 0.2)")
    parser.add_argument("--cost-bps", type=float, default=5.0, help="backtest: cost per unit traded (default 5)")
    parser.add_argument("--seed", type=int, default=0, help="random state of the tree models")
    parser.add_argument("--out", help="experiment directory (default alphaminer-pool/<time>)")
    parser.add_argument("--mlflow", metavar="URI", help="also log the run to this MLflow tracking URI")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    names = (args.objectives or "").split(",") if args.objectives else DEFAULT_BINARY if args.label == "binary" \
        else DEFAULT_RETURN
    objectives = resolve_objectives(names, args.label)
    check_model(args.model)
    config = build_config(args)
    settings = SimulationSettings.from_dict(config.settings).replace(
        **({"universe": args.universe} if args.universe else {}),
        **({"os_fraction": args.os_fraction} if args.os_fraction is not None else {}),
    )
    _, panel = panel_source_for(config).resolved()
    pool, alphas = _pool_inputs(args, config, panel)
    inputs = [("pool", pool, args.dialect if args.from_file else "brain")]
    inputs += [("alpha158", alpha158_features(), ALPHA158_DIALECT) for _ in dict.fromkeys(args.baseline or ())]
    experiment = Experiment.create(args.out)
    cache = ResultCache(CACHE_BYTES)
    evaluations = []
    for name, expressions, dialect in inputs:
        log.info("pool_input", name=name, features=len(expressions))
        features = evaluate_features(panel, expressions, settings.universe, dialect=dialect, cache=cache)
        dataset = build_dataset(panel, features, panel.universe(settings.universe), label=args.label,
                                horizon=args.horizon, delay=args.delay, threshold=args.threshold, os_fraction=settings.os_fraction,
                                standardization=args.standardize)
        dataset.frame.write_parquet(experiment.path(f"dataset_{name}.parquet"))
        evaluations.append(evaluate_model(name, dataset, args.model, objectives, quantile=args.quantile,
                                          cost_bps=args.cost_bps, seed=args.seed, train_target=args.train_target))
    rows = [e.row for e in evaluations]
    _artifacts(experiment, evaluations, args.label)
    experiment.write_metrics(rows)
    arguments = {k: v for k, v in vars(args).items() if k != "func"}
    experiment.write_run({"arguments": arguments, "universe": settings.universe, "os_fraction": settings.os_fraction,
                          "split": dataset.split_dates, "alphas": alphas, "rows": rows})
    if args.mlflow:
        log_to_mlflow(args.mlflow, experiment, arguments, rows)
    _print(rows, alphas, str(experiment.directory), args.json)
    return 0


def _pool_inputs(args: argparse.Namespace, config: Any, panel: Any) -> tuple[list[tuple[str, str]], list[dict]]:
    """(name, expression) pairs of the pool and their description for the output."""
    if args.from_file:
        found = [(name, expression) for name, expression, _ in read_expressions(args.from_file)]
        return found, [{"id": name, "expression": expression} for name, expression in found]
    from state import Store

    chosen = select_pool(Store(config.db, create=False), panel.dates, top=args.top, max_corr=args.max_corr)
    pairs = [(alpha.name, alpha.expression) for alpha in chosen]
    described = [{"id": a.simulation_id, "alpha_id": a.alpha_id, "expression": a.expression,
                  "canonical": a.canonical, "score": a.score} for a in chosen]
    return pairs, described


def _artifacts(experiment: Experiment, evaluations: list, label: str) -> None:
    curves = {e.row["name"]: (e.backtest.dates, e.backtest.equity) for e in evaluations}
    equity_plot(curves, experiment.path("equity.png"))
    if label == "binary":
        calibration = {e.row["name"]: (e.scored.y_true, e.scored.y_pred) for e in evaluations}
        calibration_plot(calibration, experiment.path("calibration.png"))


def _print(rows: list[dict], alphas: list[dict], out: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps(json_ready({"rows": rows, "alphas": alphas, "out": out}), default=str))
        return
    fixed = ("name", "model", "label")
    figures = [key for key in rows[0] if key not in fixed and key not in TABLE_FIGURES] + list(TABLE_FIGURES)
    table = Table(title=f"out of sample: {rows[0]['model']} on the {rows[0]['label']} label")
    table.add_column("figure")
    for row in rows:
        table.add_column(row["name"], justify="right")
    for key in figures:
        table.add_row(key, *(_number(row.get(key)) for row in rows))
    Console().print(table)
    print(f"pool: {len(alphas)} alphas; experiment directory: {out}")


def _number(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, float):
        return "-"
    return "inf" if math.isinf(value) else f"{value:.4f}"
