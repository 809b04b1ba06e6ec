"""``alphaminer reset``: remove all mining state from a store, keeping its schema.

Asks for confirmation unless ``--yes``; without a terminal to ask on, it refuses (exit 2).
It takes the daemon lock first, so it refuses while a daemon is mining this store.
"""

from __future__ import annotations

import argparse
import sys

from miner.errors import UsageError
from state import DEFAULT_URL, Store, acquire_lock


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("reset", help="remove all mining state from a store (keeps the schema)")
    parser.add_argument("--db", default=DEFAULT_URL, help=f"store URL (default: {DEFAULT_URL})")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.set_defaults(func=run)


def _confirmed(url: str) -> bool:
    if not sys.stdin.isatty():
        raise UsageError(f"reset of {url} needs confirmation and stdin is not a terminal; pass --yes")
    answer = input(f"Remove all alphas, simulations, checkpoints and runs from {url}? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def run(args: argparse.Namespace) -> int:
    with Store(args.db, create=False) as store:
        if not args.yes and not _confirmed(store.url):
            print("reset cancelled; nothing removed")
            return 1
        acquire_lock(store, store.start_run("reset"))
        removed = store.reset()
    removed["runs"] -= 1  # the run row this reset made to hold the lock is not the user's
    print(f"reset {store.url}:")
    for table, count in removed.items():
        print(f"  removed {count} {table.replace('_', ' ')}")
    return 0
