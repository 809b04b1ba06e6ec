"""AST nodes: immutable, hashable, typed; size/depth/walk; canonical text and its hash."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from expressions.ast import Call, Const, Field, depth, size, walk
from expressions.canonical import canonical, expr_hash, format_number
from expressions.types import Group, Scalar, Series, Text, Window


def _tree() -> Call:
    # rank(close - open) * -1, built by hand
    diff = Call("subtract", (Field("close"), Field("open")))
    return Call("multiply", (Const(-1), Call("rank", (diff,))))


def test_nodes_are_immutable():
    node = _tree()
    with pytest.raises(dataclasses.FrozenInstanceError):
        node.op = "add"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Field("close").name = "open"  # type: ignore[misc]


def test_equal_trees_are_equal_and_hash_equal():
    assert _tree() == _tree()
    assert hash(_tree()) == hash(_tree())
    assert len({_tree(), _tree()}) == 1
    assert _tree() != Call("multiply", (Const(-2), _tree().args[1]))


def test_nodes_carry_their_static_type():
    assert Field("close").type is Series
    assert Field("sector", Group).type is Group
    assert Field("sector", Group) != Field("sector")
    assert Const(5, Window).value == 5 and isinstance(Const(5.9, Window).value, int)
    assert Const(2).type is Scalar and isinstance(Const(2).value, float)
    assert Const("0,1,0.1", Text).value == "0,1,0.1"
    assert Call("rank", (Field("close"),)).type is Series


def test_size_depth_walk():
    tree = _tree()
    assert size(tree) == 6  # multiply, -1, rank, subtract, close, open
    assert depth(tree) == 4
    assert [type(n).__name__ for n in walk(tree)] == ["Call", "Const", "Call", "Call", "Field", "Field"]


def test_canonical_text_and_hash():
    tree = _tree()
    assert canonical(tree) == "-1 * rank(close - open)"
    assert str(tree) == canonical(tree)
    assert expr_hash(tree) == hashlib.sha1(b"-1 * rank(close - open)").hexdigest()


@pytest.mark.parametrize(
    ("value", "text"),
    [(5, "5"), (5.0, "5"), (0.5, "0.5"), (-1, "-1"), (1e-6, "1e-06"), (0.001, "0.001"), (2.5e20, "2.5e+20")],
)
def test_numbers_print_in_shortest_form(value, text):
    assert format_number(value) == text
