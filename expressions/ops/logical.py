"""Operator declarations: logical."""
