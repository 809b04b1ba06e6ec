"""Store query for field popularity: the figures of every successful simulation, with its text.

A free function over a ``Store`` (kept out of ``repo.py``, whose write paths are tuned on their
own): the miner walks each expression for the fields it uses and counts per field.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from state.db import single_read
from state.models import Alpha, Simulation

FigureRow = tuple[str, "float | None", "float | None", "float | None"]


def ok_simulation_figures(store: Any, *, min_sharpe: float | None = None) -> list[FigureRow]:
    """``(canonical expression, sharpe, fitness, score)`` of every ``ok`` simulation.

    Parameters
    ----------
    store : state.Store
    min_sharpe : keep only rows with ``sharpe >= min_sharpe`` (None keeps all, NULL included).

    Returns
    -------
    list of tuples, in simulation id order (an alpha simulated under several settings appears
    once per simulation).
    """
    query = (
        select(Alpha.canonical, Simulation.sharpe, Simulation.fitness, Simulation.score)
        .join(Alpha, Alpha.id == Simulation.alpha_id)
        .where(Simulation.status == "ok")
        .order_by(Simulation.id)
    )
    if min_sharpe is not None:
        query = query.where(Simulation.sharpe >= min_sharpe)
    with single_read(store.engine) as connection:
        return [tuple(row) for row in connection.execute(query)]


def ok_simulation_figures_after(store: Any, after_id: int, *, min_sharpe: float | None = None) -> tuple[list[FigureRow], int]:
    """``ok_simulation_figures`` of the simulations with an id above ``after_id``, and the last id
    read (``after_id`` when there is none): a long-running miner reads only what is new."""
    query = (
        select(Simulation.id, Alpha.canonical, Simulation.sharpe, Simulation.fitness, Simulation.score)
        .join(Alpha, Alpha.id == Simulation.alpha_id)
        .where(Simulation.status == "ok", Simulation.id > after_id)
        .order_by(Simulation.id)
    )
    if min_sharpe is not None:
        query = query.where(Simulation.sharpe >= min_sharpe)
    with single_read(store.engine) as connection:
        found = [tuple(row) for row in connection.execute(query)]
    return [row[1:] for row in found], (found[-1][0] if found else after_id)
