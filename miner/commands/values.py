"""``alphaminer values``: compute expressions on market data and write them to a parquet file.

One expression (``EXPR``) gives a long table ``date, symbol, value``; ``--file`` (lines
``name<TAB>expression`` or bare expressions; blank and ``#`` lines skipped) gives one column
per expression, all computed with one shared result cache. With ``--universe TOPn`` the
cross-sectional operators see only the universe and values outside it are NaN.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import polars as pl
import structlog

from expressions.cache import ResultCache
from expressions.errors import ExpressionError
from expressions.evaluator import Evaluator
from miner.commands._data_args import add_data_args, load_data
from miner.errors import UsageError

CACHE_BYTES = 2_000_000_000
log = structlog.get_logger()


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "values", help="compute expressions and write their values to parquet",
        description=__doc__.splitlines()[0],
    )
    parser.add_argument("expression", nargs="?", metavar="EXPR", help="an expression")
    parser.add_argument("--file", help="expressions, one a line: name<TAB>expression or a bare expression")
    parser.add_argument("--out", required=True, help="output .parquet file")
    parser.add_argument("--dialect", choices=("brain", "qlib"), default="brain")
    parser.add_argument("--universe", default="ALL", help="TOPn or ALL (default)")
    add_data_args(parser)
    parser.set_defaults(func=run)


def read_expressions(path: str) -> list[tuple[str, str, int]]:
    """(name, expression, line number) for each line of an expressions file."""
    source = Path(path)
    if not source.is_file():
        raise UsageError(f"expressions file not found: {path}")
    found = []
    for number, line in enumerate(source.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, tab, expression = line.partition("\t")
        if not tab:
            name, expression = line.strip(), line.strip()
        found.append((name.strip(), expression.strip(), number))
    if not found:
        raise UsageError(f"{path}: no expressions in the file")
    names = [name for name, _, _ in found]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise UsageError(f"{path}: duplicate names {', '.join(duplicates)}")
    return found


def run(args: argparse.Namespace) -> int:
    if (args.expression is None) == (args.file is None):
        raise UsageError("give either EXPR or --file (exactly one)")
    if not args.out.endswith(".parquet"):
        raise UsageError(f"--out must be a .parquet file, got {args.out}")
    if args.file:
        jobs = read_expressions(args.file)
    else:
        jobs = [("value", args.expression, None)]
    panel = load_data(args)
    universe = panel.universe(args.universe)
    evaluator = Evaluator.from_panel(panel, universe=args.universe, cache=ResultCache(CACHE_BYTES))
    columns = {}
    for name, expression, line in jobs:
        try:
            values = evaluator.evaluate(expression, dialect=args.dialect)
        except ExpressionError as error:
            where = f"{args.file}:{line}: " if line is not None else ""
            sys.stderr.write(f"alphaminer: error: {where}{error}\n")
            if error.pointer():
                sys.stderr.write(error.pointer() + "\n")
            return 2
        columns[name] = np.where(universe, values, np.nan).ravel()
    _write(panel, columns, args.out)
    log.info("values_written", path=args.out, expressions=len(columns), cache=repr(evaluator.cache))
    return 0


def _write(panel, columns: dict[str, np.ndarray], path: str) -> None:
    dates = np.repeat(panel.dates.astype("datetime64[D]"), panel.N)
    symbols = np.tile(np.asarray(panel.symbols, dtype=str), panel.T)
    frame = pl.DataFrame({"date": dates, "symbol": symbols, **columns})
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(path)
