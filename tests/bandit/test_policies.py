"""The contract every policy keeps: untried arms first, exact save/restore, clear errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bandit import (
    Arm,
    Policy,
    PolicyParameterError,
    PolicyStateError,
    SettingsSpace,
    UnknownArmError,
    UnknownPolicyError,
    make_policy,
    policy_from_state,
    policy_names,
)
from bandit.regret import gaussian_problem

SPACE = SettingsSpace({"universe": ["TOP500", "TOP1000"], "decay": [0, 4, 8], "delay": [0, 1]})
ALL = [(name, False) for name in policy_names()] + [(name, True) for name in ("ucb1", "thompson", "epsilon_greedy")]


def test_every_documented_policy_is_registered():
    assert set(policy_names()) == {"epsilon_greedy", "ucb1", "thompson", "discounted_ucb", "sliding_window_ucb"}


@pytest.mark.parametrize("name", policy_names())
def test_untried_arms_are_pulled_first_in_order(name):
    policy = make_policy(name, SPACE, seed=3)
    arms = SPACE.arms()
    chosen = []
    for _ in arms:
        arm = policy.select()
        chosen.append(arm)
        policy.update(arm, 0.0)
    assert chosen == arms


@pytest.mark.parametrize("name", policy_names())
def test_init_stores_config_only_and_learned_state_ends_in_underscore(name):
    policy = make_policy(name, [1, 2, 3], seed=0)
    assert not [attr for attr in vars(policy) if attr.endswith("_")]
    policy.update(2, 1.0)
    learned = [attr for attr in vars(policy) if attr.endswith("_") and not attr.startswith("_")]
    assert {"rng_", "t_", "pulls_"} <= set(learned)
    assert policy.get_params() == make_policy(name, [1, 2, 3]).get_params()


def _drive(policy, problem, rng, pulls):
    chosen = []
    for _ in range(pulls):
        arm = policy.select()
        chosen.append(arm)
        policy.update(arm, float(problem[arm] + rng.normal()))
    return chosen


@pytest.mark.parametrize(("name", "factored"), ALL)
def test_state_round_trips_through_json_and_continues_exactly(name, factored):
    arm_means = {arm: float(mean) for arm, mean in zip(SPACE.arms(), np.random.default_rng(1).normal(size=SPACE.size))}
    policy = make_policy(name, SPACE, seed=11, factored=factored, **({"window": 40} if "window" in name else {}))
    _drive(policy, arm_means, np.random.default_rng(2), 150)
    saved = json.loads(json.dumps(policy.state(), allow_nan=False))
    restored = Policy.from_state(saved)
    assert restored.state() == policy.state()
    original_choices = _drive(policy, arm_means, np.random.default_rng(3), 200)
    restored_choices = _drive(restored, arm_means, np.random.default_rng(3), 200)
    assert restored_choices == original_choices
    assert json.dumps(restored.state()) == json.dumps(policy.state())


def test_state_of_a_fresh_policy_restores_and_matches_a_fresh_run():
    fresh = make_policy("thompson", gaussian_problem(5).arms, seed=5)
    restored = policy_from_state(fresh.state())
    twin = make_policy("thompson", gaussian_problem(5).arms, seed=5)
    problem = dict(enumerate(gaussian_problem(5).means[0]))
    expected = _drive(twin, problem, np.random.default_rng(0), 50)
    assert _drive(restored, problem, np.random.default_rng(0), 50) == expected


def test_unseeded_policy_still_restores_exactly():
    policy = make_policy("epsilon_greedy", list(range(4)), epsilon=1.0, epsilon_min=1.0)
    for arm in range(4):
        policy.update(arm, float(arm))
    restored = Policy.from_state(json.loads(json.dumps(policy.state())))
    assert [policy.select() for _ in range(30)] == [restored.select() for _ in range(30)]


def test_settings_arms_may_be_given_as_plain_dicts():
    policy = make_policy("ucb1", SPACE, seed=0)
    policy.update({"universe": "TOP500", "decay": 0, "delay": 0}, 1.0)
    assert policy.pulls_[policy.index_of(Arm({"universe": "TOP500", "decay": 0, "delay": 0}))] == 1


@pytest.mark.parametrize(
    ("call", "error", "fragment"),
    [
        (lambda: make_policy("ucb2", [1, 2]), UnknownPolicyError, "unknown bandit policy 'ucb2' (known: discounted"),
        (lambda: make_policy("ucb1", [1, 2], gamma=0.9), PolicyParameterError, "'ucb1' has no parameter 'gamma'"),
        (lambda: make_policy("ucb1", []), PolicyParameterError, "at least one arm"),
        (lambda: make_policy("ucb1", [1, 1]), PolicyParameterError, "distinct"),
        (lambda: make_policy("ucb1", [object()]), PolicyParameterError, "must be a settings mapping or a JSON scalar"),
        (lambda: make_policy("epsilon_greedy", [1], epsilon=1.5), PolicyParameterError, "epsilon=1.5 is outside"),
        (lambda: make_policy("discounted_ucb", [1], gamma=0), PolicyParameterError, "gamma=0 is outside (0.0, 1.0]"),
        (lambda: make_policy("thompson", [1], prior_rate="x"), PolicyParameterError, "prior_rate must be a number"),
        (lambda: make_policy("ucb1", [1, 2], factored=True), PolicyParameterError, "give a settings space"),
        (lambda: make_policy("ucb1", [1, 2]).update(3, 1.0), UnknownArmError, "ucb1: unknown arm 3"),
        (lambda: make_policy("ucb1", [1, 2]).update(1, float("nan")), PolicyParameterError, "must be finite"),
        (lambda: make_policy("ucb1", SPACE, factored=True).update({"delay": 0}, 1.0), UnknownArmError, "does not name"),
        (lambda: Policy.from_state({"policy": "nope", "version": 1}), UnknownPolicyError, "unknown policy 'nope'"),
        (lambda: Policy.from_state({"policy": "ucb1", "version": 99}), PolicyStateError, "version 99"),
        (lambda: Policy.from_state({"policy": "ucb1", "version": 1}), PolicyStateError, "missing entry 'arms'"),
    ],
)
def test_errors_are_one_line_and_name_the_problem(call, error, fragment):
    with pytest.raises(error) as raised:
        call()
    assert fragment in str(raised.value)
    assert "\n" not in str(raised.value)


def test_factored_update_with_a_bad_value_changes_nothing():
    policy = make_policy("ucb1", SPACE, factored=True, seed=0)
    before = json.dumps(policy.state())
    with pytest.raises(UnknownArmError):
        policy.update({"universe": "TOP500", "decay": 99, "delay": 0}, 1.0)
    assert json.dumps(policy.state()) == before


def test_restored_state_with_wrong_shape_is_refused():
    state = make_policy("ucb1", [1, 2, 3], seed=0).state()
    state["learned"]["means_"] = [0.0, 1.0]
    with pytest.raises(PolicyStateError, match=r"means_ has shape \(2,\), expected \(3,\)"):
        Policy.from_state(state)
