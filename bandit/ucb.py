"""UCB1: optimism in the face of uncertainty, for stationary rewards."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from bandit.base import IndexedPolicy, check_param


class UCB1(IndexedPolicy):
    """Pull the arm with the largest ``mean + c * sqrt(2 ln t / n)`` (Auer et al., 2002).

    Parameters
    ----------
    arms, seed : see :class:`~bandit.base.IndexedPolicy` (UCB1 itself draws no random numbers).
    c : exploration scale. 1 is the textbook value for rewards in [0, 1]; use roughly the
        rewards' standard deviation (the default clipped-fitness reward has sd ~ 1).
    """

    name = "ucb1"
    learned_attrs = ("means_",)

    def __init__(self, arms: Sequence[Any], *, seed: int | None = None, c: float = 1.0):
        super().__init__(arms, seed=seed)
        self.c = check_param(self.name, "c", c, low=0.0)

    def _start_stats(self) -> None:
        self.means_ = np.zeros(len(self.arms))

    def _learn(self, index: int, reward: float) -> None:
        self.means_[index] += (reward - self.means_[index]) / self.pulls_[index]

    def _choose(self) -> int:
        bonus = self.c * np.sqrt(2.0 * np.log(self.t_) / self.pulls_)
        return int(np.argmax(self.means_ + bonus))
