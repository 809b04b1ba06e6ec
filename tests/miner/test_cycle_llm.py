"""The cycle's LLM step against a real HTTP server speaking Ollama's protocol."""

from __future__ import annotations

import json

from ollama_server import ollama_server, unused_url  # noqa: F401 - fixture used by name

from miner.commands.status import collect
from miner.cycle import run_cycle
from miner.session import mining_session
from state import Store


def ideas(*expressions: str) -> str:
    return json.dumps({"ideas": [{"expression": e, "rationale": "test"} for e in expressions]})


def test_llm_ideas_are_validated_evaluated_and_recorded(small_config, ollama_server):  # noqa: F811
    ollama_server.reply("deepseek-r1:8b", "<think>reversal</think>" + ideas("-ts_sum(returns, 5)", "rank(close)", "rank(no_such_field)"))
    small_config.llm.enabled = True
    small_config.llm.url = ollama_server.url
    small_config.evolution.generations = 1
    with mining_session(small_config, mode="once", llm=True) as ctx:
        summary = run_cycle(ctx)
    assert summary.llm_ideas == 2 and summary.llm_error is None
    store = Store(small_config.db)
    assert store.counts()["by_origin"].get("llm") >= 2  # + the negation of an idea with negative Sharpe
    (stats,) = store.llm_stats()
    assert (stats["calls"], stats["valid"], stats["invalid"]) == (1, 2, 1)
    status = collect(store, 5, 60.0)
    assert status["llm"]["validity_rate"] == 2 / 3
    llm_rows = store.top_simulations(100, origin="llm")
    expected = {r["canonical"] for r in llm_rows if r["metrics"]["sharpe"] >= 1.25 and r["metrics"]["fitness"] >= 1.0}
    assert status["llm"]["ideas_passing_is"] == len(expected) and status["llm"]["ideas_submitted"] == 0


def test_cycle_completes_when_the_server_is_down(small_config):
    small_config.llm.enabled = True
    small_config.llm.url = unused_url()
    small_config.llm.timeout_s = 2.0
    with mining_session(small_config, mode="once", llm=True) as ctx:
        summary = run_cycle(ctx)
    assert summary.generations == small_config.evolution.generations
    assert summary.llm_ideas == 0 and "no Ollama server" in summary.llm_error
    assert Store(small_config.db).counts()["simulations"] > 0
