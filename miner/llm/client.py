"""A thin client over the ``ollama`` package: chat with a JSON-schema format, list models, loaded models.

Every failure is mapped to one of the errors in :mod:`miner.llm.errors`, so that callers decide on
kinds (out of memory, timeout, missing model, unreachable) and never on library exceptions.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import ollama

from miner.llm.errors import (
    LLMError,
    LLMModelMissingError,
    LLMOutOfMemoryError,
    LLMServerError,
    LLMTimeoutError,
    LLMUnreachableError,
)

DEFAULT_URL = "http://127.0.0.1:11434"

# Ollama's own wordings: "model requires more system memory (5.0 GiB) than is available (3.9 GiB)",
# "llama runner process has terminated: cudaMalloc failed: out of memory", "CUDA error: out of memory".
_OUT_OF_MEMORY = re.compile(r"out of memory|requires more (system )?memory|cudaMalloc failed|insufficient memory|"
                            r"not enough memory|unable to allocate", re.IGNORECASE)
_NOT_FOUND = re.compile(r"not found|try pulling", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class ChatReply:
    """One answer: the text (``content``), the separate reasoning if the server sent it, and timing."""

    model: str
    content: str
    thinking: str
    latency_s: float


@dataclasses.dataclass(frozen=True)
class ServerModel:
    """A model the server has (``/api/tags``), with its VRAM use when loaded (``/api/ps``)."""

    name: str
    size: int
    parameter_size: str = ""
    quantization: str = ""
    loaded: bool = False
    size_vram: int | None = None

    @property
    def fits_in_vram(self) -> bool | None:
        """False when loaded but partly in system RAM (``size_vram < size``); None when not loaded."""
        if not self.loaded or self.size_vram is None:
            return None
        return self.size_vram >= self.size


class OllamaClient:
    """Talks to one Ollama server.

    Parameters
    ----------
    url : server URL (default ``http://127.0.0.1:11434``).
    timeout_s : limit for every request, in seconds (a slow generation is cut there).
    """

    def __init__(self, url: str = DEFAULT_URL, timeout_s: float = 120.0):
        self.url = url
        self.timeout_s = float(timeout_s)
        self._client = ollama.Client(host=url, timeout=self.timeout_s)

    def chat(self, model: str, messages: Sequence[Mapping[str, str]], *, schema: Mapping[str, Any] | None = None,
             options: Mapping[str, Any] | None = None) -> ChatReply:
        """One non-streamed chat completion; raises an :class:`LLMError` subclass on failure."""
        started = time.perf_counter()
        response = self._call(lambda: self._client.chat(model=model, messages=list(messages), format=schema,
                                                         options=dict(options or {}), stream=False), model)
        message = response.message
        return ChatReply(model, message.content or "", message.thinking or "", time.perf_counter() - started)

    def models(self) -> list[ServerModel]:
        """Models on the server (``/api/tags``), marked loaded with their VRAM use from ``/api/ps``."""
        listed = self._call(self._client.list, None).models
        running = {m.model or m.name: m for m in self._call(self._client.ps, None).models}
        found = []
        for entry in listed:
            loaded = running.get(entry.model)
            details = entry.details
            found.append(ServerModel(
                name=entry.model or "", size=int(entry.size or 0),
                parameter_size=(details.parameter_size or "") if details else "",
                quantization=(details.quantization_level or "") if details else "",
                loaded=loaded is not None,
                size_vram=None if loaded is None or loaded.size_vram is None else int(loaded.size_vram),
            ))
        return found

    def running(self) -> dict[str, ServerModel]:
        """Loaded models (``/api/ps``) by name."""
        loaded = {}
        for entry in self._call(self._client.ps, None).models:
            name = entry.model or entry.name or ""
            loaded[name] = ServerModel(name=name, size=int(entry.size or 0), loaded=True,
                                       size_vram=None if entry.size_vram is None else int(entry.size_vram))
        return loaded

    def version(self) -> str:
        """The server's version (``/api/version``; the ollama package has no call for it)."""
        base = self.url if "://" in self.url else f"http://{self.url}"
        try:
            answer = httpx.get(f"{base.rstrip('/')}/api/version", timeout=self.timeout_s)
            answer.raise_for_status()
            return str(answer.json().get("version", "?"))
        except httpx.TimeoutException:
            raise LLMTimeoutError(f"Ollama at {self.url} did not answer within {self.timeout_s:g} s") from None
        except (httpx.HTTPError, ValueError) as error:
            raise LLMUnreachableError(f"no Ollama server answers at {self.url} ({type(error).__name__})") from None

    def close(self) -> None:
        self._client.close()

    def _call(self, request: Any, model: str | None) -> Any:
        try:
            return request()
        except ollama.ResponseError as error:
            raise classify_response_error(str(error.error), error.status_code, model) from None
        except httpx.ConnectTimeout:
            raise LLMUnreachableError(f"no Ollama server answers at {self.url} (connect timeout)") from None
        except httpx.TimeoutException:
            raise LLMTimeoutError(f"{model or 'Ollama'} did not answer within {self.timeout_s:g} s") from None
        except (ConnectionError, httpx.TransportError) as error:
            raise LLMUnreachableError(f"no Ollama server answers at {self.url} ({type(error).__name__})") from None
        except ValueError as error:  # a body that is not Ollama's JSON (pydantic's ValidationError is one)
            raise LLMServerError(f"unexpected answer from {self.url}: {str(error).splitlines()[0]}") from None


def classify_response_error(message: str, status: int, model: str | None) -> LLMError:
    """The :class:`LLMError` for an error answer ``{"error": message}`` with HTTP ``status``."""
    where = f"{model}: " if model else ""
    if _OUT_OF_MEMORY.search(message):
        return LLMOutOfMemoryError(f"{where}out of memory ({message})")
    if status == 404 or _NOT_FOUND.search(message):
        return LLMModelMissingError(f"{where}model not on the server ({message})")
    return LLMServerError(f"{where}server error {status}: {message}")
