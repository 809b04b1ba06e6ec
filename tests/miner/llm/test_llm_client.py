"""The client against a real HTTP server speaking Ollama's API: each failure maps to one error kind."""

from __future__ import annotations

import pytest
from ollama_server import CUDA_OUT_OF_MEMORY, OUT_OF_MEMORY, unused_url

from miner.llm import (
    IDEAS_SCHEMA,
    LLMModelMissingError,
    LLMOutOfMemoryError,
    LLMServerError,
    LLMTimeoutError,
    LLMUnreachableError,
    OllamaClient,
)


def test_chat_sends_schema_and_options_and_returns_the_content(ollama_server):
    ollama_server.reply("deepseek-r1:8b", content='{"ideas": []}', thinking="hmm")
    client = OllamaClient(ollama_server.url, timeout_s=5)
    reply = client.chat("deepseek-r1:8b", [{"role": "user", "content": "hi"}], schema=IDEAS_SCHEMA,
                        options={"temperature": 0.5})
    assert (reply.model, reply.content, reply.thinking) == ("deepseek-r1:8b", '{"ideas": []}', "hmm")
    body = ollama_server.chats()[0]
    assert body["format"] == IDEAS_SCHEMA and body["options"] == {"temperature": 0.5} and body["stream"] is False
    assert body["messages"] == [{"role": "user", "content": "hi"}]


def test_models_lists_tags_with_vram_from_ps(ollama_server):
    client = OllamaClient(ollama_server.url, timeout_s=5)
    assert [m.loaded for m in client.models()] == [False, False, False]
    ollama_server.reply("deepseek-r1:7b", content="x")
    client.chat("deepseek-r1:7b", [{"role": "user", "content": "hi"}])
    ollama_server.set_vram("deepseek-r1:7b", 1_000_000_000)
    models = {m.name: m for m in client.models()}
    assert models["deepseek-r1:7b"].loaded and models["deepseek-r1:7b"].fits_in_vram is False
    assert models["deepseek-r1:8b"].fits_in_vram is None and models["deepseek-r1:8b"].parameter_size == "8B"
    assert client.version() == "0.6.8"


@pytest.mark.parametrize(
    ("error", "status", "kind"),
    [(OUT_OF_MEMORY, 500, LLMOutOfMemoryError), (CUDA_OUT_OF_MEMORY, 500, LLMOutOfMemoryError),
     ("unexpected server status", 500, LLMServerError)],
)
def test_error_answers_map_to_kinds(ollama_server, error, status, kind):
    ollama_server.reply("deepseek-r1:8b", error=error, status=status)
    with pytest.raises(kind) as raised:
        OllamaClient(ollama_server.url, timeout_s=5).chat("deepseek-r1:8b", [{"role": "user", "content": "x"}])
    assert error in str(raised.value)


def test_missing_model_timeout_and_unreachable(ollama_server):
    client = OllamaClient(ollama_server.url, timeout_s=0.5)
    with pytest.raises(LLMModelMissingError, match="not found"):
        client.chat("llama9:70b", [{"role": "user", "content": "x"}])
    ollama_server.reply("deepseek-r1:8b", content="late", delay_s=5)
    with pytest.raises(LLMTimeoutError, match="did not answer within 0.5 s"):
        client.chat("deepseek-r1:8b", [{"role": "user", "content": "x"}])
    with pytest.raises(LLMUnreachableError, match="no Ollama server answers"):
        OllamaClient(unused_url(), timeout_s=2).models()
