"""A mining session: the store's daemon lock held, a context open, the heartbeat running.

Used by ``alphaminer once`` and ``alphaminer run``: both mine the same way; ``run`` loops.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import structlog

from miner.config import MinerConfig
from miner.context import MiningContext, open_context
from miner.daemon import Heartbeat
from pipelines.executors.base import PanelSource
from state import Store
from state.lock import acquire_lock, refresh_lock, release_lock

log = structlog.get_logger(__name__)


def panel_source_for(config: MinerConfig) -> PanelSource:
    data = config.data
    if data.path == "synthetic":
        return PanelSource("synthetic", data.synthetic_config, cache_dir=data.cache_dir)
    return PanelSource("file", data.path, groups=data.groups, cache_dir=data.cache_dir)


def make_idea_source(config: MinerConfig, store: Store, enabled: bool) -> Any:
    if not (enabled and config.llm.enabled):
        return None
    from miner.llm import IdeaSource

    return IdeaSource(config.llm, store=store)


@contextlib.contextmanager
def mining_session(config: MinerConfig, *, mode: str, llm: bool = True) -> Iterator[MiningContext]:
    """Load data, lock the store, open the context; release everything on the way out."""
    source, panel = panel_source_for(config).resolved()
    store = Store(config.db)
    ctx = open_context(config, panel, source, mode=mode, store=store, ideas=make_idea_source(config, store, llm))
    status = "failed"
    try:
        acquire_lock(store, ctx.run_id, stale_after_s=config.daemon.stale_after_s)
        log.info("session_started", mode=mode, run_id=ctx.run_id, pid=os.getpid(), db=config.db,
                 data=panel.source, symbols=panel.N, dates=panel.T)
        with Heartbeat(lambda: refresh_lock(store, ctx.run_id), config.daemon.heartbeat_s):
            yield ctx
        status = "stopped" if ctx.stop.is_set() else "done"
    finally:
        try:
            release_lock(store, ctx.run_id)
        finally:
            ctx.close(status)
