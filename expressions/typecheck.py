"""Type checking while parsing: turn a parsed argument into a node of the type its slot expects.

The parser hands every operand to :meth:`Checker.coerce` together with the type the operator
declares for that slot (``OpSpec.args`` / ``Param.type``). The slot decides what a bare name or
a number means:

- ``Series`` / ``Bool``: a name is a data field (checked against ``fields`` when given); a
  number is a ``Scalar`` constant (broadcast by the evaluator); a call must return a type that
  ``types.accepts``.
- ``Group``: a name (or ``IndClass.x``) is a group field (checked against ``groups``); a call
  must return ``Group``.
- ``Window``: a number literal, floored (``16.1219`` -> 16), >= 1 and <= ``max_window``.
- ``Scalar``: a number literal. ``Text``: a string literal.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Container, Iterable
from typing import Any

from expressions.ast import Const, Field, Node
from expressions.errors import ExpressionTypeError
from expressions.types import Bool, Group, Scalar, Series, Text, Window, accepts, type_name

_DESCRIPTIONS = {
    Window: "a window (a positive integer literal)",
    Scalar: "a number literal",
    Text: 'a string literal such as "0,1,0.1"',
    Group: "a group (a group field such as sector, or a call returning a group)",
    Series: "a series",
    Bool: "a boolean series (a comparison or logical expression)",
}


@dataclasses.dataclass
class Operand:
    """A parsed operand before its slot is known.

    Exactly one of ``node`` (a call or literal) and ``name`` (a bare identifier) is set.
    ``group_only``: written ``IndClass.x``. ``integer_literal``: a number written as ``5``.
    """

    position: int
    node: Node | None = None
    name: str | None = None
    group_only: bool = False
    integer_literal: bool = False

    @property
    def is_number(self) -> bool:
        return isinstance(self.node, Const) and self.node.type is Scalar


def describe(tp: type) -> str:
    return _DESCRIPTIONS.get(tp, type_name(tp))


def suggest(name: str, candidates: Iterable[str]) -> str:
    """' (did you mean: a, b?)' for close matches, or ''."""
    try:
        pool = sorted({str(c) for c in candidates})
    except TypeError:
        return ""
    close = difflib.get_close_matches(name, pool, n=3, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(name.lower(), [c.lower() for c in pool], n=3, cutoff=0.6)
    return f" (did you mean: {', '.join(close)}?)" if close else ""


class Checker:
    """Checks names and slot types for one parse.

    Parameters
    ----------
    text : the expression (for error pointers).
    fields, groups : collections (or mappings) of known names, or None to accept any name.
    max_window : the longest window allowed (the data length), or None.
    """

    def __init__(
        self,
        text: str,
        fields: Container[str] | None = None,
        groups: Container[str] | None = None,
        max_window: int | None = None,
    ):
        self.text = text
        self.fields = fields
        self.groups = groups
        self.max_window = max_window

    def error(self, message: str, position: int) -> ExpressionTypeError:
        return ExpressionTypeError(message, self.text, position)

    def coerce(self, operand: Operand, expected: type, where: str) -> Node:
        """The node for ``operand`` in a slot of type ``expected``; ``where`` names the slot."""
        if expected is Window:
            return Const(self._window(operand, where), Window)
        if expected is Scalar:
            return self._scalar(operand, where)
        if expected is Text:
            return self._text(operand, where)
        if expected is Group:
            return self._group(operand, where)
        return self._series(operand, expected, where)

    def top_level(self, operand: Operand) -> Node:
        """The whole expression: a series, or a call returning a group."""
        if operand.node is not None and operand.node.type is Group:
            return operand.node
        return self._series(operand, Series, "the expression")

    def _series(self, operand: Operand, expected: type, where: str) -> Node:
        if operand.name is not None:
            node: Node = self._field(operand, where)
        else:
            node = operand.node
        if not accepts(expected, node.type):
            raise self.error(f"{where} must be {describe(expected)}, got {describe(node.type)}", operand.position)
        return node

    def _field(self, operand: Operand, where: str) -> Field:
        name = operand.name
        is_group = self.groups is not None and name in self.groups
        if operand.group_only or (is_group and not self._known_field(name)):
            raise self.error(f"{where} must be a series, got the group {name!r}", operand.position)
        if not self._known_field(name):
            hint = suggest(name, _names(self.fields))
            raise self.error(f"unknown field {name!r}{hint}", operand.position)
        return Field(name)

    def _known_field(self, name: str) -> bool:
        return self.fields is None or name in self.fields

    def _group(self, operand: Operand, where: str) -> Node:
        if operand.name is None:
            if operand.node.type is Group:
                return operand.node
            raise self.error(f"{where} must be {describe(Group)}, got {describe(operand.node.type)}", operand.position)
        name = operand.name
        if self.groups is not None and name not in self.groups:
            if self.fields is not None and name in self.fields:
                raise self.error(f"{where} must be {describe(Group)}, got the field {name!r}", operand.position)
            hint = suggest(name, _names(self.groups))
            raise self.error(f"unknown group {name!r}{hint}", operand.position)
        return Field(name, Group)

    def _window(self, operand: Operand, where: str) -> int:
        if not operand.is_number:
            raise self.error(f"{where} must be {describe(Window)}", operand.position)
        value = operand.node.value
        if not math.isfinite(value) or math.floor(value) < 1:
            raise self.error(f"bad window {value:g} for {where}: windows are >= 1 day", operand.position)
        window = math.floor(value)
        if self.max_window is not None and window > self.max_window:
            raise self.error(
                f"bad window {window} for {where}: longer than the data ({self.max_window} days)",
                operand.position,
            )
        return window

    def _scalar(self, operand: Operand, where: str) -> Node:
        if not operand.is_number:
            raise self.error(f"{where} must be {describe(Scalar)}", operand.position)
        return operand.node

    def _text(self, operand: Operand, where: str) -> Node:
        if not (isinstance(operand.node, Const) and operand.node.type is Text):
            raise self.error(f"{where} must be {describe(Text)}", operand.position)
        return operand.node


def _names(container: Any) -> Iterable[str]:
    try:
        return list(container)
    except TypeError:
        return []


__all__ = ["Checker", "Operand", "describe", "suggest"]
