"""Candidates (expression + settings + pipeline params) and running one: parse, evaluate, simulate.

``run_candidate`` is what every executor calls, once per candidate:

1. ``pipelines.params.apply_params`` wraps the expression and overrides the settings.
2. In-sample (the default), the panel is cut at the settings' split (``Panel.head``), so nothing
   from the out-of-sample tail is read while searching; ``include_os=True`` uses the full panel.
3. ``expressions.parse`` checks the text; ``canonical`` / ``expr_hash`` name it.
4. ``expressions.Evaluator`` computes the alpha matrix, sharing ``cache`` across candidates
   (keyed by the view, so in-sample and full-panel values never mix).
5. ``pipelines.simulate.simulate`` turns it into metrics and daily PnL.

Any exception from a bad candidate becomes an error result with a one-line message.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import structlog

from expressions.errors import ExpressionError
from pipelines.errors import PipelineError
from pipelines.identity_cache import IdentityCache
from pipelines.panel import Panel
from pipelines.params import apply_params, is_odd
from pipelines.settings import SimulationSettings, split_index

log = structlog.get_logger()


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One thing to simulate: an expression, its settings and pipeline parameters.

    ``params`` maps dotted paths to values (see ``pipelines.params``); ``alpha_id`` is the
    caller's identifier (a database row id), carried through untouched. ``negate_losing``: when
    the in-sample Sharpe is negative, also return the result of ``negated_candidate`` where it
    follows exactly from this one (``CandidateResult.negated``), instead of simulating it again.
    """

    expression: str
    settings: SimulationSettings = dataclasses.field(default_factory=SimulationSettings)
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    alpha_id: int | None = None
    negate_losing: bool = False


@dataclasses.dataclass(frozen=True)
class CandidateResult:
    """The outcome of one candidate: figures when ``status == "ok"``, a message when "error".

    ``canonical`` / ``expr_hash`` name the expression actually simulated (after params);
    they are empty when it did not parse. Metrics are ``Metrics.to_dict()`` dicts. ``negated``:
    the result of ``negated_candidate(candidate)`` when asked for and derived (see ``Candidate``).
    """

    candidate: Candidate
    status: str
    error: str | None
    canonical: str
    expr_hash: str
    is_metrics: dict[str, Any] | None
    os_metrics: dict[str, Any] | None
    daily_pnl: np.ndarray | None
    years: list[dict[str, Any]]
    duration_s: float
    negated: CandidateResult | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


_VIEWS = IdentityCache(lambda panel: {}, max_entries=8)  # panel -> {n_dates: panel.head(n_dates)}


def _in_sample_view(panel: Panel, n_dates: int) -> Panel:
    """``panel.head(n_dates)``, kept per panel and split so its universes are computed once."""
    if n_dates >= panel.T:
        return panel
    views = _VIEWS.get(panel)
    if n_dates not in views:
        views[n_dates] = panel.head(n_dates)
    return views[n_dates]


def run_candidate(candidate: Candidate, panel: Panel, cache: Any = None, *, include_os: bool = False) -> CandidateResult:
    """Parse, evaluate and simulate one candidate; never raises for a bad candidate.

    Parameters
    ----------
    candidate : what to simulate.
    panel : the full panel (its out-of-sample tail is only read when ``include_os``).
    cache : an ``expressions.ResultCache`` shared across candidates, or None.
    include_os : also compute the out-of-sample figures.

    Returns
    -------
    CandidateResult : status "ok" with metrics, or "error" with a one-line message.
    """
    started = time.perf_counter()
    names = ("", "")
    try:
        text, settings = apply_params(candidate.expression, candidate.settings, candidate.params)
        is_end = split_index(panel.T, settings.os_fraction)
        view = panel if include_os else _in_sample_view(panel, is_end)
        node, names = _parse(text, view)
        alpha = alpha_values(node, view, settings, cache)
        result = _simulate(alpha, view, settings, is_end, include_os)
        twin = _negated_result(candidate, result, view) if _wants_negation(candidate, result) else None
    except Exception as error:  # noqa: BLE001 - a bad candidate must never crash its batch
        return _error_result(candidate, error, names, time.perf_counter() - started)
    return _ok_result(candidate, names, result, time.perf_counter() - started, twin)


