"""One cycle, in process, on a small synthetic market with a real SQLite store."""

from __future__ import annotations

import pytest

from miner.batch import negate
from miner.cycle import run_cycle
from miner.session import mining_session
from state import Store


def run_once(config, **kwargs):
    with mining_session(config, mode="once", llm=False) as ctx:
        summary = run_cycle(ctx, llm=False, **kwargs)
        return summary, ctx.state.generation


def test_a_cycle_simulates_records_and_checkpoints(small_config):
    summary, generation = run_once(small_config)
    assert summary.generations == 2 and generation == 2
    store = Store(small_config.db)
    counts = store.counts()
    assert counts["simulations"] >= summary.evaluated > 0
    assert store.load_checkpoint()["generation"] == 2
    assert len(store.load_checkpoint()["population"]) == small_config.evolution.population
    best = store.top_simulations(1)[0]
    assert best["metrics"]["sharpe"] > 0


def test_three_cycles_resume_where_the_last_checkpoint_left(small_config):
    generations = [run_once(small_config)[1] for _ in range(3)]
    assert generations == [2, 4, 6]
    assert Store(small_config.db).load_checkpoint()["generation"] == 6


def test_negative_alphas_are_stored_negated_with_mirrored_figures(small_config):
    run_once(small_config)
    store = Store(small_config.db)
    rows = store.top_simulations(10_000, metric="sharpe", ascending=True)
    losers = [r for r in rows if r["metrics"]["sharpe"] < 0]
    assert losers, "a random population always has losers"
    by_text = {(r["canonical"], r["settings_key"], r["params_key"]): r for r in rows}
    for loser in losers:
        twin = by_text[(negate(loser["canonical"]), loser["settings_key"], loser["params_key"])]
        assert twin["metrics"]["sharpe"] == pytest.approx(-loser["metrics"]["sharpe"], rel=1e-6)


def test_losers_are_negated_by_the_worker_unless_their_pipeline_is_not_odd(small_config):
    from miner.batch import Proposal, evaluate_proposals

    with mining_session(small_config, mode="once", llm=False) as ctx:
        batches = []
        evaluate_batch = ctx.executor.evaluate_batch
        ctx.executor.evaluate_batch = lambda cands, **kw: batches.append(cands) or evaluate_batch(cands, **kw)
        proposals = [Proposal(text, params, "user", 0) for text in ("ts_delta(close, 5)", "-ts_delta(close, 5)")
                     for params in ({}, {"post.transform": "zscore"}, {"post.transform": "rank"})]
        outcomes = evaluate_proposals(ctx, proposals)
    negated = [o for o in outcomes if o.negated]
    assert negated and all(o.metrics["sharpe"] > 0 for o in negated)
    resimulated = batches[1] if len(batches) > 1 else []
    assert all(c.params.get("post.transform") == "rank" for c in resimulated)  # the others came derived
    assert len(batches[0]) == len(proposals) and len(resimulated) < len(negated)


def test_the_store_answers_duplicates_instead_of_simulating_again(small_config):
    run_once(small_config)
    store = Store(small_config.db)
    before = store.counts()["simulations"]
    small_config.evolution.seed = 99
    with mining_session(small_config, mode="once", llm=False) as ctx:
        from miner.batch import Proposal, evaluate_proposals

        row = store.top_simulations(1)[0]
        from pipelines.settings import SimulationSettings

        proposal = Proposal(row["canonical"], row["params"], "user", 0, settings=SimulationSettings.from_dict(row["settings"]))
        (outcome,) = evaluate_proposals(ctx, [proposal])
    assert outcome.cached and outcome.score == pytest.approx(row["score"])
    assert store.counts()["simulations"] == before
