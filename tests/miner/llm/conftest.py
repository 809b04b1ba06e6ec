"""The fake Ollama server fixture (tests/ollama_server.py) for the LLM tests."""

from ollama_server import ollama_server  # noqa: F401 - a fixture, used by name
