"""Options shared by every command that reads market data, and the one place that loads it."""

from __future__ import annotations

import argparse

from pipelines.panel import Panel


def add_data_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        default="synthetic",
        help="market data file (.parquet or .csv, long format), or 'synthetic' (default)",
    )
    parser.add_argument("--groups", help="groups file: symbol + string columns (sector, industry, ...)")
    parser.add_argument("--synthetic-config", help="TOML file configuring the synthetic market")
    parser.add_argument("--cache-dir", help="where converted panels are cached (default: ~/.cache/alphaminer)")


def load_data(args: argparse.Namespace) -> Panel:
    """The Panel the user asked for with --data/--groups/--synthetic-config."""
    if args.data == "synthetic":
        from pipelines.synthetic import load_synthetic

        return load_synthetic(args.synthetic_config, cache_dir=args.cache_dir)
    from pipelines.load import load_panel

    return load_panel(args.data, groups=args.groups, cache_dir=args.cache_dir)
