"""``alphaminer data info``: what a market data file holds, after conversion to a Panel."""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
from rich.console import Console
from rich.table import Table

from miner.commands._data_args import add_data_args, load_data
from pipelines.panel import Panel


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("data", help="inspect market data", description="Inspect market data.")
    actions = parser.add_subparsers(dest="data_command", metavar="ACTION")
    actions.required = True
    info = actions.add_parser(
        "info", help="symbols, dates, fields, groups, NaN shares and cache location of a data set"
    )
    add_data_args(info)
    info.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    info.set_defaults(func=run_info)


def run_info(args: argparse.Namespace) -> int:
    panel = load_data(args)
    summary = summarize(panel)
    if args.json:
        sys.stdout.write(json.dumps(summary) + "\n")
    else:
        _print_tables(summary)
    return 0


def summarize(panel: Panel) -> dict:
    """The figures ``data info`` prints, as plain JSON-ready values.

    Keys: source, symbols, dates, start, end, rows ((date, symbol) cells where any stored field
    has a value), fields (names, stored then derived), nan_share (field -> share of NaN cells),
    groups (name -> {labels: distinct labels, unassigned: symbols with code -1}), cache.
    """
    stored = panel.fields.stored_names()
    has_value = np.zeros((panel.T, panel.N), dtype=bool)
    for name in stored:
        has_value |= ~np.isnan(panel.fields[name])
    names = list(panel.fields)
    return {
        "source": panel.source,
        "symbols": panel.N,
        "dates": panel.T,
        "start": str(panel.dates[0]) if panel.T else None,
        "end": str(panel.dates[-1]) if panel.T else None,
        "rows": int(has_value.sum()),
        "fields": names,
        "nan_share": {name: _nan_share(panel.fields[name]) for name in names},
        "groups": {
            name: {"labels": _label_count(panel, name, codes), "unassigned": int((codes < 0).sum())}
            for name, codes in panel.groups.items()
        },
        "cache": panel.cache_path,
    }


def _nan_share(values: np.ndarray) -> float:
    return float(np.isnan(values).mean()) if values.size else 0.0


def _label_count(panel: Panel, name: str, codes: np.ndarray) -> int:
    labels = panel.group_labels.get(name)
    if labels is not None:
        return len(labels)
    return int(np.unique(codes[codes >= 0]).size)


def _print_tables(summary: dict) -> None:
    console = Console(file=sys.stdout, markup=False, highlight=False)
    overview = Table(title="data", show_header=False)
    overview.add_column("what")
    overview.add_column("value", overflow="fold")
    overview.add_row("source", str(summary["source"]))
    overview.add_row("symbols", f"{summary['symbols']:,}")
    overview.add_row("dates", f"{summary['dates']:,} ({summary['start']} .. {summary['end']})")
    overview.add_row("rows", f"{summary['rows']:,}")
    console.print(overview)
    fields = Table(title="fields")
    fields.add_column("field")
    fields.add_column("NaN share", justify="right")
    for name in summary["fields"]:
        fields.add_row(name, f"{summary['nan_share'][name]:.2%}")
    console.print(fields)
    groups = Table(title="groups")
    groups.add_column("group")
    groups.add_column("labels", justify="right")
    groups.add_column("unassigned", justify="right")
    for name, counts in summary["groups"].items():
        groups.add_row(name, str(counts["labels"]), str(counts["unassigned"]))
    console.print(groups)
    # Outside the tables so that the path is never folded and can be copied.
    console.print(f"cache: {summary['cache'] or '(not cached)'}", soft_wrap=True)
