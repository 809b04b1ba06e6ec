"""Evaluate one batch of GA individuals (or lateral / LLM ideas): the heart of a generation.

1. Canonicalise each expression (``expressions.parse``); one that does not parse is an error.
2. Ask the bandit for a settings arm per sub-batch (``bandit``), merge it into the base settings.
3. Skip what the store has already simulated (same alpha, settings and parameters): its stored
   score is reused, it is never simulated twice.
4. Simulate the rest in-sample with the executor (``pipelines.executors``).
5. Sign awareness: an alpha with negative Sharpe is scored negated (Sharpe -2 is Sharpe +2
   after negation); both results are stored. The worker derives the negated result from the
   first simulation (``Candidate.negate_losing``); only pipelines that are not odd in the alpha
   (``post.transform = rank``) are simulated again.
6. Score (``miner.scoring``), record every result in one transaction (``state``), reward the
   bandit arm of each result, update the hall of fame.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import structlog

from expressions import canonical, expr_hash, parse
from miner.hall_of_fame import Entry
from miner.scoring import ERROR_SCORE, ScoreInputs
from pipelines.candidates import Candidate, CandidateResult, negated_candidate
from pipelines.settings import SimulationSettings

log = structlog.get_logger(__name__)


@dataclasses.dataclass
class Proposal:
    """An expression to evaluate, where it came from, and (for GA individuals) its tree size."""

    expression: str
    params: dict[str, Any]
    origin: str
    generation: int
    parents: list[str] = dataclasses.field(default_factory=list)
    size: int = 1
    settings: SimulationSettings | None = None  # fixed settings (lateral moves); else the bandit's
    prompt_id: int | None = None


@dataclasses.dataclass
class Outcome:
    """The scored result of one proposal (after sign correction)."""

    proposal: Proposal
    expression: str
    score: float
    metrics: dict[str, Any] | None
    settings: SimulationSettings | None
    simulation_id: int | None
    error: str | None
    negated: bool = False
    cached: bool = False


def params_key(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"), default=str)


def simulation_key(candidate: Candidate) -> tuple[str, str, str]:
    """What identifies a simulation in the store: (alpha hash, settings key, params key)."""
    return expr_hash(parse(candidate.expression)), candidate.settings.key(), params_key(dict(candidate.params))


def negate(expression: str) -> str:
    """Canonical text of the negated expression (a leading negation is removed, not doubled)."""
    return negated_candidate(Candidate(expression)).expression


def evaluate_proposals(ctx: Any, proposals: Sequence[Proposal], progress: Callable[[int], None] | None = None) -> list[Outcome]:
    """Steps 1-6 of the module docstring for one batch; one Outcome per proposal, same order."""
    outcomes: list[Outcome | None] = [None] * len(proposals)
    pending: list[tuple[int, Candidate, Any]] = []  # (proposal index, candidate, bandit arm)
    for index, proposal in enumerate(proposals):
        text, error = _canonical_or_error(proposal.expression, ctx)
        if error:
            outcomes[index] = Outcome(proposal, proposal.expression, ERROR_SCORE, None, None, None, error)
            ctx.recent_failures.append({"expression": proposal.expression, "error": error})
            continue
        settings, arm = _settings_for(ctx, proposal, index)
        pending.append((index, Candidate(text, settings, dict(proposal.params), negate_losing=True), arm))
    keys = [simulation_key(c) for _, c, _ in pending]
    known = ctx.store.lookup_simulations(keys)
    to_run = []
    for (index, candidate, arm), key in zip(pending, keys):
        hit = known.get(key)
        if hit is not None:
            outcomes[index] = _from_store(proposals[index], candidate, hit)
        else:
            to_run.append((index, candidate, arm))
    results = ctx.executor.evaluate_batch([c for _, c, _ in to_run], progress=progress)
    flipped = _negate_losers(ctx, to_run, results)
    items, scored = [], []
    for (index, _, arm), result in zip(to_run, results):
        final = flipped.get(index, result)
        score = _score(ctx, final, proposals[index].size, ctx.hall_of_fame.pnls())
        quality = _score(ctx, final, proposals[index].size, [])
        items.extend(_store_items(ctx, proposals[index], result, final, score))
        scored.append((index, arm, final, score, quality, len(items) - 1))  # the final result is the last item
    ids = ctx.store.record_batch(ctx.run_id, items) if items else []
    for index, arm, final, score, quality, item_index in scored:
        sim_id = ids[item_index]
        outcomes[index] = _outcome(proposals[index], final, score, sim_id, negated=index in flipped)
        if final.status != "ok":
            ctx.recent_failures.append({"expression": final.candidate.expression, "error": final.error})
        ctx.reward(arm, final)
        _consider_for_hall_of_fame(ctx, outcomes[index], final, quality)
    return [o for o in outcomes if o is not None]


def _canonical_or_error(expression: str, ctx: Any) -> tuple[str, str | None]:
    try:
        return canonical(parse(expression, fields=ctx.panel.fields, groups=ctx.panel.groups)), None
    except Exception as error:  # noqa: BLE001 - any failure is this candidate's error, not the batch's
        return expression, f"{type(error).__name__}: {error}"


def _settings_for(ctx: Any, proposal: Proposal, index: int) -> tuple[SimulationSettings, Any]:
    if proposal.settings is not None:
        return proposal.settings, None
    arm = ctx.arm_for(index)
    return ctx.base_settings.replace(**dict(arm)), arm


def _negate_losers(ctx: Any, to_run: list, results: list[CandidateResult]) -> dict[int, CandidateResult]:
    """The negated result of each negative-Sharpe candidate, by proposal index: derived by the
    worker where it could, simulated now where it could not."""
    flipped, to_simulate = {}, []
    for (index, candidate, _), result in zip(to_run, results):
        if result.status != "ok" or (result.is_metrics or {}).get("sharpe", 0.0) >= 0:
            continue
        if result.negated is not None:
            flipped[index] = result.negated
        else:
            to_simulate.append((index, negated_candidate(candidate)))
    if to_simulate:
        simulated = ctx.executor.evaluate_batch([c for _, c in to_simulate])
        flipped.update((index, result) for (index, _), result in zip(to_simulate, simulated))
    return flipped


def _score(ctx: Any, result: CandidateResult, size: int, hall_of_fame_pnls: list[np.ndarray]) -> float:
    """The score against ``hall_of_fame_pnls`` (none: the alpha's own quality, no diversity factor)."""
    if result.status != "ok" or not result.is_metrics:
        return ERROR_SCORE
    inputs = ScoreInputs(result.is_metrics, result.daily_pnl, size, hall_of_fame_pnls)
    value = float(ctx.score_function(inputs, ctx.config.scoring))
    return value if np.isfinite(value) else ERROR_SCORE


def _store_items(ctx: Any, proposal: Proposal, first: CandidateResult, final: CandidateResult, score: float) -> list[dict[str, Any]]:
    items = []
    if final is not first:
        items.append(_item(proposal, first, ERROR_SCORE if first.status != "ok" else -abs(score), parents=proposal.parents))
    items.append(_item(proposal, final, score, parents=proposal.parents + ([first.candidate.expression] if final is not first else [])))
    return items


def _item(proposal: Proposal, result: CandidateResult, score: float, parents: list[str]) -> dict[str, Any]:
    candidate = result.candidate
    alpha_hash, settings_key, key_of_params = simulation_key(candidate)
    return {
        "canonical": candidate.expression,
        "hash": alpha_hash,
        "origin": proposal.origin,
        "parents": parents,
        "generation": proposal.generation,
        "settings_key": settings_key,
        "settings": candidate.settings.to_dict(),
        "params_key": key_of_params,
        "params": candidate.params,
        "status": result.status,
        "error": result.error,
        "metrics": result.is_metrics or {},
        "daily_pnl": result.daily_pnl,
        "pnl_start": getattr(result, "pnl_start", None),
        "duration": result.duration_s,
        "score": score,
    }


def _from_store(proposal: Proposal, candidate: Candidate, hit: dict[str, Any]) -> Outcome:
    return Outcome(proposal, candidate.expression, float(hit.get("score") or ERROR_SCORE), hit.get("metrics"),
                   candidate.settings, hit.get("id"), hit.get("error"), cached=True)


def _outcome(proposal: Proposal, result: CandidateResult, score: float, sim_id: int | None, negated: bool) -> Outcome:
    return Outcome(proposal, result.candidate.expression, score, result.is_metrics,
                   result.candidate.settings, sim_id, result.error, negated=negated)


def _consider_for_hall_of_fame(ctx: Any, outcome: Outcome, result: CandidateResult, quality: float) -> None:
    """The hall ranks by quality: a niche's best member is kept on its own merit, not its novelty."""
    if outcome.metrics is None or quality <= ERROR_SCORE:
        return
    ctx.hall_of_fame.consider(Entry(quality, outcome.expression, outcome.settings.to_dict(),
                                    dict(result.candidate.params), dict(outcome.metrics), outcome.simulation_id,
                                    result.daily_pnl))

