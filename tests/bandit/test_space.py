"""Settings spaces: arms are the cartesian product, each with a canonical key naming every dimension."""

from __future__ import annotations

import json

import pytest

from bandit import Arm, SettingsSpace, SettingsSpaceError, arms_from_space

SPACE = {"universe": ["TOP500", "TOP1000"], "neutralization": ["MARKET", "SECTOR", "NONE"], "delay": [0, 1]}


def test_arms_are_the_cartesian_product_with_every_dimension_in_the_key():
    space = SettingsSpace(SPACE)
    arms = space.arms()
    assert space.size == len(arms) == 12
    assert len({arm.key for arm in arms}) == 12
    for arm in arms:
        assert json.loads(arm.key) == arm.to_dict()
        assert set(arm) == {"universe", "neutralization", "delay"}
    assert arms[0].key == '{"delay":0,"neutralization":"MARKET","universe":"TOP500"}'


def test_arm_key_is_independent_of_insertion_order_and_arms_compare_by_key():
    a = Arm({"delay": 1, "universe": "TOP500"})
    b = Arm({"universe": "TOP500", "delay": 1})
    assert a == b and hash(a) == hash(b) and a.key == b.key
    assert a == {"universe": "TOP500", "delay": 1}
    assert a != Arm({"universe": "TOP500", "delay": 0})
    with pytest.raises(TypeError):
        a["delay"] = 0  # type: ignore[index]


def test_space_round_trips_through_plain_dict_and_plain_mapping_gives_same_arms():
    space = SettingsSpace(SPACE)
    assert SettingsSpace(space.to_dict()) == space
    assert arms_from_space(SPACE) == space.arms()


@pytest.mark.parametrize(
    ("dimensions", "fragment"),
    [
        ({}, "non-empty mapping"),
        ({"delay": []}, "'delay' has no values"),
        ({"delay": [0, 0]}, "'delay' lists 0 twice"),
        ({"universe": "TOP500"}, "'universe' must be a list"),
        ({"decay": [[1, 2]]}, "'decay' has value [1, 2] of type list"),
        ({"truncation": [float("nan")]}, "'truncation' has non-finite value"),
    ],
)
def test_bad_spaces_are_reported_with_the_dimension(dimensions, fragment):
    with pytest.raises(SettingsSpaceError) as raised:
        SettingsSpace(dimensions)
    assert fragment in str(raised.value)
