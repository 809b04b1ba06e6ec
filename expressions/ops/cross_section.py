"""Operator declarations: cross_section."""
