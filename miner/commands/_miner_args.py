"""Options shared by the mining commands (once, run, status, submit) and the config they build."""

from __future__ import annotations

import argparse

from miner.commands._data_args import add_data_args
from miner.config import MinerConfig, load_config


def add_store_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="alphaminer.toml to read (default: ./alphaminer.toml when present)")
    parser.add_argument("--db", help="store URL (default sqlite:///alphaminer.db)")


def add_mining_args(parser: argparse.ArgumentParser) -> None:
    add_store_args(parser)
    add_data_args(parser)
    parser.add_argument("--executor", choices=("local", "process", "dask"), help="where candidates are simulated")
    parser.add_argument("--workers", type=int, help="process/dask workers (default 2)")
    parser.add_argument("--scheduler", help="Dask scheduler address (with --executor dask)")
    parser.add_argument("--seed", type=int, help="random seed of the evolution and the bandit")
    parser.add_argument("--seed-file", help="file with one seed expression per line")
    parser.add_argument("--seed-library", choices=("alpha101",), help="seed the first population from a library")
    parser.add_argument("--population", type=int, help="GA population size (default 30)")
    parser.add_argument("--generations", type=int, help="GA generations per cycle")
    parser.add_argument("--lateral", type=int, help="number of elites explored by lateral moves")
    llm = parser.add_mutually_exclusive_group()
    llm.add_argument("--no-llm", action="store_true", help="no LLM ideas (adaptive search only)")
    llm.add_argument("--llm-only", action="store_true", help="only LLM ideas (no GA, no lateral moves)")
    parser.add_argument("--llm-url", help="Ollama server URL")


def build_config(args: argparse.Namespace) -> MinerConfig:
    """The config file overridden by whatever flags were given."""
    config = load_config(getattr(args, "config", None))
    _set(config, "db", getattr(args, "db", None))
    for flag, section, key in (
        ("data", "data", "path"), ("groups", "data", "groups"), ("synthetic_config", "data", "synthetic_config"),
        ("cache_dir", "data", "cache_dir"), ("executor", "executor", "kind"), ("workers", "executor", "workers"),
        ("scheduler", "executor", "scheduler"), ("seed", "evolution", "seed"), ("seed_file", "evolution", "seed_file"),
        ("seed_library", "evolution", "seed_library"), ("population", "evolution", "population"),
        ("generations", "evolution", "generations"), ("lateral", "lateral", "elites"), ("llm_url", "llm", "url"),
    ):
        value = getattr(args, flag, None)
        if value is not None and not (flag == "data" and value == "synthetic" and config.data.path != "synthetic"):
            setattr(getattr(config, section), key, value)
    if getattr(args, "no_llm", False):
        config.llm.enabled = False
    return config.validate()


def _set(config: MinerConfig, name: str, value: object) -> None:
    if value is not None:
        setattr(config, name, value)
