"""Executors: local, process pool and Dask give identical results; errors and lost workers."""

from __future__ import annotations

import os
import pickle
import platform
import resource
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pipelines.candidates import Candidate
from pipelines.executors import ExecutorError, PanelSource, make_executor
from pipelines.executors.base import chunks, worker_loads
from pipelines.settings import SimulationSettings
from pipelines.synthetic import load_synthetic

MARKET = """n_stocks = 40
n_days = 150
seed = 4
n_sectors = 3
[[planted]]
expression = "-rank(ts_delta(close, 3))"
ic = 0.05
"""

EXPRESSIONS = [
    "-rank(ts_delta(close, 3))",
    "ts_corr(close, volume, 10)",
    "group_neutralize(rank(returns), sector)",
    "zscore(ts_mean(volume, 5) / ts_mean(volume, 20))",
    "-abs(ts_delta(close, 3) / close)",
    "rank(high - low)",
]


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> PanelSource:
    directory = tmp_path_factory.mktemp("market")
    (directory / "market.toml").write_text(MARKET)
    return PanelSource("synthetic", str(directory / "market.toml"), cache_dir=str(directory / "cache"))


def batch() -> list[Candidate]:
    candidates = [Candidate(e, SimulationSettings(universe="TOP30")) for e in EXPRESSIONS]
    candidates += [Candidate(e, SimulationSettings(decay=2), {"post.transform": "rank"}) for e in EXPRESSIONS]
    candidates.insert(3, Candidate("rank(close", alpha_id=99))  # a bad one in the middle
    candidates.append(Candidate("close", params={"post.nope": 1}))
    return candidates


def figures(results) -> list[tuple]:
    return [(r.status, r.error, r.canonical, r.is_metrics, None if r.daily_pnl is None else r.daily_pnl.tolist())
            for r in results]


@pytest.fixture(scope="module")
def local_results(source):
    with make_executor("local", source) as executor:
        return executor.evaluate_batch(batch())


def test_local_gives_one_result_per_candidate_in_order(local_results):
    candidates = batch()
    assert [r.candidate for r in local_results] == candidates
    errors = [i for i, r in enumerate(local_results) if r.status == "error"]
    assert errors == [3, len(candidates) - 1]
    assert "position" in local_results[3].error and "post.nope" in local_results[-1].error
    assert local_results[3].candidate.alpha_id == 99
    assert all(r.is_metrics["days"] > 0 for r in local_results if r.ok)


def test_process_pool_matches_local(source, local_results):
    seen = []
    with make_executor("process", source, workers=2) as executor:
        results = executor.evaluate_batch(batch(), progress=lambda done, total: seen.append((done, total)))
    assert figures(results) == figures(local_results)
    assert seen[-1] == (len(results), len(results)) and len(seen) > 1


def test_process_pool_loads_the_panel_once_per_worker_not_per_task(source):
    candidates = batch() * 3
    with make_executor("process", source, workers=2) as executor:
        executor.evaluate_batch(candidates)
        assert executor.source.kind == "cached"  # workers open the memory-mapped cache entry
        probes = [executor._pool.submit(_pid_and_loads) for _ in range(8)]
        seen = {future.result() for future in probes}
    assert len(chunks(len(candidates), 2)) > 2
    assert {loads for _, loads in seen} == {1}
    assert len({pid for pid, _ in seen}) <= 2
    task = pickle.dumps((executor.source, candidates[:4]))
    assert len(task) < 5_000  # the panel itself is megabytes


def _pid_and_loads() -> tuple[int, int]:
    return os.getpid(), worker_loads()


@pytest.mark.slow
def test_process_pool_survives_a_killed_worker(source, local_results):
    killed = []

    def kill_one(done, total):
        if not killed:
            pid = next(iter(executor._pool._processes))
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    with make_executor("process", source, workers=2) as executor:
        results = executor.evaluate_batch(batch() * 2, progress=kill_one)
    assert killed
    assert figures(results) == figures(local_results) * 2


