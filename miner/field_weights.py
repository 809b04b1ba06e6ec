"""Which data fields the GA draws, and how often: coverage, popularity and category balance.

1. ``fields_of`` walks an expression's parsed tree for the data fields it reads.
2. ``field_popularity`` counts, per field, the distinct stored alphas using it that pass the
   in-sample Sharpe and fitness limits (``pipelines.checks``), and their mean score (each alpha
   at its best passing simulation). The rows come from ``state.repo_fields``.
3. ``field_weights`` turns metadata (``pipelines.fields``) and popularity into draw weights:

   - fields under ``min_coverage`` are left out (the primitive set never sees them);
   - a field's quality is ``coverage * (floor + (1 - floor) * p)``, where ``p`` in [0, 1] is its
     passing count on a log scale relative to the most popular field (all 1 while nothing
     passes): the floor keeps never-tried fields in play;
   - each category gets a share of the draws, ``floor + (1 - floor) * p_category`` (normalised;
     its passing count on the same log scale), split among its fields by quality; so a category
     of 2,000 noise fields cannot drown the five price fields, yet a productive category grows.

   Weights are scaled to a mean of 1 (``pset.terminal_weights`` treats absent names as 1).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence

from expressions import parse
from expressions.ast import Call, Field, Node
from expressions.types import Group
from pipelines.checks import FITNESS_LIMIT, SHARPE_LIMIT
from pipelines.fields import FieldInfo

DEFAULT_MIN_COVERAGE = 0.7
EXPLORATION_FLOOR = 0.2


@dataclasses.dataclass(frozen=True)
class FieldPopularity:
    """Stored alphas using a field that pass the in-sample limits, and their mean score."""

    field: str
    passing: int = 0
    mean_score: float | None = None


def fields_of(expression: str | Node) -> frozenset[str]:
    """The data fields an expression reads (groupings such as ``sector`` are not fields).

    Text that does not parse reads no field.

    Examples
    --------
    >>> sorted(fields_of("group_rank(ts_corr(close, volume, 10), sector)"))
    ['close', 'volume']
    """
    if isinstance(expression, str):
        try:
            expression = parse(expression)
        except Exception:  # noqa: BLE001 - stored text from an older grammar simply reads nothing
            return frozenset()
    found: set[str] = set()
    stack = [expression]
    while stack:
        node = stack.pop()
        if isinstance(node, Field):
            if node.type is not Group:
                found.add(node.name)
        elif isinstance(node, Call):
            stack.extend(node.args)
            stack.extend(value for _, value in node.kwargs)
    return frozenset(found)


def field_popularity(
    rows: Iterable[tuple[str, float | None, float | None, float | None]],
    *,
    sharpe_limit: float = SHARPE_LIMIT[1],
    fitness_limit: float = FITNESS_LIMIT[1],
    parsed: dict[str, frozenset[str]] | None = None,
    best: dict[str, float] | None = None,
) -> dict[str, FieldPopularity]:
    """Per field: distinct passing alphas and their mean (best passing) score.

    Parameters
    ----------
    rows : ``(expression, sharpe, fitness, score)`` per simulation (``ok_simulation_figures``).
    parsed : optional memo expression -> fields, kept by the caller across calls.
    best : optional expression -> best passing score, kept by the caller across calls and updated
        here: then ``rows`` need only be the simulations new since the last call.
    """
    memo = parsed if parsed is not None else {}
    best = {} if best is None else best
    for expression, sharpe, fitness, score in rows:
        if sharpe is None or fitness is None or sharpe < sharpe_limit or fitness < fitness_limit:
            continue
        value = float(score) if score is not None else 0.0
        best[expression] = max(value, best.get(expression, -math.inf))
    scores: dict[str, list[float]] = {}
    for expression, score in best.items():
        if expression not in memo:
            memo[expression] = fields_of(expression)
        for name in memo[expression]:
            scores.setdefault(name, []).append(score)
    return {name: FieldPopularity(name, len(values), sum(values) / len(values)) for name, values in scores.items()}


def eligible_fields(metadata: Sequence[FieldInfo], min_coverage: float = DEFAULT_MIN_COVERAGE) -> list[str]:
    """Names of the fields whose coverage reaches ``min_coverage``, in metadata order."""
    return [info.name for info in metadata if info.coverage >= min_coverage]


def field_weights(
    metadata: Sequence[FieldInfo],
    popularity: Mapping[str, FieldPopularity],
    *,
    min_coverage: float = DEFAULT_MIN_COVERAGE,
    floor: float = EXPLORATION_FLOOR,
) -> dict[str, float]:
    """Draw weight per eligible field (module docstring), mean 1; ineligible fields are absent."""
    kept = [info for info in metadata if info.coverage >= min_coverage]
    if not kept:
        return {}
    passing = {info.name: popularity[info.name].passing if info.name in popularity else 0 for info in kept}
    by_category: dict[str, list[FieldInfo]] = {}
    for info in kept:
        by_category.setdefault(info.category, []).append(info)
    quality = {info.name: info.coverage * _explore(passing[info.name], max(passing.values()), floor) for info in kept}
    category_passing = {c: sum(passing[i.name] for i in infos) for c, infos in by_category.items()}
    top = max(category_passing.values())
    shares = {c: _explore(n, top, floor) for c, n in category_passing.items()}
    total_share = sum(shares.values())
    weights: dict[str, float] = {}
    for category, infos in by_category.items():
        within = sum(quality[i.name] for i in infos)
        for info in infos:
            part = quality[info.name] / within if within > 0 else 1.0 / len(infos)
            weights[info.name] = shares[category] / total_share * part
    scale = len(weights) / sum(weights.values())
    return {name: weight * scale for name, weight in weights.items()}


def _explore(passing: int, most: int, floor: float) -> float:
    """``floor`` for nothing passing up to 1 for the most popular, on a log scale (1 when none pass)."""
    if most <= 0:
        return 1.0
    return floor + (1.0 - floor) * math.log1p(passing) / math.log1p(most)


def draw_shares(weights: Mapping[str, float]) -> dict[str, float]:
    """Each field's probability of being drawn as a Series terminal."""
    total = sum(weights.values())
    return {name: weight / total for name, weight in weights.items()} if total > 0 else {}
