"""Synthetic bandit problems and pseudo-regret, for the tests and ``bench/bandit_regret.py``.

Pseudo-regret of a run = sum over pulls of (best arm's mean - pulled arm's mean) at that pull:
it measures the policy's choices, not the luck of the noise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from bandit.base import Policy
from bandit.space import SettingsSpace


@dataclasses.dataclass(frozen=True)
class GaussianProblem:
    """Arms with Gaussian rewards whose means may change at given pulls (piecewise stationary).

    Attributes
    ----------
    arms : the arms, as given to the policy.
    means : [phases, arms] mean reward of each arm in each phase.
    starts : first pull (0-based) of each phase; ``starts[0] == 0``.
    noise_sd : standard deviation of the reward noise.
    """

    arms: tuple[Any, ...]
    means: np.ndarray
    starts: tuple[int, ...] = (0,)
    noise_sd: float = 1.0

    def means_by_pull(self, horizon: int) -> np.ndarray:
        """[horizon, arms] mean reward of each arm at each pull."""
        phase = np.searchsorted(np.asarray(self.starts), np.arange(horizon), side="right") - 1
        return self.means[phase]


def gaussian_problem(n_arms: int = 10, *, seed: int = 0, noise_sd: float = 1.0,
                     change_at: int | None = None) -> GaussianProblem:
    """Arms 0..n-1 with means ~ N(0, 1); with ``change_at``, the best and worst arm swap means there."""
    means = np.random.default_rng(seed).normal(0.0, 1.0, n_arms)
    if change_at is None:
        return GaussianProblem(tuple(range(n_arms)), means[None, :], (0,), noise_sd)
    swapped = means.copy()
    best, worst = int(np.argmax(means)), int(np.argmin(means))
    swapped[[best, worst]] = means[[worst, best]]
    return GaussianProblem(tuple(range(n_arms)), np.stack([means, swapped]), (0, change_at), noise_sd)


def settings_problem(space: SettingsSpace, *, seed: int = 0, effect_sd: float = 0.5,
                     interaction_sd: float = 0.2, noise_sd: float = 1.0) -> GaussianProblem:
    """Arms of ``space``; mean = sum of per-dimension effects ~ N(0, effect_sd) + interaction noise."""
    rng = np.random.default_rng(seed)
    effects = {name: dict(zip(values, rng.normal(0.0, effect_sd, len(values))))
               for name, values in space.dimensions.items()}
    arms = space.arms()
    additive = np.array([sum(effects[name][arm[name]] for name in space.names) for arm in arms])
    means = additive + rng.normal(0.0, interaction_sd, len(arms))
    return GaussianProblem(tuple(arms), means[None, :], (0,), noise_sd)


def run_policy(policy: Policy, problem: GaussianProblem, horizon: int, *, seed: int = 0) -> np.ndarray:
    """Pull ``horizon`` times; returns the cumulative pseudo-regret after each pull."""
    means = problem.means_by_pull(horizon)
    noise = np.random.default_rng(seed).normal(0.0, problem.noise_sd, horizon)
    position = {arm: i for i, arm in enumerate(problem.arms)}
    gaps = np.empty(horizon)
    best = means.max(axis=1)
    for t in range(horizon):
        arm = policy.select()
        mean = means[t, position[arm]]
        policy.update(arm, mean + noise[t])
        gaps[t] = best[t] - mean
    return np.cumsum(gaps)


def uniform_regret(problem: GaussianProblem, horizon: int) -> float:
    """Expected pseudo-regret of picking an arm uniformly at random each pull."""
    means = problem.means_by_pull(horizon)
    return float((means.max(axis=1) - means.mean(axis=1)).sum())


def mean_regret(make: Any, problems: Sequence[GaussianProblem], horizon: int) -> float:
    """Average total pseudo-regret over problems; ``make(i, problem)`` builds the i-th fresh policy."""
    totals = [run_policy(make(i, problem), problem, horizon, seed=10_000 + i)[-1] for i, problem in enumerate(problems)]
    return float(np.mean(totals))
