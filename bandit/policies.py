"""Building policies by name, and restoring any saved policy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# Importing the policy modules registers their classes in Policy.registry.
from bandit import drifting, epsilon_greedy, thompson, ucb  # noqa: F401
from bandit.base import IndexedPolicy, Policy
from bandit.errors import PolicyParameterError, UnknownPolicyError
from bandit.factored import FactoredPolicy
from bandit.space import SettingsSpace, arms_from_space


def policy_names() -> list[str]:
    """Names accepted by :func:`make_policy`."""
    return sorted(name for name, klass in Policy.registry.items() if issubclass(klass, IndexedPolicy))


def make_policy(name: str, arms: SettingsSpace | Mapping[str, Sequence[Any]] | Sequence[Any], *,
                seed: int | None = None, factored: bool = False, **params: Any) -> Policy:
    """A fresh policy.

    Parameters
    ----------
    name : one of :func:`policy_names`: ``epsilon_greedy``, ``ucb1``, ``thompson``,
        ``discounted_ucb``, ``sliding_window_ucb``.
    arms : a list of arms, or a :class:`SettingsSpace` (or plain ``{dimension: [values]}``)
        whose cartesian product gives the arms.
    seed : seed of the policy's random generator.
    factored : one ``name`` policy per dimension instead of one over the product (needs a space).
    params : the policy's parameters (e.g. ``c=0.5`` for ``ucb1``).

    Examples
    --------
    >>> policy = make_policy("ucb1", {"delay": [0, 1], "universe": ["TOP500"]}, seed=1)
    >>> policy.select().key
    '{"delay":0,"universe":"TOP500"}'
    """
    klass = Policy.registry.get(name)
    if klass is None or not issubclass(klass, IndexedPolicy):
        raise UnknownPolicyError(f"unknown bandit policy {name!r} (known: {', '.join(policy_names())})")
    is_space = isinstance(arms, (SettingsSpace, Mapping))
    if factored:
        if not is_space:
            raise PolicyParameterError("factored bandit: give a settings space, not a list of arms")
        return FactoredPolicy(arms, inner=name, seed=seed, **params)
    unknown = sorted(set(params) - set(klass.param_names()))
    if unknown:
        raise PolicyParameterError(
            f"policy {name!r} has no parameter {unknown[0]!r} (known: {', '.join(klass.param_names()) or 'none'})"
        )
    return klass(arms_from_space(arms) if is_space else arms, seed=seed, **params)


def policy_from_state(state: Mapping[str, Any]) -> Policy:
    """Rebuild any policy saved with ``policy.state()``; it continues exactly where it stopped."""
    return Policy.from_state(state)
