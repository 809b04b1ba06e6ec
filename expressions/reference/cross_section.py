"""Slow reference twins: cross_section operators."""

__all__: list[str] = []
