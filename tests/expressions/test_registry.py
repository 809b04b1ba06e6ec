"""Invariants over every declared operator: canonical text round-trips, docs are current."""

from __future__ import annotations

from pathlib import Path

import pytest

from expressions import registry
from expressions.ast import Call, Const, Field
from expressions.canonical import canonical, commutative_order
from expressions.errors import RegistryError
from expressions.parser import parse
from expressions.registry import OpSpec, Param
from expressions.types import Bool, Group, Scalar, Series, Text, Window

DOCS = Path(__file__).resolve().parents[2] / "docs" / "operators.md"
SERIES_FIELDS = ("close", "open", "volume", "high", "low")


def _sample(tp: type, index: int):
    """A sample argument node of type ``tp`` (the index picks distinct fields)."""
    if tp is Window:
        return Const(5 + index, Window)
    if tp is Scalar:
        return Const(0.5 + index, Scalar)
    if tp is Text:
        return Const("0,1,0.25", Text)
    if tp is Group:
        return Field("sector", Group)
    if tp is Bool:
        return parse(f"{SERIES_FIELDS[index]} > 0")
    return Field(SERIES_FIELDS[index % len(SERIES_FIELDS)])


def _changed_default(param: Param):
    if param.type is Text:
        return Const(f"{param.default}x", Text)
    if param.type is Window:
        return Const(int(param.default or 1) + 1, Window)
    return Const(float(param.default or 0) + 1.5, Scalar)


def _sample_call(spec: OpSpec, with_kwargs: bool) -> Call:
    args = tuple(_sample(tp, i) for i, tp in enumerate(spec.args))
    if spec.commutative:
        args = commutative_order(args)
    kwargs = tuple((p.name, _changed_default(p)) for p in spec.params) if with_kwargs else ()
    return Call(spec.name, args, kwargs, spec.returns)


CASES = [(spec, False) for spec in registry.operators()]
CASES += [(spec, True) for spec in registry.operators() if spec.params]


@pytest.mark.parametrize(
    ("spec", "with_kwargs"), CASES, ids=[f"{s.name}{'-kwargs' if k else ''}" for s, k in CASES]
)
def test_canonical_text_parses_back_to_the_same_tree(spec, with_kwargs):
    tree = _sample_call(spec, with_kwargs)
    text = canonical(tree)
    assert parse(text) == tree, f"{spec.name}: {text!r} parsed to {canonical(parse(text))!r}"
    assert canonical(parse(text)) == text


@pytest.mark.parametrize("spec", registry.operators(), ids=lambda s: s.name)
def test_every_alias_resolves_case_insensitively(spec):
    for alias in spec.aliases:
        assert registry.resolve(alias) is spec
        assert registry.resolve(alias.upper()) is spec
    assert registry.resolve(spec.name) is spec
    if spec.qlib_name:
        assert registry.resolve(spec.qlib_name, "qlib") is spec


def test_docs_are_generated_from_the_registry():
    assert DOCS.read_text() == registry.markdown(), (
        "docs/operators.md is stale: run `python -m expressions.registry --markdown > docs/operators.md`"
    )
    for spec in registry.operators():
        assert f"| `{spec.name}` |" in DOCS.read_text()


def test_add_and_remove_a_test_operator():
    spec = OpSpec(name="zz_test_twice", args=(Series,), returns=Series, fn=lambda x: 2 * x,
                  doc="twice x", category="arithmetic", aliases=("ZzTwice",), qlib_name="ZzTwiceQ")
    registry.add(spec)
    try:
        assert registry.resolve("zztwice") is spec
        assert registry.resolve("ZzTwiceQ", "qlib") is spec
        with pytest.raises(RegistryError, match="declared twice"):
            registry.add(spec)
    finally:
        registry.remove("zz_test_twice")
    assert registry.resolve("zztwice") is None and registry.resolve("ZzTwiceQ", "qlib") is None
