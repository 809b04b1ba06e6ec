"""What can go wrong talking to an Ollama server, as exceptions of our own (all ``LLMError``).

They never reach the mining cycle: :class:`~miner.llm.source.IdeaSource` turns each into an
empty batch with a reason. ``alphaminer llm check`` reports them on one line (exit 2).
"""

from __future__ import annotations

from miner.errors import MinerError


class LLMError(MinerError):
    """Base of the errors of the LLM client."""


class LLMUnreachableError(LLMError):
    """No server answers at the configured URL."""


class LLMTimeoutError(LLMError):
    """The server did not answer within the timeout."""


class LLMOutOfMemoryError(LLMError):
    """The server could not load or run the model for lack of (V)RAM."""


class LLMModelMissingError(LLMError):
    """The server does not have the model (not pulled)."""


class LLMServerError(LLMError):
    """Any other error answer from the server (the message is the server's)."""
