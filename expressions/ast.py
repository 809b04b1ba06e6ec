"""The expression tree: ``Field``, ``Const`` and ``Call`` nodes.

Nodes are immutable and hashable, so equal subtrees are interchangeable: the evaluator uses
them as keys to compute a shared subexpression once. Each node carries its static type (a
marker class from ``expressions.types``). Build trees with :func:`expressions.parser.parse`;
it resolves aliases, orders commutative arguments and drops keyword arguments equal to their
default, so two texts with one meaning give equal trees.

``canonical(node)`` prints the one text of a tree's meaning and ``expr_hash(node)`` is the
sha1 hex digest of that text (both live in ``expressions.canonical``; re-exported here).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from expressions.types import Scalar, Series, Text, Type, Window


class Node:
    """Base of every tree node."""

    __slots__ = ()

    type: type

    def children(self) -> tuple[Node, ...]:
        return ()

    def __str__(self) -> str:
        from expressions.canonical import canonical

        return canonical(self)


@dataclasses.dataclass(frozen=True, eq=True, repr=False)
class Field(Node):
    """A data field (``close``) or, typed ``Group``, a grouping (``sector``)."""

    name: str
    type: type = Series

    def __hash__(self) -> int:
        return hash(("Field", self.name, self.type))

    def __repr__(self) -> str:
        return f"Field({self.name!r})" if self.type is Series else f"Field({self.name!r}, {self.type.__name__})"


@dataclasses.dataclass(frozen=True, eq=True, repr=False)
class Const(Node):
    """A literal: a number (``Scalar`` or ``Window``) or a string (``Text``)."""

    value: float | int | str
    type: type = Scalar

    def __post_init__(self) -> None:
        if self.type is Window:
            object.__setattr__(self, "value", int(self.value))
        elif self.type is not Text:
            object.__setattr__(self, "value", float(self.value))

    def __hash__(self) -> int:
        return hash(("Const", self.value, self.type))

    def __repr__(self) -> str:
        return f"Const({self.value!r}, {self.type.__name__})"


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Call(Node):
    """An operator applied to arguments.

    Attributes
    ----------
    op : canonical operator name (a key of ``REGISTRY``).
    args : positional argument nodes.
    kwargs : ``(name, node)`` pairs for optional parameters that differ from their default,
        in declaration order.
    type : the operator's declared result type.
    """

    op: str
    args: tuple[Node, ...] = ()
    kwargs: tuple[tuple[str, Node], ...] = ()
    type: type = Series
    _hash: int = dataclasses.field(default=0, init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "args", tuple(self.args))
        object.__setattr__(self, "kwargs", tuple((str(k), v) for k, v in self.kwargs))
        # Trees are hashed many times (CSE, cache keys); hashing children once keeps it O(n).
        object.__setattr__(self, "_hash", hash(("Call", self.op, self.args, self.kwargs, self.type)))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Call) or self._hash != other._hash:
            return False
        return (self.op, self.args, self.kwargs, self.type) == (other.op, other.args, other.kwargs, other.type)

    def children(self) -> tuple[Node, ...]:
        return self.args + tuple(node for _, node in self.kwargs)

    def __repr__(self) -> str:
        parts = [repr(self.op), *map(repr, self.args)]
        parts += [f"{name}={node!r}" for name, node in self.kwargs]
        return f"Call({', '.join(parts)})"


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children (shared subtrees repeated)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children()))


def size(node: Node) -> int:
    """Number of nodes in the tree (shared subtrees counted once per occurrence)."""
    memo: dict[Node, int] = {}

    def count(current: Node) -> int:
        if current not in memo:
            memo[current] = 1 + sum(count(child) for child in current.children())
        return memo[current]

    return count(node)


def depth(node: Node) -> int:
    """Length of the longest root-to-leaf path (a leaf alone has depth 1)."""
    memo: dict[Node, int] = {}

    def measure(current: Node) -> int:
        if current not in memo:
            memo[current] = 1 + max((measure(child) for child in current.children()), default=0)
        return memo[current]

    return measure(node)


def is_type(node: Node, tp: type[Type]) -> bool:
    return issubclass(node.type, tp)


def __getattr__(name: str):
    # canonical/expr_hash are defined beside the printer; importing them lazily avoids a cycle.
    if name in ("canonical", "expr_hash"):
        from expressions import canonical as printer

        return getattr(printer, name)
    raise AttributeError(name)


__all__ = ["Call", "Const", "Field", "Node", "canonical", "depth", "expr_hash", "size", "walk"]
