"""Executors: evaluate a batch of candidates locally, in a process pool, or on Dask."""
