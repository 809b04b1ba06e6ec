"""DEAP glue: the typed primitive set derived from the operator registry, and typed variation.

The primitive set is built from ``expressions.registry.REGISTRY`` (BRAIN dialect, operators
whose positional arguments are all GP-representable); terminals are the panel's fields
(Series), its groupings (Group), a window set (Window) and a few constants (Scalar). Optional
keyword parameters keep their defaults inside the GA.

Randomness: DEAP's operators draw from the global ``random`` module. The cycle seeds it from
the checkpointed state before evolving and saves ``random.getstate()`` after, so a resumed run
continues the same stream.
"""

from __future__ import annotations

import operator as op
import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from deap import base, gp

from expressions import parse
from expressions.registry import operators
from expressions.types import Group, Scalar, Series, Text, Window

WRAPPERS = ("rank", "zscore", "winsorize", "ts_backfill")

# The operators most alphas are built from: drawn CORE_WEIGHT times as often as the rest when
# trees are grown, so that a search over ~80 operators still spends most of its time on forms
# people actually trade. ``[evolution] operator_weights`` overrides any weight (0 removes one).
CORE_OPERATORS = (
    "add", "subtract", "multiply", "divide", "reverse", "abs", "log", "sign", "signed_power",
    "rank", "zscore", "scale", "winsorize", "ts_mean", "ts_sum", "ts_delta", "ts_delay",
    "ts_std_dev", "ts_rank", "ts_zscore", "ts_corr", "ts_covariance", "ts_decay_linear", "ts_min",
    "ts_max", "ts_arg_max", "ts_arg_min", "group_neutralize", "group_rank",
)
CORE_WEIGHT = 4.0


class Score(base.Fitness):
    """One maximised objective: the miner's score."""

    weights = (1.0,)


class Individual(gp.PrimitiveTree):
    """An expression tree plus its pipeline parameters (dotted override paths)."""

    def __init__(self, content: Iterable[Any], params: dict[str, Any] | None = None):
        super().__init__(content)
        self.params: dict[str, Any] = dict(params or {})
        self.fitness = Score()

    def text(self) -> str:
        """The tree as expression text (not yet canonical)."""
        return str(self)


def build_pset(
    fields: Sequence[str],
    groups: Sequence[str],
    windows: Sequence[int],
    constants: Sequence[float],
    operator_weights: dict[str, float] | None = None,
) -> gp.PrimitiveSetTyped:
    """A PrimitiveSetTyped with every GP-usable operator of the registry.

    ``pset.weights`` maps each primitive's name to its draw weight (CORE_OPERATORS first).
    """
    pset = gp.PrimitiveSetTyped("alpha", [], Series)
    weights = {name: CORE_WEIGHT for name in CORE_OPERATORS} | dict(operator_weights or {})
    pset.weights = {}
    pset.terminal_weights = {}
    for spec in operators():
        if spec.dialect != "brain" or any(t is Text for t in spec.args) or not spec.args:
            continue
        weight = float(weights.get(spec.name, 1.0))
        if weight <= 0:
            continue
        pset.addPrimitive(spec.fn, list(spec.args), spec.returns, name=spec.name)
        pset.weights[spec.name] = weight
    for name in fields:
        pset.addTerminal(name, Series, name=name)
    for name in groups:
        pset.addTerminal(name, Group, name=name)
    for window in sorted(set(int(w) for w in windows)):
        pset.addTerminal(window, Window)
    for value in constants:
        pset.addTerminal(float(value), Scalar)
    return pset


def generate(pset: gp.PrimitiveSetTyped, min_height: int, max_height: int, type_: type = Series) -> list[Any]:
    """Grow a random typed tree; types without primitives (windows, groups) get terminals.

    DEAP's own generators raise when a type has no primitive at an inner depth; this one falls
    back to a terminal, so typed generation never fails.
    """
    height = random.randint(min_height, max_height)
    expr: list[Any] = []
    stack = [(0, type_)]
    while stack:
        depth, tp = stack.pop()
        prims = pset.primitives.get(tp, [])
        terms = pset.terminals.get(tp, [])
        want_terminal = depth >= height or (depth >= min_height and random.random() < 0.3)
        if (want_terminal and terms) or not prims:
            expr.append(_weighted_terminal(terms, pset))
        else:
            prim = _weighted_choice(prims, pset)
            expr.append(prim)
            for arg in reversed(prim.args):
                stack.append((depth + 1, arg))
    return expr


