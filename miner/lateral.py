"""Lateral moves: small, systematic neighbours of elite alphas.

Where evolution jumps, lateral moves step: for an elite tree they enumerate every single
change of one kind — a window to its neighbouring value, an operator to another with the same
signature, a field to another field, a wrapper (rank, zscore, winsorize, ts_backfill) around
the whole — and sample ``per_elite`` of them. Windows move one or two places in the window set. Neighbours are simulated under the elite's own
settings and parameters.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from deap import gp

from expressions.types import Series, Window
from miner.evolution import WRAPPERS, Individual


def neighbours(elite: Individual, pset: gp.PrimitiveSetTyped, per_elite: int) -> list[Individual]:
    """Up to ``per_elite`` distinct one-step neighbours of ``elite`` (random sample, no repeats)."""
    seen = {str(elite)}
    unique: list[Individual] = []
    for candidate in _all_neighbours(elite, pset):
        text = str(candidate)
        if text not in seen:
            seen.add(text)
            unique.append(candidate)
    random.shuffle(unique)
    return unique[:per_elite]


def _all_neighbours(elite: Individual, pset: gp.PrimitiveSetTyped) -> Iterator[Individual]:
    windows = sorted(pset.terminals.get(Window, []), key=lambda t: t.value)
    fields = [t for t in pset.terminals.get(Series, []) if isinstance(t, gp.Terminal) and isinstance(t.value, str)]
    for index, node in enumerate(elite):
        if isinstance(node, gp.Primitive):
            for other in pset.primitives[node.ret]:
                if other.args == node.args and other.name != node.name:
                    yield _replace(elite, index, other)
        elif node.ret is Window:
            values = [w.value for w in windows]
            here = values.index(node.value) if node.value in values else None
            for step in (-2, -1, 1, 2):
                if here is not None and 0 <= here + step < len(windows):
                    yield _replace(elite, index, windows[here + step])
        elif isinstance(node.value, str) and node.ret is Series:
            for field in fields:
                if field.value != node.value:
                    yield _replace(elite, index, field)
    for wrapper in (p for p in pset.primitives[Series] if p.name in WRAPPERS and p.name != elite[0].name):
        extra = [_middle_terminal(pset.terminals[t]) for t in wrapper.args[1:]]
        yield Individual([wrapper, *elite, *extra], elite.params)


def _replace(elite: Individual, index: int, node: Any) -> Individual:
    """``elite`` with one node swapped for another of the same arity and type."""
    content = list(elite)
    content[index] = node
    return Individual(content, elite.params)


def _middle_terminal(terminals: list[Any]) -> Any:
    ordered = sorted(terminals, key=lambda t: t.value if isinstance(t.value, (int, float)) else 0)
    return ordered[len(ordered) // 2]
