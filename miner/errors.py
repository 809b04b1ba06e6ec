"""Errors of the miner, and the set of exception types the CLI reports as user mistakes."""

from __future__ import annotations


class MinerError(Exception):
    """Base of every error raised by ``miner``."""


class ConfigError(MinerError, ValueError):
    """Bad configuration (file, key and value named in the message)."""


class UsageError(MinerError, ValueError):
    """A command was used wrongly (e.g. conflicting flags)."""


def user_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean the user gave bad input: one line, exit 2, no traceback."""
    from expressions.errors import ExpressionError
    from pipelines.errors import PipelineError

    found: list[type[BaseException]] = [MinerError, ExpressionError, PipelineError]
    for module, name in (("state.errors", "StoreError"), ("bandit.errors", "BanditError")):
        try:
            found.append(getattr(__import__(module, fromlist=[name]), name))
        except (ImportError, AttributeError):
            continue
    return tuple(found)
