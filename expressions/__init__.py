"""alphaminer's alpha language: parse text into typed trees, print them canonically, evaluate them.

Public names::

    parse(text, dialect="brain", fields=None, groups=None, max_window=None) -> Node
    canonical(node) -> str;  expr_hash(node) -> str
    Field, Const, Call, Node
    Evaluator(fields, groups, universe=None, universe_key="ALL", cache=None, max_nodes=200, max_depth=30)
    ResultCache(max_bytes)
    REGISTRY, OpSpec, Param, operator, resolve
    ExpressionError, ParseError, ExpressionTypeError, EvaluationError
"""

from expressions.ast import Call, Const, Field, Node
from expressions.cache import ResultCache
from expressions.canonical import canonical, expr_hash
from expressions.errors import EvaluationError, ExpressionError, ExpressionTypeError, ParseError
from expressions.evaluator import Evaluator, lookback
from expressions.parser import parse
from expressions.registry import REGISTRY, OpSpec, Param, operator, resolve

__all__ = [
    "Call",
    "Const",
    "EvaluationError",
    "Evaluator",
    "ExpressionError",
    "ExpressionTypeError",
    "Field",
    "Node",
    "OpSpec",
    "Param",
    "ParseError",
    "REGISTRY",
    "ResultCache",
    "canonical",
    "expr_hash",
    "lookback",
    "operator",
    "parse",
    "resolve",
]
