"""Executors: evaluate a batch of candidates locally, in a process pool, or on Dask.

``make_executor(kind, panel_source, ...)`` builds one; every executor has
``.evaluate_batch(candidates, include_os=False, progress=None) -> list[CandidateResult]`` (one
result per candidate, same order, errors as results) and ``.close()`` / context manager.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipelines.executors.base import DEFAULT_CACHE_BYTES, Executor, ExecutorError, PanelSource, as_source
from pipelines.panel import Panel

KINDS = ("local", "process", "dask")

__all__ = ["KINDS", "Executor", "ExecutorError", "PanelSource", "make_executor"]


def make_executor(
    kind: str,
    panel_source: PanelSource | Panel | str,
    *,
    workers: int = 2,
    scheduler: Any = None,
    cache_bytes: int = DEFAULT_CACHE_BYTES,
    cache_dir: str | Path | None = None,
) -> Executor:
    """An executor of ``kind`` over the panel described by ``panel_source``.

    Parameters
    ----------
    kind : "local" (this process), "process" (a pool of ``workers``) or "dask".
    panel_source : a PanelSource, a Panel (process/dask write it to the panel cache once),
        "synthetic", or a market data file path.
    workers : pool size / LocalCluster workers.
    scheduler : Dask scheduler address or Client (dask only); None starts a LocalCluster.
    cache_bytes : byte budget of each evaluator result cache.
    cache_dir : panel cache directory (default: ``pipelines.cache.default_cache_dir()``).

    Examples
    --------
    >>> with make_executor("process", PanelSource("synthetic"), workers=2) as executor:
    ...     results = executor.evaluate_batch([Candidate("rank(-returns)")])
    """
    if kind == "local":
        from pipelines.executors.local import LocalExecutor

        if isinstance(panel_source, Panel):
            return LocalExecutor(panel_source, cache_bytes=cache_bytes)
        return LocalExecutor(as_source(panel_source, cache_dir), cache_bytes=cache_bytes)
    source = as_source(panel_source, cache_dir)
    if kind == "process":
        from pipelines.executors.process import ProcessExecutor

        return ProcessExecutor(source, workers=workers, cache_bytes=cache_bytes)
    if kind == "dask":
        from pipelines.executors.dask import DaskExecutor

        return DaskExecutor(source, workers=workers, scheduler=scheduler, cache_bytes=cache_bytes)
    raise ExecutorError(f"unknown executor {kind!r}: use {', '.join(KINDS)}")
