"""Operator declarations: arith."""
