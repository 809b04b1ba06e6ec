"""Operator declarations: group."""
