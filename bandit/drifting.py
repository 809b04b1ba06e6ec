"""UCB variants for drifting rewards: discounted UCB and sliding-window UCB (Garivier & Moulines, 2011).

Settings that paid off early in a run may stop paying later (the GA population moves on); both
variants forget old rewards so that a change of the best arm is noticed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np

from bandit.base import IndexedPolicy, check_param


def _ucb_index(sums: np.ndarray, counts: np.ndarray, total: float, c: float) -> int:
    """argmax of ``sums / counts + c * sqrt(2 ln total / counts)``; arms with no weight first."""
    empty = np.flatnonzero(counts <= 0)
    if empty.size:
        return int(empty[0])
    bonus = c * np.sqrt(2.0 * np.log(max(total, 1.0)) / counts)
    return int(np.argmax(sums / counts + bonus))


class DiscountedUCB(IndexedPolicy):
    """UCB on rewards discounted by ``gamma`` per pull (effective memory ~ 1 / (1 - gamma) pulls).

    Parameters
    ----------
    arms, seed : see :class:`~bandit.base.IndexedPolicy`.
    gamma : discount per pull, in (0, 1]; 1 is plain UCB1.
    c : exploration scale (as in :class:`~bandit.ucb.UCB1`).
    """

    name = "discounted_ucb"
    learned_attrs = ("weights_", "sums_")

    def __init__(self, arms: Sequence[Any], *, seed: int | None = None, gamma: float = 0.995, c: float = 1.0):
        super().__init__(arms, seed=seed)
        self.gamma = check_param(self.name, "gamma", gamma, low=0.0, high=1.0, low_open=True)
        self.c = check_param(self.name, "c", c, low=0.0)

    def _start_stats(self) -> None:
        self.weights_ = np.zeros(len(self.arms))
        self.sums_ = np.zeros(len(self.arms))

    def _learn(self, index: int, reward: float) -> None:
        self.weights_ *= self.gamma
        self.sums_ *= self.gamma
        self.weights_[index] += 1.0
        self.sums_[index] += reward

    def _choose(self) -> int:
        return _ucb_index(self.sums_, self.weights_, float(self.weights_.sum()), self.c)


class SlidingWindowUCB(IndexedPolicy):
    """UCB on the last ``window`` pulls only.

    Parameters
    ----------
    arms, seed : see :class:`~bandit.base.IndexedPolicy`.
    window : number of most recent pulls remembered.
    c : exploration scale (as in :class:`~bandit.ucb.UCB1`).
    """

    name = "sliding_window_ucb"
    learned_attrs = ("recent_arms_", "recent_rewards_")

    def __init__(self, arms: Sequence[Any], *, seed: int | None = None, window: int = 500, c: float = 1.0):
        super().__init__(arms, seed=seed)
        self.window = int(check_param(self.name, "window", window, low=1.0))
        self.c = check_param(self.name, "c", c, low=0.0)

    def _start_stats(self) -> None:
        self.recent_arms_: deque[int] = deque(maxlen=self.window)
        self.recent_rewards_: deque[float] = deque(maxlen=self.window)

    def _learn(self, index: int, reward: float) -> None:
        self.recent_arms_.append(index)
        self.recent_rewards_.append(reward)

    def _choose(self) -> int:
        arms = np.fromiter(self.recent_arms_, dtype=np.int64, count=len(self.recent_arms_))
        rewards = np.fromiter(self.recent_rewards_, dtype=float, count=len(self.recent_rewards_))
        counts = np.bincount(arms, minlength=len(self.arms)).astype(float)
        sums = np.bincount(arms, weights=rewards, minlength=len(self.arms))
        return _ucb_index(sums, counts, float(len(arms)), self.c)
