import random

import pytest

from miner.errors import ConfigError
from miner.search_space import SearchSpace


def test_sample_stays_within_declared_ranges():
    space = SearchSpace({
        "settings.decay": {"int": [0, 4]},
        "settings.truncation": {"float": [0.02, 0.1]},
        "post.transform": {"choice": ["none", "rank"]},
        "post.flip": {"bool": True},
    })
    rng = random.Random(3)
    for _ in range(200):
        params = space.sample(rng)
        assert 0 <= params["settings.decay"] <= 4 and isinstance(params["settings.decay"], int)
        assert 0.02 <= params["settings.truncation"] <= 0.1
        assert params["post.transform"] in ("none", "rank")
        assert params["post.flip"] in (True, False)


def test_mutate_changes_exactly_one_dimension_and_respects_bounds():
    space = SearchSpace({"settings.decay": {"int": [0, 4]}, "post.transform": {"choice": ["none", "rank", "zscore"]}})
    rng = random.Random(0)
    params = {"settings.decay": 4, "post.transform": "none"}
    for _ in range(100):
        mutated = space.mutate(params, rng)
        changed = [k for k in params if mutated[k] != params[k]]
        assert len(changed) <= 1
        assert 0 <= mutated["settings.decay"] <= 4


def test_settings_names_are_the_searched_settings():
    assert SearchSpace({"settings.decay": {"int": [0, 3]}, "post.transform": {"choice": ["rank"]}}).settings_names() == {"decay"}


@pytest.mark.parametrize("rule, message", [
    ({"settings.decay": {"int": [5, 1]}}, "low <= high"),
    ({"settings.decay": {"range": [0, 1]}}, "unknown kind 'range'"),
    ({"decay": {"int": [0, 1]}}, "dotted path"),
    ({"post.transform": {"choice": []}}, "non-empty list"),
])
def test_bad_space_names_the_path(rule, message):
    with pytest.raises(ConfigError, match=message):
        SearchSpace(rule)
