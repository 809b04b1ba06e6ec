"""What every executor shares: where the panel comes from, the batch interface, chunking.

A worker never receives the panel with its tasks. It receives a small :class:`PanelSource` once
and loads the panel itself (memory-mapped from the on-disk cache, ``pipelines.cache``), then
keeps it, with one ``ResultCache``, for every task it runs (:func:`worker_state`). Its ``malloc``
keeps freed arrays' memory for the next candidate (``memory.reuse_freed_memory``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import structlog

from pipelines.candidates import Candidate, CandidateResult, run_candidate
from pipelines.errors import PipelineError
from pipelines.executors.memory import reuse_freed_memory
from pipelines.panel import Panel

log = structlog.get_logger()

DEFAULT_CACHE_BYTES = 512 * 1024 * 1024
SOURCE_KINDS = ("file", "synthetic", "cached")
Progress = Callable[[int, int], None]


class ExecutorError(PipelineError):
    """An executor could not be built or lost its workers for good."""


@dataclasses.dataclass(frozen=True)
class PanelSource:
    """How a worker gets the panel: small, picklable, loaded once per worker.

    kind "file": ``path`` is a market data file (+ optional ``groups`` file), via ``load_panel``.
    kind "synthetic": ``path`` is a synthetic config (None = the packaged one), via ``load_synthetic``.
    kind "cached": ``path`` is a panel cache entry directory, opened memory-mapped.
    """

    kind: str
    path: str | None = None
    groups: str | None = None
    cache_dir: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in SOURCE_KINDS:
            raise ExecutorError(f"unknown panel source kind {self.kind!r}: use {', '.join(SOURCE_KINDS)}")

    @classmethod
    def from_panel(cls, panel: Panel, cache_dir: str | Path | None = None) -> "PanelSource":
        """A "cached" source for an in-memory panel (written to the panel cache if it is not there)."""
        from pipelines.cache import store_panel

        if panel.cache_path is not None and _is_cached_as(panel, Path(panel.cache_path)):
            return cls("cached", str(panel.cache_path))

        entry = store_panel(panel, f"arrays-{_content_digest(panel)}", cache_dir)
        if entry is None:
            raise ExecutorError("cannot write the panel to the cache for the workers (see the log)")
        return cls("cached", entry)

    def load(self) -> Panel:
        """The panel this source describes."""
        if self.kind == "cached":
            from pipelines.cache import open_panel

            return open_panel(self.path)
        if self.kind == "synthetic":
            from pipelines.synthetic import load_synthetic

            return load_synthetic(self.path, cache_dir=self.cache_dir)
        from pipelines.load import load_panel

        return load_panel(self.path, groups=self.groups, cache_dir=self.cache_dir)

    def resolved(self) -> tuple["PanelSource", Panel]:
        """Load once here and return (a "cached" source when the panel has a cache entry, panel).

        Workers on this machine then open the cached arrays instead of converting the data again.
        """
        panel = self.load()
        if panel.cache_path is not None and self.kind != "cached":
            return PanelSource("cached", str(panel.cache_path)), panel
        return self, panel


def as_source(panel_source: PanelSource | Panel | str, cache_dir: str | Path | None = None) -> PanelSource:
    """A PanelSource from a PanelSource, a Panel, "synthetic" or a data file path."""
    if isinstance(panel_source, PanelSource):
        return panel_source
    if isinstance(panel_source, Panel):
        return PanelSource.from_panel(panel_source, cache_dir)
    text = str(panel_source)
    directory = None if cache_dir is None else str(cache_dir)
    if text == "synthetic":
        return PanelSource("synthetic", None, cache_dir=directory)
    return PanelSource("file", text, cache_dir=directory)


def _is_cached_as(panel: Panel, entry: Path) -> bool:
    """Whether the cache entry holds exactly this panel's dates and symbols (a head view does not)."""
    from pipelines.cache import open_panel

    try:
        cached = open_panel(entry)
    except (OSError, ValueError, KeyError):
        return False
    return np.array_equal(cached.dates, panel.dates) and np.array_equal(cached.symbols, panel.symbols)


def _content_digest(panel: Panel) -> str:
    digest = hashlib.sha256()
    digest.update("|".join(map(str, panel.symbols)).encode())
    digest.update(panel.dates.astype("datetime64[D]").astype("int64").tobytes())
    for name in panel.fields.stored_names():
        digest.update(name.encode())
        digest.update(panel.fields[name].tobytes())
    for name in sorted(panel.groups):
        digest.update(name.encode())
        digest.update(panel.groups[name].tobytes())
    return digest.hexdigest()[:24]


# ----------------------------------------------------------------------------------------------
# Worker side: one panel and one result cache per process.

_WORKER: dict[str, Any] = {}
_WORKER_LOCK = threading.Lock()


def worker_state(source: PanelSource, cache_bytes: int) -> tuple[Panel, Any]:
    """This process's (panel, ResultCache) for ``source``, loaded on first use and kept."""
    with _WORKER_LOCK:
        if _WORKER.get("source") != source:
            from expressions import ResultCache

            _WORKER["panel"] = source.load()
            _WORKER["cache"] = ResultCache(cache_bytes)
            _WORKER["source"] = source
            _WORKER["loads"] = _WORKER.get("loads", 0) + 1
            log.debug("worker_panel_loaded", source=str(source.path), kind=source.kind)
        return _WORKER["panel"], _WORKER["cache"]


def _one_numba_thread() -> None:
    """Pool workers already use every core between them: parallel kernels would oversubscribe.

    numba's setting is per thread, so it is set in the thread that runs the task.
    """
    import numba

    numba.set_num_threads(1)


def worker_loads() -> int:
    """How many times this process has loaded a panel (for tests: once per worker)."""
    return int(_WORKER.get("loads", 0))


def run_chunk(
    source: PanelSource, candidates: Sequence[Candidate], include_os: bool, cache_bytes: int
) -> list[CandidateResult]:
    """Run candidates in this worker against its panel (the task function of every pool)."""
    _one_numba_thread()
    reuse_freed_memory()
    panel, cache = worker_state(source, cache_bytes)
    return [run_candidate(c, panel, cache, include_os=include_os) for c in candidates]


def chunks(count: int, workers: int, per_worker: int = 4, largest: int = 16) -> list[range]:
    """Consecutive index ranges splitting ``count`` items into about ``workers * per_worker`` tasks.

    With several workers the last ``workers`` tasks' worth of items is cut into quarter-size
    tasks: with equal tasks one worker runs the odd last one while the others wait (13 tasks of
    16 on 2 workers: 112 candidates against 88, 12% of the batch's wall time idle on one core).
    """
    size = max(1, min(largest, -(-count // max(1, workers * per_worker))))
    tail = min(count, workers * size) if workers > 1 else 0
    boundary = (count - tail) // size * size
    small = max(1, size // 4)
    return [range(start, start + size) for start in range(0, boundary, size)] + [
        range(start, min(count, start + small)) for start in range(boundary, count, small)
    ]


class Executor:
    """The batch interface: ``evaluate_batch`` plus ``close`` / context manager."""

    kind = "base"

    def evaluate_batch(
        self, candidates: Sequence[Candidate], include_os: bool = False, progress: Progress | None = None
    ) -> list[CandidateResult]:
        """One result per candidate, in the same order; a bad candidate is an error result."""
        raise NotImplementedError

    def close(self) -> None:
        """Release workers; idempotent."""

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
