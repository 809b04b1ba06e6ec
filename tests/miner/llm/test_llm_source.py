"""IdeaSource against a real HTTP server: ideas, counts, fleet moves, server down, persistence."""

from __future__ import annotations

import json

from ollama_server import OUT_OF_MEMORY, OllamaServer, unused_url

from expressions import expr_hash, parse
from miner.config import LLMConfig
from miner.llm import FLEET_KEY, IdeaContext, IdeaSource
from state import Store

FIELDS = ["open", "close", "volume"]


class Clock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def _ideas(*expressions: str) -> str:
    return json.dumps({"ideas": [{"expression": e, "rationale": f"why {i}"} for i, e in enumerate(expressions)]})


def _source(server, store=None, clock=None, **config):
    settings = {"url": server.url if hasattr(server, "url") else server, "timeout_s": 5, **config}
    return IdeaSource(settings, store=store, clock=clock or Clock())


def test_propose_returns_valid_new_ideas_and_counts_the_rest(ollama_server):
    known = {expr_hash(parse("rank(open)"))}
    ollama_server.reply("deepseek-r1:8b", "<think>try rank</think>" + _ideas(
        "rank(close)", "rank( close )", "rank(open)", "rank(nonsense_field)", "ts_corr(close, volume, 10)"))
    batch = _source(ollama_server).propose(IdeaContext(fields=FIELDS, known_hashes=known, n_ideas=5))
    assert [i.expression for i in batch.ideas] == ["rank(close)", "ts_corr(close, volume, 10)"]
    assert (batch.n_valid, batch.n_invalid, batch.n_duplicate) == (2, 1, 2)
    assert batch.model == "deepseek-r1:8b" and batch.error is None and batch.latency_s >= 0
    body = ollama_server.chats()[0]
    assert body["format"]["required"] == ["ideas"] and body["options"]["temperature"] == 0.8
    assert "ts_decay_linear(x, d)" in body["messages"][1]["content"]


def test_garbage_reply_is_an_empty_batch_with_a_reason(ollama_server):
    ollama_server.reply("deepseek-r1:8b", "I am sorry, I cannot do that.")
    batch = _source(ollama_server).propose({"fields": FIELDS})
    assert batch.ideas == [] and batch.n_invalid == 1 and batch.error == "the reply held no valid new idea"


def test_out_of_memory_steps_down_and_asks_the_next_model_at_once(ollama_server):
    ollama_server.reply("deepseek-r1:8b", error=OUT_OF_MEMORY, status=500)
    ollama_server.reply("deepseek-r1:7b", _ideas("rank(volume)"))
    source = _source(ollama_server)
    batch = source.propose(IdeaContext(fields=FIELDS))
    assert batch.model == "deepseek-r1:7b" and [i.expression for i in batch.ideas] == ["rank(volume)"]
    assert [b["model"] for b in ollama_server.chats()] == ["deepseek-r1:8b", "deepseek-r1:7b"]
    assert source.fleet.current() == "deepseek-r1:7b"
    assert source.fleet.steps[-1]["reason"].startswith("deepseek-r1:8b: out of memory")


def test_timeout_steps_down_for_the_next_call(ollama_server):
    ollama_server.reply("deepseek-r1:8b", _ideas("rank(close)"), delay_s=5)
    source = _source(ollama_server, timeout_s=0.5)
    batch = source.propose(IdeaContext(fields=FIELDS))
    assert batch.ideas == [] and "did not answer within 0.5 s" in batch.error
    assert source.fleet.current() == "deepseek-r1:7b"


def test_model_that_does_not_fit_in_vram_steps_down_after_answering(ollama_server):
    ollama_server.set_vram("deepseek-r1:8b", 2 * 2**30)
    ollama_server.reply("deepseek-r1:8b", _ideas("rank(close)"))
    source = _source(ollama_server)
    batch = source.propose(IdeaContext(fields=FIELDS))
    assert batch.n_valid == 1 and batch.model == "deepseek-r1:8b"
    assert source.fleet.current() == "deepseek-r1:7b"
    assert "does not fit in VRAM (2.0 of 4.9 GiB on the GPU)" in source.fleet.last_error


def test_missing_models_are_skipped_and_steps_back_up_after_successes():
    server = OllamaServer(models={"deepseek-r1:7b": 4_683_075_271, "deepseek-r1:1.5b": 1_117_322_599}).start()
    try:
        server.reply("deepseek-r1:7b", error=OUT_OF_MEMORY, status=500)
        source = _source(server, step_up_after=2)
        first = source.propose(IdeaContext(fields=FIELDS))
        assert first.model == "deepseek-r1:1.5b" and source.fleet.missing == ["deepseek-r1:8b"]
        source.propose(IdeaContext(fields=FIELDS))
        assert source.fleet.current() == "deepseek-r1:7b"
        assert "deepseek-r1:8b" not in [b["model"] for b in server.chats()]
    finally:
        server.stop()


def test_server_down_gives_an_empty_batch_with_a_reason_and_waits_before_retrying():
    clock = Clock()
    source = _source(unused_url(), clock=clock, retry_unreachable_s=300)
    batch = source.propose(IdeaContext(fields=FIELDS))
    assert batch.ideas == [] and "no Ollama server answers" in batch.error
    clock.now += 10
    again = source.propose(IdeaContext(fields=FIELDS))
    assert "next try in 290 s" in again.error
    assert source.status()["last_error"].startswith("no Ollama server answers")


def test_calls_are_recorded_and_the_fleet_survives_a_restart_through_a_real_store(ollama_server, tmp_sqlite):
    ollama_server.reply("deepseek-r1:8b", error=OUT_OF_MEMORY, status=500)
    ollama_server.reply("deepseek-r1:7b", _ideas("rank(close)", "rank(nope)"))
    with Store(tmp_sqlite) as store:
        source = IdeaSource(LLMConfig(url=ollama_server.url, timeout_s=5.0), store=store, clock=Clock())
        source.propose(IdeaContext(fields=FIELDS))
        stats = {row["model"]: row for row in store.llm_stats()}
    assert stats["deepseek-r1:8b"]["calls"] == 1 and stats["deepseek-r1:8b"]["ok"] == 0
    assert stats["deepseek-r1:7b"]["valid"] == 1 and stats["deepseek-r1:7b"]["invalid"] == 1
    with Store(tmp_sqlite) as store:
        saved = store.load_value(FLEET_KEY)
        restarted = IdeaSource(LLMConfig(url=ollama_server.url, timeout_s=5.0), store=store, clock=Clock())
    assert saved["current"] == "deepseek-r1:7b"
    assert restarted.fleet.state() == source.fleet.state()