def _weighted_choice(prims: Sequence[Any], pset: gp.PrimitiveSetTyped) -> Any:
    weights = getattr(pset, "weights", {})
    return random.choices(prims, weights=[weights.get(p.name, 1.0) for p in prims])[0]


def _weighted_terminal(terms: Sequence[Any], pset: gp.PrimitiveSetTyped) -> Any:
    """A terminal drawn by ``pset.terminal_weights`` (name -> weight; absent names weigh 1)."""
    weights = getattr(pset, "terminal_weights", None)
    if not weights:
        return random.choice(terms)
    return random.choices(terms, weights=[weights.get(t.name, 1.0) for t in terms])[0]


def random_individual(pset: gp.PrimitiveSetTyped, min_height: int, max_height: int, params: dict[str, Any]) -> Individual:
    return Individual(generate(pset, min_height, max_height), params)


# ---- variation --------------------------------------------------------------------------


def crossover(a: Individual, b: Individual) -> tuple[Individual, Individual]:
    """Typed one-point subtree crossover (DEAP's), parameters swapped half the time."""
    gp.cxOnePoint(a, b)
    if random.random() < 0.5:
        a.params, b.params = b.params, a.params
    return a, b


def mutate_subtree(ind: Individual, pset: gp.PrimitiveSetTyped) -> Individual:
    gp.mutUniform(ind, lambda pset, type_: generate(pset, 0, 2, type_), pset)
    return ind


def mutate_operator(ind: Individual, pset: gp.PrimitiveSetTyped) -> Individual:
    """Swap one operator for another with the same signature (or one terminal for another)."""
    gp.mutNodeReplacement(ind, pset)
    return ind


def jitter_window(ind: Individual, pset: gp.PrimitiveSetTyped) -> Individual:
    """Move one window to a neighbouring value of the window set."""
    spots = [i for i, node in enumerate(ind) if isinstance(node, gp.Terminal) and node.ret is Window]
    if not spots:
        return mutate_operator(ind, pset)
    index = random.choice(spots)
    windows = sorted(pset.terminals[Window], key=op.attrgetter("value"))
    values = [t.value for t in windows]
    here = values.index(ind[index].value) if ind[index].value in values else 0
    step = random.choice((-1, 1))
    ind[index] = windows[min(len(windows) - 1, max(0, here + step))]
    return ind


def substitute_field(ind: Individual, pset: gp.PrimitiveSetTyped) -> Individual:
    """Replace one data field by another."""
    spots = [i for i, node in enumerate(ind) if isinstance(node, gp.Terminal) and node.ret is Series]
    fields = [t for t in pset.terminals[Series] if isinstance(t, gp.Terminal)]
    if spots and fields:
        ind[random.choice(spots)] = _weighted_terminal(fields, pset)
    return ind


def insert_wrapper(ind: Individual, pset: gp.PrimitiveSetTyped) -> Individual:
    """Wrap a Series subtree in rank / zscore / winsorize / ts_backfill."""
    wrappers = [p for p in pset.primitives[Series] if p.name in WRAPPERS]
    spots = [i for i, node in enumerate(ind) if issubclass(node.ret, Series)]
    if not wrappers or not spots:
        return ind
    index = random.choice(spots)
    wrapper = random.choice(wrappers)
    subtree = ind[ind.searchSubtree(index)]
    extra = [random.choice(pset.terminals[t]) for t in wrapper.args[1:]]
    ind[ind.searchSubtree(index)] = [wrapper, *subtree, *extra]
    return ind


def shrink(ind: Individual, pset: gp.PrimitiveSetTyped) -> Individual:
    gp.mutShrink(ind)
    return ind


MUTATIONS: tuple[Callable[[Individual, gp.PrimitiveSetTyped], Individual], ...] = (
    mutate_subtree,
    mutate_operator,
    jitter_window,
    substitute_field,
    insert_wrapper,
    shrink,
)


def within_limits(ind: Sequence[Any], max_height: int, max_size: int) -> bool:
    return len(ind) <= max_size and gp.PrimitiveTree(ind).height <= max_height


