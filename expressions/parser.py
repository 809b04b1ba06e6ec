"""The parser: text -> type-checked expression tree. Hand-written precedence climbing; no eval.

Two dialects share one tree:

``brain`` (default): BRAIN FASTEXPR plus the Alpha101 paper's spellings.
  - Calls ``name(arg, ..., key=value)``; names are case-insensitive and aliases resolve to the
    canonical operator (``Ts_Rank`` -> ``ts_rank``, ``IndNeutralize`` -> ``group_neutralize``,
    as declared in the registry). Positional arguments beyond the required ones fill the
    optional parameters in declaration order (``scale(x, 2)`` = ``scale(x, scale=2)``).
  - Infix, loosest first: ``c ? a : b``; ``||``; ``&&``; ``== !=``; ``< <= > >=``; ``+ -``;
    ``* /``; prefix ``-`` and ``!``; ``^`` (right associative, so ``-x^2`` = ``-(x^2)``).
    Each maps to a registry operator (``expressions.canonical.BRAIN_BINARY``). A minus in front
    of a number is part of the number (``-1`` is the constant -1).
  - ``IndClass.sector`` / ``.industry`` / ``.subindustry`` are the group fields of those names;
    ``adv20`` and friends are ordinary field names (the panel derives them).
  - Windows are number literals; fractional windows are floored (``16.1219`` -> 16).
  - Alpha101's ``min(x, d)`` / ``max(x, d)``: the paper defines them as ``ts_min`` / ``ts_max``
    while BRAIN's ``min`` / ``max`` are elementwise. Rule: with exactly two arguments, when the
    second is a positive number written as an integer (``5``, not ``5.0``) and the first is not
    a number, ``min``/``max`` mean ``ts_min``/``ts_max``; otherwise they are elementwise.
    Canonical text prints elementwise calls with the literal first (``max(5, x)``), so it
    never reads as the paper's form.

``qlib``: Qlib's expression syntax: ``$close`` fields, Qlib's operator names (``Ref``,
  ``Mean``, ``Greater`` ... resolved by ``registry.resolve(name, "qlib")``, with Qlib's own
  semantics) and Python's infix precedence: ``|`` < ``&`` are *tighter* than comparisons,
  then ``+ -``, ``* /``, prefix ``-``, ``**``. Comparisons and ``& |`` map to Qlib's
  ``Gt`` ... ``And``/``Or`` (a NaN compares false); arithmetic maps to BRAIN's operators.

Errors are ``ExpressionError`` subclasses carrying the 0-based ``position`` of the problem.
"""

from __future__ import annotations

from collections.abc import Container

from expressions import registry
from expressions.ast import Call, Const, Node
from expressions.canonical import BRAIN_BINARY, PREFIX, PREFIX_PRECEDENCE, TERNARY_OP, commutative_order
from expressions.errors import ExpressionError, ExpressionTypeError, ParseError
from expressions.lexer import Token, tokenize
from expressions.registry import OpSpec
from expressions.typecheck import Checker, Operand, suggest
from expressions.types import Scalar, Series, Text

DIALECTS = ("brain", "qlib")

# Python's precedence as Qlib evaluates it; higher binds tighter. Comparisons and & | are
# Qlib's own operators (numpy: NaN compares false), not BRAIN's (NaN in, NaN out).
QLIB_BINARY: dict[str, tuple[int, str, bool]] = {
    "==": (3, "qlib_eq", False),
    "!=": (3, "qlib_ne", False),
    "<": (3, "qlib_lt", False),
    "<=": (3, "qlib_le", False),
    ">": (3, "qlib_gt", False),
    ">=": (3, "qlib_ge", False),
    "|": (4, "qlib_or", False),
    "&": (5, "qlib_and", False),
    "+": (6, "add", False),
    "-": (6, "subtract", False),
    "*": (7, "multiply", False),
    "/": (7, "divide", False),
    "**": (10, "power", True),
}
_QLIB_PREFIX = {"-": "reverse"}
_MAX_NESTING = 100
_GROUP_PREFIX = "indclass."
_PAPER_WINDOW_OPS = {"min": "ts_min", "max": "ts_max"}


def parse(
    text: str,
    dialect: str = "brain",
    fields: Container[str] | None = None,
    groups: Container[str] | None = None,
    *,
    max_window: int | None = None,
) -> Node:
    """Parse and type-check an expression.

    Parameters
    ----------
    text : the expression.
    dialect : ``"brain"`` (FASTEXPR + Alpha101 spellings) or ``"qlib"``.
    fields, groups : known field / group names (any container supporting ``in``, e.g. a
        Panel's ``fields`` mapping); None accepts any name.
    max_window : longest window allowed (the number of dates), or None.

    Returns
    -------
    Node
        A tree with canonical operator names, commutative arguments ordered and default
        keyword arguments dropped.

    Raises
    ------
    ParseError, ExpressionTypeError
        With ``.position`` at the offending character.

    Examples
    --------
    >>> str(parse("-1 * Ts_Rank(close, 9.5)"))
    '-1 * ts_rank(close, 9)'
    >>> str(parse("Mean($close, 5) / $close", dialect="qlib"))  # doctest: +SKIP
    'qlib_mean(close, 5) / close'
    """
    if dialect not in DIALECTS:
        raise ExpressionError(f"unknown dialect {dialect!r}: use one of {', '.join(DIALECTS)}")
    if not isinstance(text, str) or not text.strip():
        raise ParseError("empty expression", text if isinstance(text, str) else "", 0)
    return _Parser(text, dialect, Checker(text, fields, groups, max_window)).parse()


