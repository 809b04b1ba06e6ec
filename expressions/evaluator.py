"""The evaluator: an expression tree -> a read-only float64 [T, N] array of alpha values.

How ``Evaluator.evaluate`` computes an expression:

1. Text is parsed and type-checked by ``expressions.parser.parse`` against the panel's field
   and group names, with ``max_window`` = T. A given tree is checked for unknown fields and
   windows longer than the data by ``_check_tree``.
2. Guard rails (``_check_tree``): more than ``max_nodes`` nodes or a depth above
   ``max_depth`` raises ``EvaluationError`` before anything is computed.
3. The tree is walked depth first (``_value``). Equal subtrees are equal, hashable nodes, so
   the per-evaluation ``memo`` computes each distinct subexpression once (the tree is a DAG).
4. Before computing a call, the shared ``ResultCache`` (``expressions.cache``) is consulted
   with the key ``"TxN|canonical text"``, plus ``"@universe_key"`` when the subtree contains
   a pasteurizing operator (its value depends on the universe). Canonical texts are rendered
   bottom-up once per node by ``expressions.canonical.render``.
5. Arguments are turned into runtime values by their declared slot type (``_argument``):
   a ``Scalar`` constant in a ``Series`` slot becomes a read-only [T, N] broadcast view of c
   (no memory: numpy broadcasts it; kernels that need contiguous data copy it), a [N] group
   is broadcast to [T, N], windows become ``int`` and text ``str``.
6. For operators declared ``pasteurize=True`` (cross-sectional and group), ``Series``
   arguments are masked to the universe (NaN outside) first (``_pasteurized``, a numba ufunc),
   or, for an operator whose function takes a keyword-only ``member`` (rank, zscore, quantile,
   group_rank, the group statistics), the universe is passed there and the kernel skips
   non-members while it reads: the same values without a masked [T, N] copy per argument.
7. The operator's ``fn`` (its registry declaration, usually a numba kernel) runs under
   ``np.errstate(all="ignore")``; its result is checked for shape, converted to float64 (int
   for groups), marked read-only and stored in the memo and the cache (the root's result as the
   least recently used entry: subtrees are shared across candidates far more often). Inputs are read-only
   arrays, so a kernel that writes into one fails loudly instead of corrupting shared values.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from expressions.ast import Call, Const, Field, Node, depth, size, walk
from expressions.cache import ResultCache
from expressions.canonical import render
from expressions.errors import EvaluationError
from expressions.kernels.elementwise import member_or_nan_ufunc
from expressions.parser import parse
from expressions.registry import REGISTRY, OpSpec, resolve
from expressions.types import Group, Scalar, Series, Text, Window


class Evaluator:
    """Evaluates expressions on one panel's data.

    Parameters
    ----------
    fields : name -> float64 [T, N] (a Panel's ``fields``).
    groups : name -> int [N] (or [T, N]) codes (a Panel's ``groups``).
    universe : bool [T, N] membership used for pasteurization, or None (no masking).
    universe_key : the universe's name, part of cache keys of universe-dependent subtrees.
    cache : a ``ResultCache`` shared across evaluations on this panel, or None.
    max_nodes, max_depth : guard rails on the tree's size and depth.

    Examples
    --------
    >>> ev = Evaluator.from_panel(panel, universe="TOP500")  # doctest: +SKIP
    >>> ev.evaluate("rank(ts_delta(close, 5)) * -1").shape  # doctest: +SKIP
    (1259, 505)
    """

    def __init__(
        self,
        fields: Mapping[str, np.ndarray],
        groups: Mapping[str, np.ndarray],
        universe: np.ndarray | None = None,
        universe_key: str = "ALL",
        cache: ResultCache | None = None,
        max_nodes: int = 200,
        max_depth: int = 30,
    ):
        self.fields = fields
        self.groups = groups
        self.universe = universe
        self.universe_key = universe_key
        self.cache = cache
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.shape = self._data_shape()

    @classmethod
    def from_panel(cls, panel, universe: str = "ALL", cache: ResultCache | None = None, **limits) -> "Evaluator":
        """An evaluator over a ``pipelines.panel.Panel`` pasteurizing to ``panel.universe(universe)``."""
        return cls(panel.fields, panel.groups, panel.universe(universe), universe.upper(), cache, **limits)

    def _data_shape(self) -> tuple[int, int]:
        if self.universe is not None:
            return tuple(self.universe.shape)
        for name in self.fields:
            return tuple(np.shape(self.fields[name]))
        raise EvaluationError("the evaluator needs at least one field or a universe mask")

    def parse(self, text: str, dialect: str = "brain") -> Node:
        """Parse ``text`` against this data's fields, groups and length."""
        return parse(text, dialect, fields=self.fields, groups=self.groups, max_window=self.shape[0])

    def evaluate(self, node_or_text: Node | str, dialect: str = "brain") -> np.ndarray:
        """Values of an expression: read-only float64 [T, N].

        Raises
        ------
        ExpressionError
            ``ParseError`` / ``ExpressionTypeError`` for bad text, ``EvaluationError`` when a
            guard rail trips or the data lacks a field.
        """
        node = self.parse(node_or_text, dialect) if isinstance(node_or_text, str) else node_or_text
        self._check_tree(node)
        run = _Run(self, node)
        value = run.value(node, Series)
        if node.type is Group:
            value = np.where(value >= 0, value, np.nan).astype(np.float64)
        return _read_only(np.ascontiguousarray(value, dtype=np.float64))

    def _check_tree(self, node: Node) -> None:
        count = size(node)
        if count > self.max_nodes:
            raise EvaluationError(f"expression has {count} nodes, more than the limit of {self.max_nodes}")
        levels = depth(node)
        if levels > self.max_depth:
            raise EvaluationError(f"expression is {levels} levels deep, more than the limit of {self.max_depth}")
        for current in walk(node):
            if isinstance(current, Const) and current.type is Window and current.value > self.shape[0]:
                raise EvaluationError(f"window {current.value} is longer than the data ({self.shape[0]} days)")
            if isinstance(current, Field) and current.type is Group and current.name not in self.groups:
                raise EvaluationError(f"unknown group {current.name!r}; groups: {', '.join(self.groups)}")
            if isinstance(current, Field) and current.type is not Group and current.name not in self.fields:
                raise EvaluationError(f"unknown field {current.name!r}; fields: {', '.join(self.fields)}")


class _Run:
    """State of one evaluation: the memo of computed subtrees and of rendered texts."""

    def __init__(self, evaluator: Evaluator, root: Node):
        self.ev = evaluator
        self.root = root
        self.memo: dict[Node, np.ndarray] = {}
        self.texts: dict[Node, tuple[str, int]] = {}
        self.universe_dependent: dict[Node, bool] = {}

    def value(self, node: Node, slot: type):
        if isinstance(node, Const):
            return self._const(node, slot)
        found = self.memo.get(node)
        if found is None:
            found = self._field(node) if isinstance(node, Field) else self._call(node)
            self.memo[node] = found
        return found

    def _const(self, node: Const, slot: type):
        if node.type is Window:
            return int(node.value)
        if node.type is Text:
            return str(node.value)
        if slot is Scalar:
            return float(node.value)
        key = Const(node.value)
        if key not in self.memo:
            # A read-only view of one float: numpy broadcasts it, a kernel copies it if it must.
            self.memo[key] = np.broadcast_to(np.float64(node.value), self.ev.shape)
        return self.memo[key]

    def _field(self, node: Field) -> np.ndarray:
        if node.type is Group:
            codes = np.asarray(self.ev.groups[node.name])
            return codes if codes.ndim == 2 else np.broadcast_to(codes, self.ev.shape)
        return _read_only(np.asarray(self.ev.fields[node.name]))

    def _call(self, node: Call) -> np.ndarray:
        spec = REGISTRY.get(node.op) or resolve(node.op)
        if spec is None:
            raise EvaluationError(f"unknown operator {node.op!r}")
        key = self._cache_key(node)
        cache = self.ev.cache
        if cache is not None:
            cached = cache.get(key)
            if cached is not None:
                return cached
        result = self._compute(spec, node)
        if cache is not None:
            # A whole expression is rarely asked for again, its subtrees often: see ResultCache.put.
            cache.put(key, result, recent=node is not self.root)
        return result

    def _compute(self, spec: OpSpec, node: Call) -> np.ndarray:
        fused = spec.pasteurize and self.ev.universe is not None and spec.takes_member
        args = [self._argument(spec, arg, tp, not fused) for arg, tp in zip(node.args, spec.args)]
        param_types = {param.name: param.type for param in spec.params}
        kwargs = {name: self._argument(spec, arg, param_types[name], not fused) for name, arg in node.kwargs}
        if fused:
            kwargs["member"] = self.ev.universe
        with np.errstate(all="ignore"):
            result = spec.fn(*args, **kwargs)
        result = np.asarray(result)
        if result.shape != self.ev.shape:
            raise EvaluationError(f"operator {spec.name} returned shape {result.shape}, expected {self.ev.shape}")
        dtype = result.dtype if spec.returns is Group and result.dtype.kind in "iu" else np.float64
        return _read_only(np.asarray(result, dtype=dtype))

    def _argument(self, spec: OpSpec, arg: Node, slot: type, mask: bool = True):
        value = self.value(arg, slot)
        if mask and spec.pasteurize and self.ev.universe is not None and issubclass(slot, Series):
            return _pasteurized(value, self.ev.universe)
        return value

    def _cache_key(self, node: Call) -> str:
        text = render(node, self.texts)[0]
        t, n = self.ev.shape
        if self._depends_on_universe(node):
            return f"{t}x{n}|{text}@{self.ev.universe_key}"
        return f"{t}x{n}|{text}"

    def _depends_on_universe(self, node: Node) -> bool:
        if not isinstance(node, Call) or self.ev.universe is None:
            return False
        found = self.universe_dependent.get(node)
        if found is None:
            spec = REGISTRY.get(node.op)
            found = bool(spec and spec.pasteurize) or any(self._depends_on_universe(c) for c in node.children())
            self.universe_dependent[node] = found
        return found


def _pasteurized(values: np.ndarray, universe: np.ndarray) -> np.ndarray:
    """``values`` with NaN outside the universe (a new read-only array)."""
    if values.dtype == np.float64 and universe.dtype == np.bool_:
        return _read_only(member_or_nan_ufunc(values, universe))
    return _read_only(np.where(universe, values, np.nan))


def _read_only(array: np.ndarray) -> np.ndarray:
    if array.flags.writeable:
        array = array.view()
        array.flags.writeable = False
    return array


def lookback(node: Node) -> int:
    """Rows of history the tree needs before its first complete value (sum along the deepest path)."""
    if not isinstance(node, Call):
        return 0
    spec = REGISTRY.get(node.op)
    windows = [arg.value for arg in node.children() if isinstance(arg, Const) and arg.type is Window]
    own = spec.lookback(*windows) if spec is not None else 0
    return own + max((lookback(child) for child in node.children()), default=0)


__all__ = ["Evaluator", "lookback"]
