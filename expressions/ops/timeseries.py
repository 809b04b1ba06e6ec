"""Operator declarations: timeseries."""
