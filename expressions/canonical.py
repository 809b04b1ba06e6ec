"""Canonical printing: exactly one text per meaning, and its hash.

Rules (``parse(canonical(tree)) == tree`` for every parsed tree):

1. Operators are printed by their canonical registry name (aliases resolved by the parser).
2. The arithmetic, comparison and logical operators are printed infix (``a + b``, ``a < b``,
   ``a && b``, ``!a``, ``-a``, ``c ? a : b``) with the fewest parentheses their precedence
   allows (table ``BRAIN_BINARY``); everything else as ``name(arg, ..., key=value)``.
3. Keyword arguments appear only when they differ from the declared default (the parser has
   already dropped the others), in declaration order.
4. Arguments of commutative operators are ordered by the parser: literals first, then by
   canonical text (see :func:`commutative_order`).
5. Numbers use the shortest form: ``5``, ``0.5``, ``-1``, ``1e-06``; strings use double quotes.

A Qlib-dialect tree prints in this (BRAIN) syntax with canonical names, so it parses back with
the default dialect.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

from expressions.ast import Call, Const, Field, Node
from expressions.types import Text

# symbol -> (precedence, canonical op name, right associative). Higher binds tighter.
BRAIN_BINARY: dict[str, tuple[int, str, bool]] = {
    "||": (2, "or_", False),
    "&&": (3, "and_", False),
    "==": (4, "equal", False),
    "!=": (4, "not_equal", False),
    "<": (5, "less", False),
    "<=": (5, "less_equal", False),
    ">": (5, "greater", False),
    ">=": (5, "greater_equal", False),
    "+": (6, "add", False),
    "-": (6, "subtract", False),
    "*": (7, "multiply", False),
    "/": (7, "divide", False),
    "^": (9, "power", True),
}
# prefix symbol -> canonical op name; prefix operators bind between '*' and '^'.
PREFIX: dict[str, str] = {"-": "reverse", "!": "not_"}
PREFIX_PRECEDENCE = 8
TERNARY_OP = "if_else"
TERNARY_PRECEDENCE = 1
_ATOM = 100

_INFIX_BY_OP = {op: (symbol, prec, right) for symbol, (prec, op, right) in BRAIN_BINARY.items()}
_PREFIX_BY_OP = {op: symbol for symbol, op in PREFIX.items()}


def format_number(value: float | int) -> str:
    """Shortest text of a number: ``5``, ``0.5``, ``-1``, ``1e-06``, ``nan``."""
    number = float(value)
    if math.isfinite(number) and number == int(number) and abs(number) < 1e16:
        return str(int(number))
    return repr(number)


def format_const(node: Const) -> str:
    if node.type is Text:
        return f'"{node.value}"'
    return format_number(node.value)


def canonical(node: Node) -> str:
    """The canonical text of a tree (one string per meaning).

    Examples
    --------
    >>> from expressions.parser import parse
    >>> canonical(parse("Rank( (close-open) )*-1"))
    '-1 * rank(close - open)'
    """
    return render(node, {})[0]


def expr_hash(node: Node) -> str:
    """Hex sha1 of the canonical text: the identity of an alpha in caches and the database."""
    return hashlib.sha1(canonical(node).encode("utf-8")).hexdigest()


def render(node: Node, memo: dict[Node, tuple[str, int]]) -> tuple[str, int]:
    """(canonical text, precedence of its outermost operator); ``memo`` shares work across calls."""
    found = memo.get(node)
    if found is None:
        found = _render(node, memo)
        memo[node] = found
    return found


def _render(node: Node, memo: dict[Node, tuple[str, int]]) -> tuple[str, int]:
    if isinstance(node, Field):
        return node.name, _ATOM
    if isinstance(node, Const):
        text = format_const(node)
        # A negative number reads as a prefix minus: '(-1) ^ 2' needs its parentheses.
        return text, (PREFIX_PRECEDENCE if text.startswith("-") else _ATOM)
    if not isinstance(node, Call):
        raise TypeError(f"not an expression node: {node!r}")
    if not node.kwargs:
        if node.op in _INFIX_BY_OP and len(node.args) == 2:
            return _render_infix(node, memo)
        if node.op in _PREFIX_BY_OP and len(node.args) == 1:
            text, prec = render(node.args[0], memo)
            inner = text if prec >= PREFIX_PRECEDENCE else f"({text})"
            return f"{_PREFIX_BY_OP[node.op]}{inner}", PREFIX_PRECEDENCE
        if node.op == TERNARY_OP and len(node.args) == 3:
            return _render_ternary(node, memo)
    parts = [render(arg, memo)[0] for arg in node.args]
    parts += [f"{name}={render(value, memo)[0]}" for name, value in node.kwargs]
    return f"{node.op}({', '.join(parts)})", _ATOM


def _render_infix(node: Call, memo: dict[Node, tuple[str, int]]) -> tuple[str, int]:
    symbol, prec, right_assoc = _INFIX_BY_OP[node.op]
    left, left_prec = render(node.args[0], memo)
    right, right_prec = render(node.args[1], memo)
    if left_prec < prec or (right_assoc and left_prec == prec):
        left = f"({left})"
    if right_prec < prec or (not right_assoc and right_prec == prec):
        right = f"({right})"
    return f"{left} {symbol} {right}", prec


def _render_ternary(node: Call, memo: dict[Node, tuple[str, int]]) -> tuple[str, int]:
    cond, cond_prec = render(node.args[0], memo)
    if cond_prec <= TERNARY_PRECEDENCE:
        cond = f"({cond})"
    then = render(node.args[1], memo)[0]
    other = render(node.args[2], memo)[0]
    return f"{cond} ? {then} : {other}", TERNARY_PRECEDENCE


def commutative_order(args: Sequence[Node], memo: dict[Node, tuple[str, int]] | None = None) -> tuple[Node, ...]:
    """Arguments of a commutative operator in canonical order: literals first, then by text.

    Literals first keeps ``max(5, x)`` (elementwise) apart from the Alpha101 reading of
    ``max(x, 5)`` (a 5-day ``ts_max``); see ``expressions.parser``.
    """
    memo = {} if memo is None else memo
    return tuple(sorted(args, key=lambda arg: (not isinstance(arg, Const), render(arg, memo)[0])))


__all__ = [
    "BRAIN_BINARY",
    "PREFIX",
    "canonical",
    "commutative_order",
    "expr_hash",
    "format_number",
    "render",
]
