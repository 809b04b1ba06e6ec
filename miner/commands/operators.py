"""``alphaminer operators``: every operator the language knows, from the registry."""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console
from rich.table import Table

from expressions.registry import OpSpec, operators
from expressions.types import type_name


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "operators", help="list the operators of the alpha language", description="List every operator."
    )
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    parser.add_argument("--category", help="only this category (arithmetic, logical, time_series, ...)")
    parser.set_defaults(func=run)


def describe(spec: OpSpec) -> dict:
    """One operator as plain JSON-ready values."""
    return {
        "name": spec.name,
        "signature": spec.signature(),
        "args": [type_name(tp) for tp in spec.args],
        "params": [{"name": p.name, "type": type_name(p.type), "default": p.default} for p in spec.params],
        "returns": type_name(spec.returns),
        "aliases": list(spec.aliases),
        "qlib_name": spec.qlib_name,
        "category": spec.category,
        "doc": spec.doc,
        "nan_rule": spec.nan_rule,
    }


def run(args: argparse.Namespace) -> int:
    specs = [s for s in operators() if args.category is None or s.category == args.category]
    if args.json:
        sys.stdout.write(json.dumps([describe(s) for s in specs], indent=1) + "\n")
        return 0
    table = Table(title=f"{len(specs)} operators")
    for column in ("name", "signature", "aliases", "category", "doc"):
        table.add_column(column, overflow="fold")
    for spec in specs:
        aliases = ", ".join(spec.aliases + ((spec.qlib_name,) if spec.qlib_name else ()))
        table.add_row(spec.name, spec.signature(), aliases, spec.category, spec.doc)
    Console(width=200).print(table)
    return 0
