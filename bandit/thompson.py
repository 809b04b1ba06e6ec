"""Thompson sampling for Gaussian rewards of unknown mean and variance (Normal-Gamma posterior)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from bandit.base import IndexedPolicy, check_param


class GaussianThompson(IndexedPolicy):
    """Sample each arm's mean from its Normal-Gamma posterior; pull the largest sample.

    Per arm, with n rewards of mean x and sum of squared deviations S, the posterior over
    (mu, precision tau) is NormalGamma(m, k, a, b) with::

        k = k0 + n
        m = (k0 * m0 + n * x) / k
        a = a0 + n / 2
        b = b0 + S / 2 + k0 * n * (x - m0) ** 2 / (2 * k)

    A draw is ``tau ~ Gamma(a, rate=b)`` then ``mu ~ Normal(m, 1 / (k * tau))``.

    Parameters
    ----------
    arms, seed : see :class:`~bandit.base.IndexedPolicy`.
    prior_mean, prior_count : prior mean m0 and its weight k0 in pseudo-observations.
    prior_shape, prior_rate : Gamma prior a0, b0 on the precision (prior variance guess b0/a0).
    """

    name = "thompson"
    learned_attrs = ("means_", "sq_dev_")

    def __init__(self, arms: Sequence[Any], *, seed: int | None = None, prior_mean: float = 0.0,
                 prior_count: float = 1.0, prior_shape: float = 1.0, prior_rate: float = 1.0):
        super().__init__(arms, seed=seed)
        self.prior_mean = check_param(self.name, "prior_mean", prior_mean, low=-np.inf, high=np.inf)
        self.prior_count = check_param(self.name, "prior_count", prior_count, low=0.0, low_open=True)
        self.prior_shape = check_param(self.name, "prior_shape", prior_shape, low=0.0, low_open=True)
        self.prior_rate = check_param(self.name, "prior_rate", prior_rate, low=0.0, low_open=True)

    def posterior(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per-arm posterior parameters (m, k, a, b), as new arrays."""
        self._ensure_started()
        return self._posterior(np.arange(len(self.arms)))

    def _posterior(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        n = self.pulls_[index].astype(float)
        mean = self.means_[index]
        k = self.prior_count + n
        m = (self.prior_count * self.prior_mean + n * mean) / k
        a = self.prior_shape + n / 2.0
        shift = self.prior_count * n * (mean - self.prior_mean) ** 2 / (2.0 * k)
        b = self.prior_rate + self.sq_dev_[index] / 2.0 + shift
        return m, k, a, b

    def _start_stats(self) -> None:
        self.means_ = np.zeros(len(self.arms))
        self.sq_dev_ = np.zeros(len(self.arms))
        self._cached: tuple[np.ndarray, ...] | None = None  # posterior arrays, derived from the above

    def _learn(self, index: int, reward: float) -> None:
        # Welford's update keeps the sum of squared deviations accurate for long runs.
        delta = reward - self.means_[index]
        self.means_[index] += delta / self.pulls_[index]
        self.sq_dev_[index] += delta * (reward - self.means_[index])
        if self._cached is not None:  # only this arm's posterior changed; same vector arithmetic
            for array, value in zip(self._cached, self._posterior(np.array([index]))):
                array[index] = value[0]

    def _choose(self) -> int:
        if self._cached is None:
            self._cached = self.posterior()
        m, k, a, b = self._cached
        precision = self.rng_.standard_gamma(a) / b
        draws = m + self.rng_.standard_normal(len(m)) / np.sqrt(k * precision)
        return int(np.argmax(draws))
