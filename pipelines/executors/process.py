"""The process-pool executor: workers open the memory-mapped panel once, in their initializer.

Tasks carry only candidates (chunks of them) and the small ``PanelSource``, never the panel. A
pool broken by a dead worker is rebuilt once and its unfinished chunks are run again; a chunk
that breaks the pool twice gets error results, so the batch still returns one per candidate.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

import structlog

from pipelines.candidates import Candidate, CandidateResult, error_result
from pipelines.executors.base import (
    DEFAULT_CACHE_BYTES,
    Executor,
    PanelSource,
    Progress,
    chunks,
    run_chunk,
    worker_state,
)

log = structlog.get_logger()


def _initialize(source: PanelSource, cache_bytes: int) -> None:
    worker_state(source, cache_bytes)


class ProcessExecutor(Executor):
    """A pool of ``workers`` processes (forkserver start), each holding the panel once.

    Parameters
    ----------
    panel_source : a PanelSource; loaded once here so workers open the cached arrays.
    workers : number of processes.
    cache_bytes : each worker's ``ResultCache`` byte budget.
    """

    kind = "process"

    def __init__(self, panel_source: PanelSource, *, workers: int = 2, cache_bytes: int = DEFAULT_CACHE_BYTES):
        self.source, _ = panel_source.resolved()
        self.workers = max(1, int(workers))
        self.cache_bytes = cache_bytes
        self._pool: ProcessPoolExecutor | None = None

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=_initialize,
                initargs=(self.source, self.cache_bytes),
            )
        return self._pool

    def evaluate_batch(
        self, candidates: Sequence[Candidate], include_os: bool = False, progress: Progress | None = None
    ) -> list[CandidateResult]:
        candidates = list(candidates)
        results: list[CandidateResult | None] = [None] * len(candidates)
        pending = chunks(len(candidates), self.workers)
        for attempt in (1, 2):
            pending = self._run(candidates, pending, include_os, results, progress)
            if not pending:
                break
            log.warning("process_pool_broken", attempt=attempt, chunks_left=len(pending))
        for part in pending:
            for index in part:
                results[index] = error_result(candidates[index], "lost: its worker process died twice")
        return results  # type: ignore[return-value]

    def _run(self, candidates, parts, include_os, results, progress) -> list[range]:
        """Run ``parts``; returns those lost to a broken pool (the pool is then discarded)."""
        pool = self._ensure_pool()
        futures: dict[Future, range] = {}
        try:
            for part in parts:
                batch = [candidates[i] for i in part]
                futures[pool.submit(run_chunk, self.source, batch, include_os, self.cache_bytes)] = part
        except BrokenProcessPool:
            pass
        lost = [part for part in parts if part not in futures.values()]
        waiting = set(futures)
        while waiting:
            done, waiting = wait(waiting, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    chunk_results = future.result()
                except BrokenProcessPool:
                    lost.append(futures[future])
                    continue
                for index, result in zip(futures[future], chunk_results):
                    results[index] = result
                if progress is not None:
                    progress(sum(r is not None for r in results), len(results))
        if lost:
            self._discard_pool()
        return lost

    def _discard_pool(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
