"""Factored mode: one policy per settings dimension, for spaces too large to try every combination.

``select`` asks each dimension's policy for its value and combines them into one
:class:`~bandit.space.Arm`; ``update`` gives the same reward to every dimension's policy. This
assumes the reward is roughly additive across dimensions (interactions are not learned).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from bandit.base import STATE_VERSION, IndexedPolicy, Policy
from bandit.errors import PolicyParameterError, PolicyStateError, UnknownArmError, UnknownPolicyError
from bandit.space import Arm, SettingsSpace


class FactoredPolicy(Policy):
    """One ``inner`` policy per dimension of ``space``.

    Parameters
    ----------
    space : the settings space.
    inner : name of the per-dimension policy (any registered :class:`IndexedPolicy`).
    seed : seeds the dimensions' generators through ``numpy.random.SeedSequence(seed).spawn``.
    params : passed to every dimension's policy.
    """

    name = "factored"

    def __init__(self, space: SettingsSpace | Mapping[str, Any], *, inner: str = "ucb1",
                 seed: int | None = None, **params: Any):
        self.space = space if isinstance(space, SettingsSpace) else SettingsSpace(space)
        klass = Policy.registry.get(inner)
        if klass is None or not issubclass(klass, IndexedPolicy):
            known = sorted(n for n, k in Policy.registry.items() if issubclass(k, IndexedPolicy))
            raise UnknownPolicyError(f"factored bandit: unknown inner policy {inner!r} (known: {', '.join(known)})")
        self.inner = inner
        self.seed = seed
        self.params = dict(params)
        unknown = sorted(set(self.params) - set(klass.param_names()))
        if unknown:
            raise PolicyParameterError(
                f"policy {inner!r} has no parameter {unknown[0]!r} (known: {', '.join(klass.param_names())})"
            )

    def get_params(self) -> dict[str, Any]:
        return {"inner": self.inner, **self.params}

    def select(self) -> Arm:
        self._ensure_started()
        return Arm({name: policy.select() for name, policy in self.policies_.items()})

    def update(self, arm: Mapping[str, Any], reward: float) -> None:
        self._ensure_started()
        if not isinstance(arm, Mapping) or set(arm) != set(self.policies_):
            raise UnknownArmError(f"factored bandit: arm {arm!r} does not name exactly {sorted(self.policies_)}")
        for name in self.policies_:  # check every value before changing any policy
            self.policies_[name].index_of(arm[name])
        for name, policy in self.policies_.items():
            policy.update(arm[name], reward)

    def state(self) -> dict[str, Any]:
        self._ensure_started()
        return {
            "policy": self.name,
            "version": STATE_VERSION,
            "space": self.space.to_dict(),
            "seed": self.seed,
            "params": self.get_params(),
            "dimensions": {name: policy.state() for name, policy in self.policies_.items()},
        }

    @classmethod
    def _restore(cls, state: Mapping[str, Any]) -> FactoredPolicy:
        try:
            params = dict(state["params"])
            policy = cls(state["space"], seed=state["seed"], **params)
            dimensions = state["dimensions"]
            if set(dimensions) != set(policy.space.names):
                raise PolicyStateError(
                    f"bandit state (factored): dimensions {sorted(dimensions)} do not match the space")
            policy.policies_ = {name: Policy.from_state(dimensions[name]) for name in policy.space.names}
        except KeyError as missing:
            raise PolicyStateError(f"bandit state (factored): missing entry {missing}") from None
        return policy

    def _ensure_started(self) -> None:
        if hasattr(self, "policies_"):
            return
        klass = Policy.registry[self.inner]
        seeds = np.random.SeedSequence(self.seed).spawn(len(self.space.names))
        self.policies_ = {
            name: klass(list(values), seed=int(seq.generate_state(1)[0]), **self.params)
            for (name, values), seq in zip(self.space.dimensions.items(), seeds)
        }
