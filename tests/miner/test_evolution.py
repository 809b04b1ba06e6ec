import random

import pytest
from deap import gp

from expressions import canonical, parse
from expressions.registry import operators
from expressions.types import Series, Text, Window
from miner.evolution import (
    build_pset,
    clone,
    deserialize,
    from_text,
    generate,
    random_individual,
    serialize,
    vary,
    within_limits,
)

FIELDS = ["open", "high", "low", "close", "volume", "returns", "vwap", "adv20"]


@pytest.fixture(scope="module")
def pset():
    return build_pset(FIELDS, ["sector", "industry"], [2, 5, 10, 20], [0.5, 1.0, 2.0])


GP_OPS = [s for s in operators() if s.dialect == "brain" and s.args and Text not in s.args]


@pytest.mark.parametrize("spec", GP_OPS, ids=lambda s: s.name)
def test_every_gp_usable_operator_is_a_primitive_with_the_same_types(pset, spec):
    prim = pset.mapping[spec.name]
    assert isinstance(prim, gp.Primitive)
    assert tuple(prim.args) == spec.args and prim.ret is spec.returns


def test_random_trees_always_parse_and_type_check(pset):
    random.seed(0)
    for _ in range(300):
        tree = generate(pset, 1, 4)
        text = str(gp.PrimitiveTree(tree))
        assert canonical(parse(text, fields=FIELDS, groups=["sector", "industry"]))


def test_windows_are_always_literals_from_the_window_set(pset):
    random.seed(1)
    for _ in range(100):
        tree = generate(pset, 2, 5)
        for node in tree:
            if node.ret is Window:
                assert isinstance(node, gp.Terminal) and node.value in (2, 5, 10, 20)


def test_variation_respects_height_and_size_limits(pset):
    random.seed(2)
    parents = [random_individual(pset, 2, 6, {"settings.decay": 1}) for _ in range(40)]
    for ind in parents:
        ind.fitness.values = (random.random(),)
    for _ in range(5):
        children = vary(parents, pset, cxpb=0.8, mutpb=0.9, max_height=6, max_size=25,
                        mutate_params=lambda p: {**p, "settings.decay": p["settings.decay"] + 1})
        for child in children:
            assert within_limits(child, 6, 25) or any(list(child) == list(p) for p in parents)
            assert not child.fitness.valid
        parents = children
        for ind in parents:
            ind.fitness.values = (random.random(),)


def test_serialize_round_trips(pset):
    random.seed(3)
    for _ in range(50):
        ind = random_individual(pset, 1, 4, {"post.transform": "rank"})
        ind.fitness.values = (1.25,)
        again = deserialize(serialize(ind), pset)
        assert str(again) == str(ind) and again.params == ind.params and again.fitness.values == (1.25,)


def test_from_text_builds_a_tree_with_the_same_meaning(pset):
    ind = from_text("rank(ts_delta(close, 5)) * -1", pset)
    assert canonical(parse(str(ind))) == canonical(parse("rank(ts_delta(close, 5)) * -1"))
    assert from_text("winsorize(close, std=3)", pset) is None  # keyword arguments stay outside the GA
    assert from_text("not an expression (", pset) is None


def test_clone_is_independent(pset):
    random.seed(4)
    ind = random_individual(pset, 2, 3, {"a": 1})
    twin = clone(ind)
    twin.params["a"] = 2
    twin[0] = twin[0]
    assert ind.params == {"a": 1}
