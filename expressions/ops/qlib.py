"""Operator declarations: qlib."""