def test_panel_becomes_a_cached_source(tmp_path, source):
    panel = load_synthetic(source.path, cache_dir=source.cache_dir)
    made = PanelSource.from_panel(panel)
    assert made == PanelSource("cached", panel.cache_path)
    fresh = PanelSource.from_panel(made.load().head(100), cache_dir=tmp_path)
    assert fresh.kind == "cached" and Path(fresh.path).is_relative_to(tmp_path)
    np.testing.assert_array_equal(fresh.load().field("close"), panel.field("close")[:100])


@pytest.mark.parametrize("count, workers", [(200, 2), (80, 2), (13, 2), (1, 2), (0, 2), (5, 1), (1000, 8), (17, 3)])
def test_chunks_cover_the_batch_in_order_and_end_with_small_tasks(count, workers):
    parts = chunks(count, workers)
    assert [i for part in parts for i in part] == list(range(count))
    sizes = [len(part) for part in parts]
    assert sizes == sorted(sizes, reverse=True) and max(sizes, default=1) <= 16
    if workers > 1 and count >= 4 * workers * 4:
        # the last workers x size items run as quarter tasks: the workers finish within one of them
        assert sizes[-workers * 4:] == [sizes[0] // 4] * (workers * 4)
    assert chunks(200, 2)[:10] == [range(i, i + 16) for i in range(0, 160, 16)]


def test_unknown_kinds_are_errors(source):
    with pytest.raises(ExecutorError, match="unknown executor 'gpu'"):
        make_executor("gpu", source)
    with pytest.raises(ExecutorError, match="unknown panel source kind 'ftp'"):
        PanelSource("ftp", "x")


@pytest.mark.dask
@pytest.mark.slow
def test_dask_matches_local_and_survives_a_killed_worker(source, local_results):
    with make_executor("dask", source, workers=2) as executor:
        results = executor.evaluate_batch(batch())
        assert figures(results) == figures(local_results)
        pids = list(executor.client.run(os.getpid).values())
        killed = []

        def kill_one(done, total):
            if not killed:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

        again = executor.evaluate_batch(batch() * 3, progress=kill_one)
        faults = executor.client.run(_faults_allocating, 20)
    assert killed
    assert figures(again) == figures(local_results) * 3
    # the nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536; the worker that ran tasks after
    # the restart re-tuned its malloc: 20 fresh 4 MiB arrays fault in about one array's pages
    assert min(faults.values()) < ARRAY_PAGES * 4, faults


ARRAY_PAGES = 977  # 4 KiB pages of the 4 MB test array (under numpy's 4 MiB huge page advice)


def _faults_allocating(count: int) -> int:
    """Minor page faults of allocating, writing and freeing ``count`` 4 MB arrays in turn."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(count):
        np.ones((1000, 500)).sum()
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


FAULTS_SCRIPT = """
import sys
from pipelines.executors.memory import reuse_freed_memory
from tests.pipelines.test_executors import _faults_allocating
tuned = reuse_freed_memory() if sys.argv[1] == "tuned" else None
_faults_allocating(2)
print(tuned, _faults_allocating(20))
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt thresholds are glibc's")
def test_tuned_workers_reuse_freed_arrays_under_dasks_trim_setting():
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "MALLOC_TRIM_THRESHOLD_": "65536", "PYTHONPATH": str(root)}

    def faults(mode: str) -> tuple[str, int]:
        run = [sys.executable, "-c", FAULTS_SCRIPT, mode]
        tuned, count = subprocess.run(run, env=env, check=True, capture_output=True, text=True).stdout.split()
        return tuned, int(count)

    tuned, reused = faults("tuned")
    assert tuned == "True" and reused < ARRAY_PAGES * 2  # the freed array's pages serve the next one
    assert faults("default")[1] > ARRAY_PAGES * 15  # Dask's setting alone: every array mmap-ed afresh
