"""GA checkpoints: the population, hall of fame and RNG state after each generation.

A checkpoint is written after every generation (and at the end of a cycle), so that a stopped or
killed daemon resumes at the next generation with the same random stream.
"""

from __future__ import annotations

import random
from typing import Any

import structlog

from miner.evolution import deserialize, serialize
from miner.hall_of_fame import HallOfFame

log = structlog.get_logger(__name__)


def save_checkpoint(ctx: Any) -> None:
    ctx.store.save_checkpoint(
        ctx.run_id,
        ctx.state.generation,
        [serialize(ind) for ind in ctx.state.population],
        ctx.hall_of_fame.records(),
        _encode_random_state(random.getstate()),
    )
    ctx.save_bandit()


def restore_state(ctx: Any) -> None:
    """Load the latest checkpoint of this store into ``ctx`` (population, hall of fame, RNG)."""
    saved = ctx.store.load_checkpoint()
    if not saved:
        return
    try:
        population = [deserialize(record, ctx.pset) for record in saved["population"]]
    except (KeyError, TypeError, ValueError) as error:
        log.warning("checkpoint_population_discarded", reason=str(error))
        population = []
    ctx.state.generation = int(saved["generation"])
    ctx.state.population = population
    ctx.hall_of_fame = HallOfFame.from_records(
        saved.get("hall_of_fame") or [], size=ctx.config.lateral.hall_of_fame, corr_limit=ctx.config.scoring.corr_limit)
    _reload_pnls(ctx)
    if saved.get("rng_state"):
        random.setstate(_decode_random_state(saved["rng_state"]))
    log.info("resumed", generation=ctx.state.generation, population=len(population))


def _reload_pnls(ctx: Any) -> None:
    ids = [e.simulation_id for e in ctx.hall_of_fame.entries if e.simulation_id is not None]
    if not ids:
        return
    series = ctx.store.pnl_series(ids)
    for entry in ctx.hall_of_fame.entries:
        found = series.get(entry.simulation_id)
        if found is not None:
            entry.daily_pnl = found[1]


def _encode_random_state(state: tuple) -> list:
    version, internal, gauss = state
    return [version, list(internal), gauss]


def _decode_random_state(saved: list) -> tuple:
    version, internal, gauss = saved
    return (version, tuple(internal), gauss)
