"""A real HTTP server on 127.0.0.1 speaking the part of Ollama's API that alphaminer uses.

Endpoints: ``POST /api/chat`` (non-streamed; NDJSON when the request asks to stream),
``GET /api/tags``, ``GET /api/ps``, ``GET /api/version``. Bodies follow Ollama's shapes; errors
are ``{"error": "..."}`` with Ollama's status codes (404 for a model that is not pulled, 500
for "model requires more system memory (...) than is available (...)").

Each test scripts what the server answers::

    server = OllamaServer(models={"deepseek-r1:8b": 5_200_000_000})
    server.reply("deepseek-r1:8b", content='{"ideas": [...]}')        # one answer, in order
    server.reply("deepseek-r1:8b", error=OUT_OF_MEMORY, status=500)   # the next one
    server.reply("deepseek-r1:8b", content="...", delay_s=2.0)        # a slow one

Unscripted chats answer ``default_content``. ``server.requests`` records every request (path,
JSON body). ``server.set_vram(model, size_vram)`` makes ``/api/ps`` report a partly offloaded model.
Use the ``ollama_server`` fixture (started and stopped around one test).
"""

from __future__ import annotations

import collections
import dataclasses
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

OUT_OF_MEMORY = "model requires more system memory (5.5 GiB) than is available (3.9 GiB)"
CUDA_OUT_OF_MEMORY = "llama runner process has terminated: cudaMalloc failed: out of memory"


@dataclasses.dataclass
class ScriptedReply:
    content: str = ""
    thinking: str | None = None
    error: str | None = None
    status: int = 200
    delay_s: float = 0.0


class OllamaServer:
    """The fake server; ``url`` is ``http://127.0.0.1:<port>`` once started."""

    def __init__(self, models: dict[str, int] | None = None, *, version: str = "0.6.8",
                 default_content: str = '{"ideas": []}'):
        self.models = dict(models or {"deepseek-r1:8b": 5_225_376_047, "deepseek-r1:7b": 4_683_075_271,
                                      "deepseek-r1:1.5b": 1_117_322_599})
        self.version = version
        self.default_content = default_content
        self.scripts: dict[str, collections.deque[ScriptedReply]] = collections.defaultdict(collections.deque)
        self.vram: dict[str, int] = {}
        self.loaded: list[str] = []
        self.requests: list[tuple[str, Any]] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    # -- scripting ---------------------------------------------------------------------
    def reply(self, model: str, content: str = "", **kwargs: Any) -> None:
        self.scripts[model].append(ScriptedReply(content=content, **kwargs))

    def set_vram(self, model: str, size_vram: int) -> None:
        self.vram[model] = size_vram

    def chats(self) -> list[dict[str, Any]]:
        """Bodies of the /api/chat requests received so far."""
        return [body for path, body in self.requests if path == "/api/chat"]

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> OllamaServer:
        server = self

        class Handler(_Handler):
            owner = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        assert self._httpd is not None, "start() the server first"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def stop(self) -> None:
        self.stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    # -- answers -----------------------------------------------------------------------
    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        with self._lock:
            self.requests.append((path, body))
        if method == "GET" and path == "/api/version":
            return 200, {"version": self.version}
        if method == "GET" and path == "/api/tags":
            return 200, {"models": [_tag(name, size) for name, size in self.models.items()]}
        if method == "GET" and path == "/api/ps":
            return 200, {"models": [self._running(name) for name in self.loaded]}
        if method == "POST" and path == "/api/chat":
            return self._chat(body or {})
        return 404, {"error": f"unknown path {path}"}

    def _chat(self, body: dict[str, Any]) -> tuple[int, Any]:
        model = body.get("model", "")
        if model not in self.models:
            return 404, {"error": f'model "{model}" not found, try pulling it first'}
        with self._lock:
            script = self.scripts[model].popleft() if self.scripts[model] else ScriptedReply(self.default_content)
        if script.delay_s:
            self.stopping.wait(script.delay_s)
        if script.error is not None:
            return script.status if script.status != 200 else 500, {"error": script.error}
        if model not in self.loaded:
            self.loaded.append(model)
        message: dict[str, Any] = {"role": "assistant", "content": script.content}
        if script.thinking is not None:
            message["thinking"] = script.thinking
        return 200, {"model": model, "created_at": _now(), "message": message, "done_reason": "stop", "done": True,
                     "total_duration": 1_234_567_890, "load_duration": 12_345_678, "prompt_eval_count": 512,
                     "prompt_eval_duration": 234_567_890, "eval_count": 256, "eval_duration": 987_654_321}

    def _running(self, name: str) -> dict[str, Any]:
        size = self.models[name]
        return {**_tag(name, size), "expires_at": "2030-01-01T00:00:00Z", "size_vram": self.vram.get(name, size),
                "context_length": 4096}


class _Handler(BaseHTTPRequestHandler):
    owner: OllamaServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._respond(*self.owner.answer("GET", self.path, None))

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._respond(400, {"error": "invalid JSON body"})
            return
        status, answer = self.owner.answer("POST", self.path, body)
        if status == 200 and body.get("stream", True) and self.path == "/api/chat":
            self._respond(status, answer, ndjson=True)
        else:
            self._respond(status, answer)

    def _respond(self, status: int, answer: Any, *, ndjson: bool = False) -> None:
        data = (json.dumps(answer) + ("\n" if ndjson else "")).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/x-ndjson" if ndjson else "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to answer

    def log_message(self, *args: Any) -> None:  # keep pytest output clean
        return


def _tag(name: str, size: int) -> dict[str, Any]:
    return {"name": name, "model": name, "modified_at": "2025-05-01T10:00:00.000000+00:00", "size": size,
            "digest": f"{abs(hash(name)):064x}"[:64],
            "details": {"parent_model": "", "format": "gguf", "family": "qwen2", "families": ["qwen2"],
                        "parameter_size": name.rsplit(":", 1)[-1].upper(), "quantization_level": "Q4_K_M"}}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


@pytest.fixture
def ollama_server() -> Iterator[OllamaServer]:
    """A started fake Ollama server with the three default deepseek-r1 models."""
    server = OllamaServer().start()
    try:
        yield server
    finally:
        server.stop()


def unused_url() -> str:
    """A 127.0.0.1 URL where nothing listens (the port was free a moment ago)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
