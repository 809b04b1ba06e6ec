"""Errors of the alpha language. All derive from ``ExpressionError``."""

from __future__ import annotations


class ExpressionError(ValueError):
    """A user-facing problem with an expression.

    ``position`` is the 0-based character offset in ``text`` where the problem is, or None.
    ``str(error)`` is a one-line message naming what is wrong and where.
    """

    def __init__(self, message: str, text: str | None = None, position: int | None = None):
        self.message = message
        self.text = text
        self.position = position
        super().__init__(self._render())

    def _render(self) -> str:
        if self.position is None:
            return self.message
        return f"{self.message} at position {self.position + 1}"

    def pointer(self) -> str:
        """Two lines: the expression and a caret under the offending position."""
        if self.text is None or self.position is None:
            return ""
        return f"{self.text}\n{' ' * self.position}^"


class ParseError(ExpressionError):
    """The text is not a well-formed expression."""


class ExpressionTypeError(ExpressionError):
    """Unknown operator/field, wrong arity or argument type, bad window."""


class EvaluationError(ExpressionError):
    """The expression is well-formed but cannot be computed on this data (guard rails)."""


class RegistryError(Exception):
    """A programming error in an operator declaration (raised at import)."""
