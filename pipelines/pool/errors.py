"""Errors of the pool / meta-model pipeline: one line each, naming what is wrong."""

from pipelines.errors import PipelineError


class PoolError(PipelineError, ValueError):
    """Bad pool input: an unknown model or objective, an empty pool, too little data."""
