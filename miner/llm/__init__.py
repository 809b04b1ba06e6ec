"""LLM ideas through Ollama: a fleet of models, a registry-derived prompt, strictly parsed replies.

>>> from miner.llm import IdeaSource, IdeaContext
>>> source = IdeaSource({"url": "http://127.0.0.1:11434"})          # doctest: +SKIP
>>> batch = source.propose(IdeaContext(fields=["close", "volume"]))  # doctest: +SKIP
>>> [idea.expression for idea in batch.ideas], batch.error           # doctest: +SKIP
"""

from miner.llm.client import DEFAULT_URL, ChatReply, OllamaClient, ServerModel
from miner.llm.errors import (
    LLMError,
    LLMModelMissingError,
    LLMOutOfMemoryError,
    LLMServerError,
    LLMTimeoutError,
    LLMUnreachableError,
)
from miner.llm.fleet import DEFAULT_MODELS, Fleet
from miner.llm.prompt import IDEAS_SCHEMA, IdeaContext, build_messages, operator_lines
from miner.llm.replies import Idea, ParsedReply, read_reply, strip_thinking
from miner.llm.source import FLEET_KEY, IdeaBatch, IdeaSource

__all__ = [
    "ChatReply", "DEFAULT_MODELS", "DEFAULT_URL", "FLEET_KEY", "Fleet", "IDEAS_SCHEMA", "Idea", "IdeaBatch",
    "IdeaContext", "IdeaSource", "LLMError", "LLMModelMissingError", "LLMOutOfMemoryError", "LLMServerError",
    "LLMTimeoutError", "LLMUnreachableError", "OllamaClient", "ParsedReply", "ServerModel", "build_messages",
    "operator_lines", "read_reply", "strip_thinking",
]
