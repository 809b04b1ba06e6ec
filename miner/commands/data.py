"""``alphaminer data info``: what a market data file holds, after conversion to a Panel;
``alphaminer data fields``: each field's coverage, category, update rhythm and popularity."""

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
    _register_fields(actions)


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
    counts = _recorded_counts(panel)
    if counts is None:
        has_value = np.zeros((panel.T, panel.N), dtype=bool)
        for name in panel.fields.stored_names():
            has_value |= ~np.isnan(panel.fields[name])
    names = list(panel.fields)
    nan_counts = counts.nan_counts if counts else {}
    cells = max(panel.T * panel.N, 1)
    return {
        "source": panel.source,
        "symbols": panel.N,
        "dates": panel.T,
        "start": str(panel.dates[0]) if panel.T else None,
        "end": str(panel.dates[-1]) if panel.T else None,
        "rows": counts.rows if counts else int(has_value.sum()),
        "fields": names,
        "nan_share": {
            name: nan_counts[name] / cells if name in nan_counts else _nan_share(panel.fields[name]) for name in names
        },
        "groups": {
            name: {"labels": _label_count(panel, name, codes), "unassigned": int((codes < 0).sum())}
            for name, codes in panel.groups.items()
        },
        "cache": panel.cache_path,
    }


def _recorded_counts(panel: Panel):
    """NaN counts written beside a cached panel (so that a wide panel's fields are not all paged
    in), or None when the panel is not cached or its entry predates them."""
    from pipelines.cache import entry_counts

    if panel.cache_path is None:
        return None
    try:
        counts = entry_counts(panel.cache_path)
    except (OSError, ValueError):
        return None
    if counts is None or counts.shape != (panel.T, panel.N):
        return None
    return counts if set(counts.nan_counts) == set(panel.fields.stored_names()) else None


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


# ---- data fields -----------------------------------------------------------------------------

FIELD_COLUMNS = ("name", "category", "coverage", "coverage_1y", "frequency", "passing", "mean_score", "description")


def _register_fields(actions: argparse._SubParsersAction) -> None:
    fields = actions.add_parser(
        "fields", help="coverage, category, update frequency and popularity of every data field"
    )
    add_data_args(fields)
    fields.add_argument("--config", help="alphaminer.toml to read (default: ./alphaminer.toml when present)")
    fields.add_argument("--db", help="store whose alphas give the popularity (default: the config's)")
    fields.add_argument("--fields-file", help="CSV/parquet with field, category, description columns")
    fields.add_argument("--universe", help="coverage is over this universe's members (default: the config's)")
    fields.add_argument("--min-coverage", type=float, default=0.0, metavar="SHARE",
                        help="show only fields covering at least this share (0..1) of the universe")
    fields.add_argument("--category", help="show only this category")
    fields.add_argument("--sort", choices=FIELD_COLUMNS, help="sort by this column (numbers: highest first)")
    fields.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    fields.set_defaults(func=run_fields)


def run_fields(args: argparse.Namespace) -> int:
    from miner.config import load_config
    from miner.errors import UsageError

    if not 0.0 <= args.min_coverage <= 1.0:
        raise UsageError(f"--min-coverage must be a share between 0 and 1, not {args.min_coverage:g}")
    config = load_config(args.config)
    panel = load_data(args)
    universe = args.universe or str(config.settings.get("universe", "TOP500"))
    rows = field_table(panel, universe, args.fields_file or config.data.fields_file, args.db or config.db)
    if args.category is not None:
        categories = sorted({row["category"] for row in rows})
        if args.category.lower() not in categories:
            raise UsageError(f"--category {args.category!r}: no such category; categories: {', '.join(categories)}")
        rows = [row for row in rows if row["category"] == args.category.lower()]
    rows = [row for row in rows if row["coverage"] >= args.min_coverage]
    if args.sort:
        rows = _sorted_rows(rows, args.sort)
    if args.json:
        sys.stdout.write(json.dumps(rows) + "\n")
    else:
        _print_fields(rows, universe)
    return 0


def field_table(panel: Panel, universe: str, fields_file: str | None, db: str | None) -> list[dict]:
    """One plain row per field (``FIELD_COLUMNS`` + ``change_share``); popularity from ``db``
    when that store exists (else 0 passing)."""
    from pipelines.fields import field_metadata

    popularity = _popularity(db)
    rows = []
    for info in field_metadata(panel, universe, fields_file):
        known = popularity.get(info.name)
        rows.append({
            "name": info.name, "category": info.category, "coverage": info.coverage,
            "coverage_1y": info.coverage_1y, "frequency": info.frequency, "change_share": info.change_share,
            "passing": known.passing if known else 0, "mean_score": known.mean_score if known else None,
            "description": info.description,
        })
    return rows


def _popularity(db: str | None) -> dict:
    from miner.field_weights import field_popularity
    from pipelines.checks import SHARPE_LIMIT
    from state import Store, StoreError
    from state.repo_fields import ok_simulation_figures

    if not db:
        return {}
    try:
        store = Store(db, create=False)
    except StoreError:
        return {}  # no store yet: nothing has been mined, every field has 0 passing alphas
    with store:
        return field_popularity(ok_simulation_figures(store, min_sharpe=SHARPE_LIMIT[1]))


def _sorted_rows(rows: list[dict], column: str) -> list[dict]:
    if column in ("name", "category", "frequency", "description"):
        return sorted(rows, key=lambda row: (row[column] or "").lower())
    missing = [row for row in rows if row[column] is None]
    return sorted((row for row in rows if row[column] is not None), key=lambda row: -row[column]) + missing


def _print_fields(rows: list[dict], universe: str) -> None:
    console = Console(file=sys.stdout, markup=False, highlight=False)
    table = Table(title=f"data fields (coverage over {universe.upper()})")
    for column, justify in (("field", "left"), ("category", "left"), ("coverage", "right"), ("1y", "right"),
                            ("updates", "left"), ("passing", "right"), ("mean score", "right"),
                            ("description", "left")):
        table.add_column(column, justify=justify, overflow="fold")
    for row in rows:
        score = "-" if row["mean_score"] is None else f"{row['mean_score']:.2f}"
        table.add_row(row["name"], row["category"], f"{row['coverage']:.1%}", f"{row['coverage_1y']:.1%}",
                      row["frequency"], str(row["passing"]), score, row["description"])
    console.print(table)
