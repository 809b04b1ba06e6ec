"""``alphaminer run``: the mining daemon (continuous, or one cycle every interval).

Holds the store's daemon lock (a second ``run`` on the same store refuses), heartbeats, stops
cleanly on SIGTERM/SIGINT: the in-flight batch is finished and recorded (or, if the signal comes
before it is recorded, abandoned whole), a checkpoint is written, the lock released.
"""

from __future__ import annotations

import argparse
import signal

import structlog

from miner import daemon
from miner.commands._miner_args import add_mining_args, build_config
from miner.cycle import run_cycle
from miner.logs import configure_logging
from miner.session import mining_session

log = structlog.get_logger(__name__)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("run", help="mine continuously (or every interval) until stopped")
    add_mining_args(parser)
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--every", help="run one cycle every interval (e.g. 30m, 6h, 1d)")
    when.add_argument("--continuous", action="store_true", help="run cycles back to back (default)")
    parser.add_argument("--max-cycles", type=int, help="stop after this many cycles")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = build_config(args)
    every = daemon.parse_interval(args.every or config.daemon.every) if (args.every or config.daemon.every) else None
    if args.log_file is None and config.daemon.log_file:
        configure_logging(json=args.log_json, file=config.daemon.log_file, verbose=args.verbose)
    with mining_session(config, mode="run", llm=not args.no_llm) as ctx:
        def request_stop(signum: int, _frame: object) -> None:
            log.info("stop_requested", signal=signal.Signals(signum).name)
            ctx.stop.set()

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            cycles = daemon.run(lambda: run_cycle(ctx, llm=not args.no_llm, ga=not args.llm_only),
                                ctx.stop, every=every, max_cycles=args.max_cycles)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    log.info("daemon_stopped", cycles=cycles)
    return 0
