"""Lateral moves: small, systematic neighbours of elite alphas.

Where evolution jumps, lateral moves step: for an elite tree they enumerate every single
change of one kind — a window to its neighbouring value, an operator to another with the same
signature, a field to another field, a wrapper (rank, zscore, winsorize, ts_backfill) around
the whole — and sample ``per_elite`` of them. Windows move one or two places in the window set.

An elite's own parts come first: each of its inner Series subtrees (that is more than a bare
field) is tried as an alpha of its own. Evolution tends to grow strong alphas as blends of
several signals; a part is often the cleaner, more robust signal, and the blend's other part
is then free to be found again on its own. Neighbours are simulated under the elite's own
settings and parameters.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from typing import Any

from deap import gp

from expressions.types import Series, Window
from miner.evolution import WRAPPERS, Individual


def neighbours(elite: Individual, pset: gp.PrimitiveSetTyped, per_elite: int) -> list[Individual]:
    """Up to ``per_elite`` distinct neighbours of ``elite``: its parts (at most a third), then a
    random sample of one-step changes, no repeats."""
    seen = {str(elite)}
    parts = _unique(subtrees(elite), seen)
    random.shuffle(parts)
    parts = parts[: max(1, per_elite // 3)]
    seen = {str(elite)} | {str(p) for p in parts}
    steps = _unique(_all_neighbours(elite, pset), seen)
    random.shuffle(steps)
    return (parts + steps)[:per_elite]


def subtrees(elite: Individual) -> Iterator[Individual]:
    """Every proper subtree of ``elite`` that is a Series built by an operator."""
    for index in range(1, len(elite)):
        node = elite[index]
        if isinstance(node, gp.Primitive) and issubclass(node.ret, Series):
            yield Individual(elite[elite.searchSubtree(index)], elite.params)


def _unique(candidates: Iterable[Individual], seen: set[str]) -> list[Individual]:
    unique = []
    for candidate in candidates:
        text = str(candidate)
        if text not in seen:
            seen.add(text)
            unique.append(candidate)
    return unique


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
