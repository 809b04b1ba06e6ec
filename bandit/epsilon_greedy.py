"""Epsilon-greedy with exploration that decays from ``epsilon`` towards ``epsilon_min``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from bandit.base import IndexedPolicy, check_param


class EpsilonGreedy(IndexedPolicy):
    """Pull the best mean, except with probability epsilon(t) a uniformly random arm.

    ``epsilon(t) = epsilon_min + (epsilon - epsilon_min) * 0.5 ** (t / half_life)``, where t is
    the number of updates so far: 0.2 at the start, 0.15 after ``half_life`` pulls, -> 0.1.

    Parameters
    ----------
    arms, seed : see :class:`~bandit.base.IndexedPolicy`.
    epsilon : exploration probability at the start.
    epsilon_min : exploration probability it decays to (kept forever: settings rewards drift).
    half_life : pulls after which epsilon has covered half the way to ``epsilon_min``.
    """

    name = "epsilon_greedy"
    learned_attrs = ("means_",)

    def __init__(self, arms: Sequence[Any], *, seed: int | None = None, epsilon: float = 0.2,
                 epsilon_min: float = 0.1, half_life: float = 200.0):
        super().__init__(arms, seed=seed)
        self.epsilon = check_param(self.name, "epsilon", epsilon, low=0.0, high=1.0)
        self.epsilon_min = check_param(self.name, "epsilon_min", epsilon_min, low=0.0, high=self.epsilon)
        self.half_life = check_param(self.name, "half_life", half_life, low=0.0, low_open=True)

    def current_epsilon(self) -> float:
        """Exploration probability for the next pull."""
        self._ensure_started()
        return self.epsilon_min + (self.epsilon - self.epsilon_min) * 0.5 ** (self.t_ / self.half_life)

    def _start_stats(self) -> None:
        self.means_ = np.zeros(len(self.arms))

    def _learn(self, index: int, reward: float) -> None:
        self.means_[index] += (reward - self.means_[index]) / self.pulls_[index]

    def _choose(self) -> int:
        if self.rng_.random() < self.current_epsilon():
            return int(self.rng_.integers(len(self.arms)))
        return int(np.argmax(self.means_))
