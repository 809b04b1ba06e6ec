"""Glue between the cycle and the LLM idea source: build the context, turn ideas into proposals."""

from __future__ import annotations

from typing import Any

from miner.batch import Proposal
from miner.llm import IdeaContext


def idea_context(ctx: Any) -> IdeaContext:
    """What the LLM is told: fields, groups, the hall of fame with figures, recent failures."""
    best = [
        {"expression": e.expression, **{k: e.metrics.get(k) for k in ("sharpe", "fitness", "returns", "turnover")}}
        for e in ctx.hall_of_fame.entries
    ]
    known = {e.expression for e in ctx.hall_of_fame.entries}
    return IdeaContext(
        fields=ctx.prompt_fields() if hasattr(ctx, "prompt_fields") else [name for name in ctx.panel.fields],
        groups=[g for g in ctx.panel.groups if g != "market"],
        best=best,
        failures=list(ctx.recent_failures),
        known_hashes=_hashes(known),
        n_ideas=ctx.config.llm.ideas,
        max_correlation=ctx.config.scoring.corr_limit,
    )


def llm_proposals(ctx: Any) -> tuple[list[Proposal], str | None]:
    """Valid, new ideas as proposals (origin ``llm``), and the source's error if any."""
    batch = ctx.ideas.propose(idea_context(ctx))
    proposals = [
        Proposal(idea.expression, {}, "llm", ctx.state.generation, parents=[f"llm:{batch.model}"])
        for idea in batch.ideas
    ]
    return proposals, batch.error


def _hashes(expressions: set[str]) -> set[str]:
    from expressions import expr_hash, parse

    return {expr_hash(parse(text)) for text in expressions}
