"""Each policy's arithmetic checked against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bandit import DiscountedUCB, EpsilonGreedy, GaussianThompson, SlidingWindowUCB, UCB1, decode_rng, encode_rng


def test_ucb1_index_by_hand():
    policy = UCB1(["a", "b"])
    for arm, reward in (("a", 1.0), ("b", 0.2), ("a", 0.0)):
        policy.update(arm, reward)
    # t = 3: a = 0.5 + sqrt(2 ln 3 / 2) = 1.548, b = 0.2 + sqrt(2 ln 3 / 1) = 1.682
    assert policy.means_.tolist() == [0.5, 0.2]
    assert policy.select() == "b"
    policy = UCB1(["a", "b"], c=0.1)
    for arm, reward in (("a", 1.0), ("b", 0.2), ("a", 0.0)):
        policy.update(arm, reward)
    assert policy.select() == "a"  # 0.5 + 0.105 > 0.2 + 0.148


def test_thompson_posterior_by_hand():
    policy = GaussianThompson(["x", "y"], prior_mean=0.0, prior_count=1.0, prior_shape=1.0, prior_rate=1.0)
    policy.update("x", 1.0)
    policy.update("x", 3.0)
    m, k, a, b = policy.posterior()
    # n = 2, mean 2, S = 2: k = 3, m = 4/3, a = 2, b = 1 + 1 + 1*2*(2-0)^2 / (2*3) = 10/3
    assert m[0] == pytest.approx(4 / 3) and k[0] == 3 and a[0] == 2 and b[0] == pytest.approx(10 / 3)
    assert (m[1], k[1], a[1], b[1]) == (0.0, 1.0, 1.0, 1.0)


def test_thompson_sample_mean_tracks_posterior_mean():
    policy = GaussianThompson(["lo", "hi"], seed=0)
    for _ in range(50):
        policy.update("lo", 0.0)
        policy.update("hi", 0.3)
    picks = [policy.select() for _ in range(2000)]
    assert picks.count("hi") > 0.9 * len(picks)


def test_epsilon_schedule_by_hand():
    policy = EpsilonGreedy([0, 1], half_life=10)
    assert policy.current_epsilon() == pytest.approx(0.2)
    for _ in range(10):
        policy.update(0, 1.0)
    assert policy.current_epsilon() == pytest.approx(0.15)
    for _ in range(10):
        policy.update(1, 0.0)
    assert policy.current_epsilon() == pytest.approx(0.125)


def test_epsilon_greedy_explores_at_the_floor_rate():
    policy = EpsilonGreedy(list(range(4)), seed=1, epsilon=0.1, epsilon_min=0.1)
    for arm in range(4):
        policy.update(arm, float(arm))
    picks = np.array([policy.select() for _ in range(20_000)])
    # greedy arm 3 with probability 0.9 + 0.1 / 4 = 0.925
    assert abs((picks == 3).mean() - 0.925) < 0.01


def test_discounted_ucb_weights_by_hand():
    policy = DiscountedUCB([0, 1], gamma=0.5)
    for arm, reward in ((0, 1.0), (1, 2.0), (0, 3.0)):
        policy.update(arm, reward)
    assert policy.weights_.tolist() == [1.25, 0.5]
    assert policy.sums_.tolist() == [3.25, 1.0]
    # total 1.75: index 0 = 3.25/1.25 + sqrt(2 ln 1.75 / 1.25) = 2.6 + 0.946 = 3.546;
    # index 1 = 1.0/0.5 + sqrt(2 ln 1.75 / 0.5) = 2 + 1.496 = 3.496
    assert policy.select() == 0
    policy.update(1, 10.0)  # weights [0.625, 1.25], sums [1.625, 10.5]: arm 1's mean 8.4 wins
    assert policy.select() == 1


def test_sliding_window_forgets_old_pulls():
    policy = SlidingWindowUCB(["a", "b", "c"], window=2)
    for arm, reward in (("a", 5.0), ("b", 0.0), ("c", 0.0)):
        policy.update(arm, reward)
    assert list(policy.recent_arms_) == [1, 2]
    assert policy.select() == "a"  # fell out of the window: no weight, so tried again


def test_rng_state_round_trip_is_exact_and_json_safe():
    rng = np.random.default_rng(123)
    rng.normal(size=7)
    state = encode_rng(rng)
    assert all(not isinstance(v, int) or abs(v) < 2**53 for v in state["state"].values())
    copy = decode_rng(state)
    assert copy.random(5).tolist() == rng.random(5).tolist()
    assert math.isfinite(copy.normal())
