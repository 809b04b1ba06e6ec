"""Operator declarations. Importing this package registers every operator in REGISTRY."""

from expressions.ops import arith, cross_section, group, logical, qlib, timeseries  # noqa: F401
