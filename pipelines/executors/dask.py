"""The Dask executor: ``distributed.Client`` on a scheduler address, or a LocalCluster it starts.

Each worker process loads the panel once (``base.worker_state``, a per-process global) and
keeps it for every task. Tasks are chunks of candidates; ``retries`` re-runs a chunk that
raised, and Dask itself re-runs the chunks of a worker that died (its nanny restarts it), so a
lost worker loses no candidate. A chunk that still fails (e.g. ``KilledWorker`` after repeated
deaths) gets error results: the batch always returns one result per candidate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog

from pipelines.candidates import Candidate, CandidateResult, error_result, one_line
from pipelines.executors.base import DEFAULT_CACHE_BYTES, Executor, PanelSource, Progress, chunks, run_chunk

log = structlog.get_logger()

# For the LocalCluster this executor starts, which no dashboard watches. The workers' statistical
# profiler samples every thread's stack every 10 ms (~10% of a worker's CPU on these tasks).
# The system monitor (every 0.5 s) and the event loop's blocked-loop check (every 20 ms) cost an
# idle 2-worker cluster ~9% of one core in all (the scheduler half of it, in this process): 2.5%
# with these intervals (/proc CPU over 10 s idle).
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.tick.interval": "1s",
}


class DaskExecutor(Executor):
    """Evaluate batches on a Dask cluster.

    Parameters
    ----------
    panel_source : a PanelSource the workers can load. With a LocalCluster (``scheduler=None``)
        it is loaded once here and the workers open the cached arrays.
    workers : number of worker processes of the LocalCluster (ignored with ``scheduler``).
    scheduler : a scheduler address ("tcp://host:8786") or a ``distributed.Client``; None starts
        a LocalCluster (processes, one thread each).
    cache_bytes : each worker's ``ResultCache`` byte budget.
    retries : how many times a chunk that raised is re-run.
    """

    kind = "dask"

    def __init__(
        self,
        panel_source: PanelSource,
        *,
        workers: int = 2,
        scheduler: Any = None,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        retries: int = 2,
    ):
        from distributed import Client, LocalCluster

        self.cache_bytes = cache_bytes
        self.retries = retries
        self._cluster = None
        self._own_client = True
        if scheduler is None:
            import dask

            self.source, _ = panel_source.resolved()
            with dask.config.set(LOCAL_CLUSTER_CONFIG):
                self._cluster = LocalCluster(
                    n_workers=max(1, int(workers)), threads_per_worker=1, processes=True, dashboard_address=None
                )
            self.client = Client(self._cluster)
        elif isinstance(scheduler, Client):
            self.source, self.client, self._own_client = panel_source, scheduler, False
        else:
            self.source, self.client = panel_source, Client(scheduler)

    def worker_count(self) -> int:
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def evaluate_batch(
        self, candidates: Sequence[Candidate], include_os: bool = False, progress: Progress | None = None
    ) -> list[CandidateResult]:
        from distributed import as_completed

        candidates = list(candidates)
        results: list[CandidateResult | None] = [None] * len(candidates)
        futures = {}
        for part in chunks(len(candidates), self.worker_count()):
            batch = [candidates[i] for i in part]
            future = self.client.submit(
                run_chunk, self.source, batch, include_os, self.cache_bytes, retries=self.retries, pure=False
            )
            futures[future] = part
        for future in as_completed(list(futures)):
            part = futures[future]
            try:
                chunk_results = future.result()
            except Exception as error:  # noqa: BLE001 - a lost chunk becomes error results
                log.warning("dask_chunk_failed", candidates=len(part), error=one_line(error))
                chunk_results = [error_result(candidates[i], f"lost on Dask: {one_line(error)}") for i in part]
            for index, result in zip(part, chunk_results):
                results[index] = result
            if progress is not None:
                progress(sum(r is not None for r in results), len(results))
        return results  # type: ignore[return-value]

    def close(self) -> None:
        if self._own_client and self.client is not None:
            self.client.close()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
        self.client = None
