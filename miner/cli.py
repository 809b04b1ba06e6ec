"""The ``alphaminer`` command line.

Each subcommand lives in its own module under ``miner/commands/`` and exposes
``register(subparsers)``; this module discovers them, configures logging once, runs the chosen
command and turns user mistakes into a one-line error with exit code 2 (no traceback).

Exit codes: 0 ok, 1 failure (e.g. nothing passed the checks), 2 usage or bad input.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

import miner.commands
from miner.errors import user_errors
from miner.logs import configure_logging

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors on one line with exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"alphaminer: error: {message} (see '{self.prog} --help')\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="alphaminer", description=__doc__.splitlines()[0])
    parser.add_argument("--log-json", action="store_true", help="log JSON lines to stderr")
    parser.add_argument("--log-file", help="also write JSON logs to this file")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for info in sorted(pkgutil.iter_modules(miner.commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"miner.commands.{info.name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(json=args.log_json, file=args.log_file, verbose=args.verbose)
    try:
        code = args.func(args)
    except user_errors() as error:
        sys.stderr.write(f"alphaminer: error: {error}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("alphaminer: interrupted\n")
        return 130
    return EXIT_OK if code is None else int(code)


if __name__ == "__main__":
    raise SystemExit(main())
