"""alphaminer: bandit -- multi-armed bandit policies over simulation settings.

>>> from bandit import Policy, SettingsSpace, make_policy, reward
>>> policy = make_policy("thompson", SettingsSpace({"delay": [0, 1], "decay": [0, 4]}), seed=7)
>>> arm = policy.select()
>>> policy.update(arm, reward({"fitness": 1.3}))
>>> restored = Policy.from_state(policy.state())   # continues exactly
"""

from bandit.base import IndexedPolicy, Policy, decode_rng, encode_rng
from bandit.drifting import DiscountedUCB, SlidingWindowUCB
from bandit.epsilon_greedy import EpsilonGreedy
from bandit.errors import (
    BanditError,
    PolicyParameterError,
    PolicyStateError,
    RewardError,
    SettingsSpaceError,
    UnknownArmError,
    UnknownPolicyError,
)
from bandit.factored import FactoredPolicy
from bandit.policies import make_policy, policy_from_state, policy_names
from bandit.reward import DEFAULT_REWARD, NAMED_METRICS, Reward, resolve_metric, reward
from bandit.space import Arm, SettingsSpace, arms_from_space, canonical_key
from bandit.thompson import GaussianThompson
from bandit.ucb import UCB1

__all__ = [
    "Arm", "BanditError", "DEFAULT_REWARD", "DiscountedUCB", "EpsilonGreedy", "FactoredPolicy",
    "GaussianThompson", "IndexedPolicy", "NAMED_METRICS", "Policy", "PolicyParameterError",
    "PolicyStateError", "Reward", "RewardError", "SettingsSpace", "SettingsSpaceError", "SlidingWindowUCB",
    "UCB1", "UnknownArmError", "UnknownPolicyError", "arms_from_space", "canonical_key", "decode_rng",
    "encode_rng", "make_policy", "policy_from_state", "policy_names", "resolve_metric", "reward",
]
