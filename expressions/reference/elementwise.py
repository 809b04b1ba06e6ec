"""Slow reference twins: elementwise operators."""

__all__: list[str] = []