def vary(
    parents: Sequence[Individual],
    pset: gp.PrimitiveSetTyped,
    *,
    cxpb: float,
    mutpb: float,
    max_height: int,
    max_size: int,
    mutate_params: Callable[[dict[str, Any]], dict[str, Any]],
) -> list[Individual]:
    """Offspring of ``parents`` (already selected): crossover, one mutation, parameter mutation.

    A child that breaks the height or size limit is replaced by its parent (DEAP's static limit
    rule), on crossover and on mutation alike.
    """
    children = [clone(p) for p in parents]
    for i in range(1, len(children), 2):
        if random.random() < cxpb:
            a, b = clone(children[i - 1]), clone(children[i])
            crossover(a, b)
            children[i - 1] = a if within_limits(a, max_height, max_size) else children[i - 1]
            children[i] = b if within_limits(b, max_height, max_size) else children[i]
    for i, child in enumerate(children):
        if random.random() < mutpb:
            mutant = random.choice(MUTATIONS)(clone(child), pset)
            children[i] = mutant if within_limits(mutant, max_height, max_size) else child
        if random.random() < mutpb:
            children[i].params = mutate_params(children[i].params)
        del children[i].fitness.values
    return children


def clone(ind: Individual) -> Individual:
    return Individual(list(ind), ind.params)


def select(population: Sequence[Individual], k: int, tournament: int) -> list[Individual]:
    """``k`` parents by tournament selection (elites are kept by the cycle, unvaried)."""
    chosen = []
    for _ in range(k):
        contenders = random.sample(list(population), min(tournament, len(population)))
        chosen.append(clone_scored(max(contenders, key=lambda ind: ind.fitness.values[0])))
    return chosen


def clone_scored(ind: Individual) -> Individual:
    twin = clone(ind)
    if ind.fitness.valid:
        twin.fitness.values = ind.fitness.values
    return twin


# ---- text <-> tree ----------------------------------------------------------------------


def serialize(ind: Individual) -> dict[str, Any]:
    """A JSON-able record of an individual: prefix tokens + params (+ score when known)."""
    tokens = [[node.name, node.arity] if isinstance(node, gp.Primitive) else [node.value, node.ret.__name__] for node in ind]
    record: dict[str, Any] = {"tokens": tokens, "params": ind.params}
    if ind.fitness.valid:
        record["score"] = ind.fitness.values[0]
    return record


def deserialize(record: dict[str, Any], pset: gp.PrimitiveSetTyped) -> Individual:
    nodes: list[Any] = []
    kinds = {"Series": Series, "Group": Group, "Window": Window, "Scalar": Scalar}
    for value, second in record["tokens"]:
        if isinstance(second, int):
            nodes.append(pset.mapping[value])
        elif isinstance(value, str):
            nodes.append(pset.mapping.get(value) or gp.Terminal(value, True, kinds[second]))
        else:
            nodes.append(gp.Terminal(value, False, kinds[second]))
    ind = Individual(nodes, record.get("params"))
    if "score" in record:
        ind.fitness.values = (record["score"],)
    return ind


def from_text(text: str, pset: gp.PrimitiveSetTyped, params: dict[str, Any] | None = None) -> Individual | None:
    """The GA tree for an expression, or None when it uses what the GA cannot represent
    (keyword arguments, operators outside the primitive set)."""
    try:
        node = parse(text)
    except Exception:  # noqa: BLE001 - any unparsable text simply is not a GA individual
        return None
    nodes: list[Any] = []
    if not _append_nodes(node, Series, pset, nodes):
        return None
    return Individual(nodes, params)


def _append_nodes(node: Any, expected: type, pset: gp.PrimitiveSetTyped, out: list[Any]) -> bool:
    kind = type(node).__name__
    if kind == "Call":
        prim = pset.mapping.get(node.op)
        if not isinstance(prim, gp.Primitive) or node.kwargs or len(node.args) != prim.arity:
            return False
        out.append(prim)
        return all(_append_nodes(arg, tp, pset, out) for arg, tp in zip(node.args, prim.args))
    if kind == "Field":
        tp = Group if expected is Group else Series
        out.append(pset.mapping.get(node.name) or gp.Terminal(node.name, True, tp))
        return True
    if kind == "Const":
        value = node.value
        if expected is Window:
            out.append(gp.Terminal(int(value), False, Window))
        elif isinstance(value, (int, float)):
            out.append(gp.Terminal(float(value), False, Scalar if expected is Scalar else Series))
        else:
            return False
        return True
    return False