class _Parser:
    def __init__(self, text: str, dialect: str, checker: Checker):
        self.text = text
        self.dialect = dialect
        self.checker = checker
        self.tokens = tokenize(text)
        self.index = 0
        self.nesting = 0
        self.binary = BRAIN_BINARY if dialect == "brain" else QLIB_BINARY
        self.prefix = PREFIX if dialect == "brain" else _QLIB_PREFIX

    # -- tokens -------------------------------------------------------------------------------
    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, symbol: str) -> bool:
        token = self.peek()
        return token.kind == "op" and token.text == symbol

    def expect_close(self, opening: Token) -> None:
        if self.at(")"):
            self.advance()
            return
        token = self.peek()
        if token.kind == "end":
            raise ParseError("unbalanced parentheses: '(' is never closed", self.text, opening.position)
        raise ParseError(f"expected ',' or ')' but found {_show(token)}", self.text, token.position)

    # -- grammar ------------------------------------------------------------------------------
    def parse(self) -> Node:
        operand = self.expression()
        token = self.peek()
        if token.kind != "end":
            if token.kind == "op" and token.text == ")":
                raise ParseError("unbalanced parentheses: unexpected ')'", self.text, token.position)
            raise ParseError(f"unexpected {_show(token)}", self.text, token.position)
        return self.checker.top_level(operand)

    def expression(self) -> Operand:
        self.nesting += 1
        if self.nesting > _MAX_NESTING:
            raise ParseError(f"expression nested more than {_MAX_NESTING} levels deep", self.text, self.peek().position)
        condition = self.climb(0)
        if self.dialect == "brain" and self.at("?"):
            condition = self.ternary(condition)
        self.nesting -= 1
        return condition

    def ternary(self, condition: Operand) -> Operand:
        question = self.advance()
        then = self.expression()
        if not self.at(":"):
            raise ParseError(f"expected ':' of the '?' at position {question.position + 1}", self.text, self.peek().position)
        self.advance()
        other = self.expression()
        spec = self._infix_spec(TERNARY_OP, question)
        return self.build(spec, [condition, then, other], [], condition.position)

    def climb(self, min_precedence: int) -> Operand:
        left = self.unary()
        while True:
            token = self.peek()
            entry = self.binary.get(token.text) if token.kind == "op" else None
            if entry is None or entry[0] < min_precedence:
                return left
            precedence, op_name, right_assoc = entry
            self.advance()
            right = self.climb(precedence if right_assoc else precedence + 1)
            spec = self._infix_spec(op_name, token)
            left = self.build(spec, [left, right], [], left.position)

    def unary(self) -> Operand:
        token = self.peek()
        if token.kind != "op" or token.text not in self.prefix:
            return self.primary()
        self.advance()
        operand = self.climb(PREFIX_PRECEDENCE)
        if token.text == "-" and operand.is_number:
            # '-5' is the number -5: canonical text prints negative constants that way.
            return Operand(token.position, node=Const(-operand.node.value), integer_literal=False)
        op_name = self.prefix[token.text]
        if op_name not in registry.REGISTRY and token.text == "-":
            minus_one = Operand(token.position, node=Const(-1.0))
            return self.build(self._infix_spec("multiply", token), [minus_one, operand], [], token.position)
        return self.build(self._infix_spec(op_name, token), [operand], [], token.position)

    def primary(self) -> Operand:
        token = self.advance()
        if token.kind == "number":
            return Operand(token.position, node=Const(float(token.text)), integer_literal=token.is_integer_literal)
        if token.kind == "string":
            return Operand(token.position, node=Const(token.text, Text))
        if token.kind == "field":
            return Operand(token.position, name=token.text)
        if token.kind == "name":
            if self.at("("):
                return self.call(token)
            return self.name(token)
        if token.kind == "op" and token.text == "(":
            self.nesting += 1
            inner = self.expression()
            self.nesting -= 1
            self.expect_close(token)
            return Operand(token.position, node=inner.node, name=inner.name,
                           group_only=inner.group_only, integer_literal=inner.integer_literal)
        if token.kind == "end":
            raise ParseError("unexpected end of expression", self.text, token.position)
        if token.text == ")":
            raise ParseError("unbalanced parentheses: unexpected ')'", self.text, token.position)
        raise ParseError(f"unexpected {_show(token)}", self.text, token.position)

    def name(self, token: Token) -> Operand:
        lowered = token.text.lower()
        if lowered.startswith(_GROUP_PREFIX):
            return Operand(token.position, name=token.text[len(_GROUP_PREFIX):], group_only=True)
        if "." in token.text:
            raise ParseError(f"unexpected name {token.text!r}", self.text, token.position)
        return Operand(token.position, name=token.text)

    def call(self, name: Token) -> Operand:
        if registry.resolve(name.text, self.dialect) is None:
            hint = suggest(name.text, registry.all_names(self.dialect))
            raise ExpressionTypeError(f"unknown operator {name.text!r}{hint}", self.text, name.position)
        opening = self.advance()
        positional: list[Operand] = []
        keywords: list[tuple[Token, Operand]] = []
        while not self.at(")"):
            if self.peek().kind == "name" and self.tokens[self.index + 1].text == "=":
                key = self.advance()
                self.advance()
                keywords.append((key, self.expression()))
            elif keywords:
                token = self.peek()
                raise ParseError("positional argument after a keyword argument", self.text, token.position)
            else:
                positional.append(self.expression())
            if not self.at(","):
                break
            comma = self.advance()
            if self.at(")"):
                raise ParseError(f"expected an argument after ',' in {name.text}(...)", self.text, comma.position)
        self.expect_close(opening)
        spec = self._call_spec(name, positional, keywords)
        return self.build(spec, positional, keywords, name.position)

    # -- operators ----------------------------------------------------------------------------
    def _call_spec(self, name: Token, positional: list[Operand], keywords: list) -> OpSpec:
        lowered = name.text.lower()
        if self.dialect == "brain" and lowered in _PAPER_WINDOW_OPS and len(positional) == 2 and not keywords:
            first, second = positional
            if second.integer_literal and second.node.value >= 1 and not first.is_number:
                spec = registry.resolve(_PAPER_WINDOW_OPS[lowered])
                if spec is not None:
                    return spec
        return registry.resolve(name.text, self.dialect)

    def _infix_spec(self, op_name: str, token: Token) -> OpSpec:
        spec = registry.resolve(op_name)
        if spec is None:
            raise ParseError(f"operator {token.text!r} is not available (no {op_name!r} declared)", self.text, token.position)
        return spec

    def build(self, spec: OpSpec, positional: list[Operand], keywords: list, position: int) -> Operand:
        """Check arity and slot types against ``spec`` and build the call node."""
        required, params = spec.arity, spec.params
        if not required <= len(positional) <= required + len(params):
            raise ExpressionTypeError(_arity_message(spec, len(positional)), self.text, position)
        args = tuple(
            self.checker.coerce(operand, tp, f"argument {i + 1} of {spec.name}")
            for i, (operand, tp) in enumerate(zip(positional, spec.args))
        )
        given = {param.name: (operand.position, operand) for param, operand in zip(params, positional[required:])}
        for key, operand in keywords:
            self._check_keyword(spec, key, given)
            given[key.text] = (key.position, operand)
        kwargs = []
        for param in params:
            if param.name in given:
                _, operand = given[param.name]
                value = self.checker.coerce(operand, param.type, f"{param.name}= of {spec.name}")
                if not _is_default(value, param.default):
                    kwargs.append((param.name, value))
        if spec.commutative:
            args = commutative_order(args)
        return Operand(position, node=Call(spec.name, args, tuple(kwargs), spec.returns))

    def _check_keyword(self, spec: OpSpec, key: Token, given: dict) -> None:
        names = [param.name for param in spec.params]
        if key.text not in names:
            hint = suggest(key.text, names) if names else ""
            options = f"; it takes {', '.join(names)}" if names and not hint else ""
            raise ExpressionTypeError(f"{spec.name} has no argument {key.text!r}{hint}{options}", self.text, key.position)
        if key.text in given:
            raise ExpressionTypeError(f"argument {key.text!r} of {spec.name} given twice", self.text, key.position)


def _is_default(value: Node, default: object) -> bool:
    if not isinstance(value, Const) or default is None or isinstance(default, bool):
        return False
    if value.type is Text or isinstance(default, str):
        return value.value == default
    try:
        return float(value.value) == float(default)
    except (TypeError, ValueError):
        return False


def _arity_message(spec: OpSpec, given: int) -> str:
    required, optional = spec.arity, len(spec.params)
    count = f"{required}" if not optional else f"{required} to {required + optional}"
    noun = "argument" if count == "1" else "arguments"
    return f"{spec.name} takes {count} {noun} ({spec.signature()}), got {given}"


def _show(token: Token) -> str:
    return "end of expression" if token.kind == "end" else repr(token.text)


__all__ = ["DIALECTS", "QLIB_BINARY", "parse"]