def negated_candidate(candidate: Candidate) -> Candidate:
    """The candidate of -(expression), same settings and params (a leading negation is removed,
    not doubled)."""
    from expressions import Call, canonical, parse

    node = parse(candidate.expression)
    if isinstance(node, Call) and node.op == "reverse" and len(node.args) == 1:
        text = canonical(node.args[0])
    else:
        text = canonical(parse(f"-({candidate.expression})"))
    return dataclasses.replace(candidate, expression=text, negate_losing=False)


def _wants_negation(candidate: Candidate, result: Any) -> bool:
    return candidate.negate_losing and result.is_metrics.sharpe < 0 and is_odd(candidate.params)


def _negated_result(candidate: Candidate, result: Any, view: Panel) -> CandidateResult:
    """``run_candidate(negated_candidate(candidate))`` from this candidate's simulation: the
    pipeline is odd (``params.is_odd``), so it simulates -alpha exactly (``simulate.negated``)."""
    from pipelines.simulate import negated

    started = time.perf_counter()
    twin = negated_candidate(candidate)
    text, _settings = apply_params(twin.expression, twin.settings, twin.params)
    _node, names = _parse(text, view)
    return _ok_result(twin, names, negated(result), time.perf_counter() - started)


def _ok_result(candidate: Candidate, names: tuple[str, str], result: Any, duration: float,
               negated: CandidateResult | None = None) -> CandidateResult:
    return CandidateResult(
        candidate=candidate,
        status="ok",
        error=None,
        canonical=names[0],
        expr_hash=names[1],
        is_metrics=result.is_metrics.to_dict(),
        os_metrics=result.os_metrics.to_dict() if result.os_metrics is not None else None,
        daily_pnl=np.asarray(result.daily_pnl, dtype=np.float64),
        years=[row.to_dict() for row in result.years],
        duration_s=duration,
        negated=negated,
    )


def _parse(text: str, view: Panel) -> tuple[Any, tuple[str, str]]:
    from expressions import canonical, expr_hash, parse

    node = parse(text, fields=view.fields, groups=view.groups)
    return node, (canonical(node), expr_hash(node))


def alpha_values(node: Any, view: Panel, settings: SimulationSettings, cache: Any = None) -> np.ndarray:
    """The alpha matrix of a parsed expression (or text) on ``view`` under ``settings``:
    cross-sectional operators see only the settings' universe when pasteurization is on."""
    from expressions import Evaluator

    if settings.pasteurization:
        universe, key = view.universe(settings.universe), settings.universe
    else:
        universe, key = None, "ALL"
    evaluator = Evaluator(view.fields, view.groups, universe=universe, universe_key=f"{view.source}|{key}", cache=cache)
    return evaluator.evaluate(node)


def _simulate(alpha: np.ndarray, view: Panel, settings: SimulationSettings, is_end: int, include_os: bool):
    from pipelines.simulate import simulate

    return simulate(alpha, view, settings, is_end=is_end, include_os=include_os)


def _error_result(candidate: Candidate, error: Exception, names: tuple[str, str], duration: float) -> CandidateResult:
    message = one_line(error)
    if not isinstance(error, (ExpressionError, PipelineError)):
        log.warning("candidate_failed", expression=candidate.expression, error=message, exc_info=True)
    return error_result(candidate, message, names=names, duration_s=duration)


def error_result(
    candidate: Candidate, message: str, *, names: tuple[str, str] = ("", ""), duration_s: float = 0.0
) -> CandidateResult:
    """An error result for ``candidate`` (also used by executors for candidates lost with a worker)."""
    return CandidateResult(
        candidate=candidate,
        status="error",
        error=message,
        canonical=names[0],
        expr_hash=names[1],
        is_metrics=None,
        os_metrics=None,
        daily_pnl=None,
        years=[],
        duration_s=duration_s,
    )


def one_line(error: BaseException) -> str:
    """``str(error)`` on one line; unexpected error types are prefixed with their class name."""
    text = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, (ExpressionError, PipelineError)):
        return text
    return f"{type(error).__name__}: {text}"
