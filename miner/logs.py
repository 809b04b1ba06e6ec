"""structlog configuration, done once by the CLI. Library code only calls structlog.get_logger()."""

from __future__ import annotations

import logging
import sys

import structlog


def configure_logging(*, json: bool = False, file: str | None = None, verbose: bool = False) -> None:
    """Readable console logs on stderr (JSON with ``json=True``), plus JSON lines to ``file``."""
    level = logging.DEBUG if verbose else logging.INFO
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    # plain tracebacks: the rich default prints every frame's locals (whole panels) for one failed candidate
    console = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(
        colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback)
    handlers: list[logging.Handler] = []
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(structlog.stdlib.ProcessorFormatter(processor=console, foreign_pre_chain=shared))
    handlers.append(stream)
    if file:
        to_file = logging.FileHandler(file, encoding="utf-8")
        to_file.setFormatter(
            structlog.stdlib.ProcessorFormatter(processor=structlog.processors.JSONRenderer(), foreign_pre_chain=shared)
        )
        handlers.append(to_file)
    root = logging.getLogger()
    root.handlers[:] = handlers
    root.setLevel(level)
    # the Ollama client's HTTP library logs every request at INFO: three lines per LLM call
    logging.getLogger("httpx").setLevel(logging.WARNING)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
