"""Slow reference twins: timeseries operators."""

__all__: list[str] = []
