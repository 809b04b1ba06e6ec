"""The in-process executor: one panel, one result cache, candidates run one after another."""

from __future__ import annotations

from collections.abc import Sequence

from pipelines.candidates import Candidate, CandidateResult, run_candidate
from pipelines.executors.base import DEFAULT_CACHE_BYTES, Executor, PanelSource, Progress
from pipelines.panel import Panel


class LocalExecutor(Executor):
    """Runs every candidate in this process (the reference the pools are compared with).

    Parameters
    ----------
    panel_source : a Panel (used as is) or a PanelSource (loaded once here).
    cache_bytes : byte budget of the evaluator's ``ResultCache`` shared by the whole batch.
    """

    kind = "local"

    def __init__(self, panel_source: Panel | PanelSource, *, cache_bytes: int = DEFAULT_CACHE_BYTES):
        from expressions import ResultCache

        self.panel = panel_source if isinstance(panel_source, Panel) else panel_source.load()
        self.cache = ResultCache(cache_bytes)

    def evaluate_batch(
        self, candidates: Sequence[Candidate], include_os: bool = False, progress: Progress | None = None
    ) -> list[CandidateResult]:
        results = []
        for candidate in candidates:
            results.append(run_candidate(candidate, self.panel, self.cache, include_os=include_os))
            if progress is not None:
                progress(len(results), len(candidates))
        return results
