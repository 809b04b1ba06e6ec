"""Template screening: a cheap first look at every simple alpha the operator set can build.

Before the first generation, each one-operator template over the panel's fields —
``op(field, window)`` and ``op(field, other_field, window)`` for the core time-series operators
of the primitive set — is evaluated on in-sample days and scored by its mean daily rank IC with
the return it would trade (``delay`` days later). Nothing is simulated: a template costs one
kernel call and one cross-sectional rank, about a hundredth of a simulation, so the whole
family is seen before evolution spends its budget. The strongest templates that are not
near-copies of a stronger one become the first population; from there the simulator, the hall
of fame and lateral moves refine them.

Random trees rarely land on a simple signal (there are ~100 operators to draw from); a screen
of the simple forms makes sure none of them is missed.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import structlog
from deap import gp

from expressions import Evaluator, ExpressionError
from expressions.types import Series, Window
from miner.evolution import CORE_OPERATORS
from miner.rank_correlation import mean_row_correlation, ranks
from pipelines.panel import Panel
from pipelines.settings import SimulationSettings, split_index

log = structlog.get_logger(__name__)


@dataclasses.dataclass(frozen=True)
class Screened:
    expression: str
    rank_ic: float


def templates(pset: gp.PrimitiveSetTyped, windows: Sequence[int], max_fields: int | None = None) -> Iterator[str]:
    """Every ``op(field, window)`` / ``op(field, other, window)`` of the core time-series
    operators, and each field's moving-average ratio ``ts_mean(f, short) / ts_mean(f, long)``,
    over the ``max_fields`` fields of highest draw weight (pairs grow with its square)."""
    fields = screened_fields(pset, max_fields)
    names = {p.name for p in pset.primitives.get(Series, [])}
    if {"divide", "ts_mean"} <= names:
        for field, (short, long) in itertools.product(fields, itertools.combinations(sorted(windows), 2)):
            yield f"divide(ts_mean({field}, {short}), ts_mean({field}, {long}))"
    for primitive in pset.primitives.get(Series, []):
        if primitive.name not in CORE_OPERATORS:
            continue
        if primitive.args == [Series, Window]:
            for field, window in itertools.product(fields, windows):
                yield f"{primitive.name}({field}, {window})"
        elif primitive.args == [Series, Series, Window]:
            for (a, b), window in itertools.product(itertools.combinations(fields, 2), windows):
                yield f"{primitive.name}({a}, {b}, {window})"


def screened_fields(pset: gp.PrimitiveSetTyped, max_fields: int | None) -> list[str]:
    """The field terminals by draw weight (``pset.terminal_weights``), heaviest first, stable."""
    fields = [t.value for t in pset.terminals.get(Series, []) if isinstance(getattr(t, "value", None), str)]
    weights = getattr(pset, "terminal_weights", None) or {}
    ranked = sorted(fields, key=lambda name: -weights.get(name, 1.0))
    return ranked[:max_fields] if max_fields is not None else ranked


def screen(panel: Panel, settings: SimulationSettings, candidates: Sequence[str], *, top: int,
           max_corr: float = 0.9, stride: int = 3, progress: Callable[[int], None] | None = None) -> list[Screened]:
    """The ``top`` candidates by |mean daily rank IC| on in-sample days, near-copies left out.

    A candidate is a near-copy when its daily ranks correlate at ``max_corr`` or more (mean over
    the sampled days) with a better one already kept. Every ``stride``-th day is sampled.
    """
    view = panel.head(split_index(panel.T, settings.os_fraction))
    member = view.universe(settings.universe)
    evaluator = Evaluator(view.fields, view.groups, universe=member, universe_key=settings.universe)
    days = np.arange(0, view.T - settings.delay - 1, stride)
    target = ranks(_masked(view.returns[days + settings.delay + 1], member[days + settings.delay + 1]))
    scored = []
    for expression in candidates:
        try:
            values = evaluator.evaluate(expression)
        except ExpressionError as error:  # e.g. a window longer than a short panel: not a template here
            log.debug("template_skipped", expression=expression, error=str(error))
            continue
        finally:
            if progress is not None:
                progress(1)
        ranked = ranks(_masked(values[days], member[days]))
        scored.append((abs(mean_row_correlation(ranked, target)), expression, ranked))
    kept: list[tuple[float, str, np.ndarray]] = []
    for ic, expression, ranked in sorted(scored, key=lambda s: s[0], reverse=True):
        if len(kept) == top:
            break
        if np.isfinite(ic) and all(abs(mean_row_correlation(ranked, k[2])) < max_corr for k in kept):
            kept.append((ic, expression, ranked))
    log.info("screened", templates=len(scored), kept=len(kept), best=kept[0][1] if kept else None)
    return [Screened(expression, ic) for ic, expression, _ in kept]


def _masked(values: np.ndarray, member: np.ndarray) -> np.ndarray:
    return np.where(member, values, np.nan)
