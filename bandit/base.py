"""The policy contract and the machinery every policy shares.

scikit-learn's rule applies: ``__init__`` only stores configuration; everything learned (and the
random generator) lives in attributes ending in ``_`` that are created on first use. A policy's
``state()`` is a plain JSON-serialisable dict (configuration, learned arrays, and the numpy
generator's exact bit-generator state); :meth:`Policy.from_state` rebuilds a policy that makes
exactly the choices the original would have made next.

Subclasses of :class:`IndexedPolicy` declare ``name`` (registered automatically), the names of
their learned attributes in ``learned_attrs``, and implement ``_start_stats``, ``_learn`` and
``_choose``. Arms never pulled are tried first, in order, before ``_choose`` is consulted.
"""

from __future__ import annotations

import inspect
import math
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from bandit.errors import PolicyParameterError, PolicyStateError, UnknownArmError, UnknownPolicyError
from bandit.space import Arm, SettingsSpaceError, _check_value

STATE_VERSION = 1


class Policy:
    """A bandit policy: ``select() -> arm``, ``update(arm, reward)``, ``state()``, ``from_state``."""

    name: ClassVar[str] = ""
    registry: ClassVar[dict[str, type[Policy]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.name:
            return
        if cls.name in Policy.registry:
            raise TypeError(f"policy name {cls.name!r} is declared twice")
        Policy.registry[cls.name] = cls

    def select(self) -> Any:
        """The arm to pull next."""
        raise NotImplementedError

    def update(self, arm: Any, reward: float) -> None:
        """Learn that pulling ``arm`` gave ``reward``."""
        raise NotImplementedError

    def state(self) -> dict[str, Any]:
        """Plain JSON-serialisable dict from which :meth:`from_state` continues exactly."""
        raise NotImplementedError

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Policy:
        """Rebuild the policy saved by :meth:`state` (any registered policy when called on Policy)."""
        if not isinstance(state, Mapping) or "policy" not in state:
            raise PolicyStateError("bandit state: expected a dict with a 'policy' entry")
        klass = Policy.registry.get(state["policy"])
        if klass is None:
            raise UnknownPolicyError(
                f"bandit state: unknown policy {state['policy']!r} (known: {', '.join(sorted(Policy.registry))})"
            )
        if not issubclass(klass, cls):
            raise PolicyStateError(f"bandit state: policy {state['policy']!r} is not a {cls.__name__}")
        if state.get("version") != STATE_VERSION:
            raise PolicyStateError(
                f"bandit state: version {state.get('version')!r} is not supported (expected {STATE_VERSION})"
            )
        return klass._restore(state)

    @classmethod
    def _restore(cls, state: Mapping[str, Any]) -> Policy:
        raise NotImplementedError

    @classmethod
    def param_names(cls) -> tuple[str, ...]:
        """Names of the keyword-only configuration parameters (besides ``seed``)."""
        signature = inspect.signature(cls.__init__)
        return tuple(
            p.name for p in signature.parameters.values() if p.kind is p.KEYWORD_ONLY and p.name != "seed"
        )

    def get_params(self) -> dict[str, Any]:
        """Configuration parameters as given to ``__init__`` (scikit-learn style)."""
        return {name: getattr(self, name) for name in self.param_names()}


class IndexedPolicy(Policy):
    """A policy over an explicit list of arms, keeping per-arm statistics in numpy arrays.

    Parameters
    ----------
    arms : the arms: :class:`~bandit.space.Arm` objects, settings mappings (made into Arms), or
        JSON scalars (e.g. the values of one dimension in factored mode). Must be distinct.
    seed : seed of the policy's own ``numpy.random.Generator`` (None: fresh entropy; the
        generator's state is still saved exactly).
    """

    learned_attrs: ClassVar[tuple[str, ...]] = ()

    def __init__(self, arms: Sequence[Any], *, seed: int | None = None):
        self.arms = _normalise_arms(arms)
        self.seed = seed

    # -- the public contract -------------------------------------------------------------
    def select(self) -> Any:
        self._ensure_started()
        untried = np.flatnonzero(self.pulls_ == 0)
        index = int(untried[0]) if untried.size else int(self._choose())
        return self.arms[index]

    def update(self, arm: Any, reward: float) -> None:
        self._ensure_started()
        index = self.index_of(arm)
        value = _finite_reward(reward, arm)
        self.t_ += 1
        self.pulls_[index] += 1
        self._learn(index, value)

    def state(self) -> dict[str, Any]:
        self._ensure_started()
        learned = {name: _to_plain(getattr(self, name)) for name in ("t_", "pulls_", *self.learned_attrs)}
        return {
            "policy": self.name,
            "version": STATE_VERSION,
            "arms": [_encode_arm(arm) for arm in self.arms],
            "seed": self.seed,
            "params": self.get_params(),
            "learned": learned,
            "rng": encode_rng(self.rng_),
        }

    @classmethod
    def _restore(cls, state: Mapping[str, Any]) -> IndexedPolicy:
        try:
            arms = [_decode_arm(arm) for arm in state["arms"]]
            policy = cls(arms, seed=state["seed"], **dict(state["params"]))
            policy._start()
            for name, value in state["learned"].items():
                policy._set_learned(name, value)
            policy.rng_ = decode_rng(state["rng"])
        except KeyError as missing:
            raise PolicyStateError(f"bandit state ({cls.name}): missing entry {missing}") from None
        except (TypeError, ValueError) as error:
            if isinstance(error, PolicyStateError):
                raise
            raise PolicyStateError(f"bandit state ({cls.name}): {error}") from None
        return policy

    # -- helpers for subclasses ----------------------------------------------------------
    def index_of(self, arm: Any) -> int:
        """Position of ``arm`` in ``self.arms``; raises UnknownArmError."""
        positions = self.__dict__.get("_positions")
        if positions is None:
            positions = self._positions = {a: i for i, a in enumerate(self.arms)}
        key = Arm(arm) if isinstance(arm, Mapping) and not isinstance(arm, Arm) else arm
        try:
            return positions[key]
        except (KeyError, TypeError):
            raise UnknownArmError(f"{self.name}: unknown arm {arm!r}") from None

    def _ensure_started(self) -> None:
        if not hasattr(self, "t_"):
            self._start()

    def _start(self) -> None:
        self.rng_ = np.random.default_rng(self.seed)
        self.t_ = 0
        self.pulls_ = np.zeros(len(self.arms), dtype=np.int64)
        self._start_stats()

    def _set_learned(self, name: str, value: Any) -> None:
        if name not in ("t_", "pulls_", *self.learned_attrs):
            raise PolicyStateError(f"bandit state ({self.name}): unknown learned entry {name!r}")
        current = getattr(self, name)
        if isinstance(current, np.ndarray):
            restored = np.asarray(value, dtype=current.dtype)
            if restored.shape != current.shape:
                raise PolicyStateError(
                    f"bandit state ({self.name}): {name} has shape {restored.shape}, expected {current.shape}"
                )
        elif isinstance(current, deque):
            restored = deque(value, maxlen=current.maxlen)
        else:
            restored = type(current)(value)
        setattr(self, name, restored)

    def _start_stats(self) -> None:
        """Create the learned statistics (attributes ending in ``_``)."""

    def _learn(self, index: int, reward: float) -> None:
        raise NotImplementedError

    def _choose(self) -> int:
        raise NotImplementedError


def check_param(policy: str, name: str, value: float, *, low: float, high: float = math.inf,
                low_open: bool = False) -> float:
    """``value`` as a float if ``low <= value <= high`` (``low < value`` when ``low_open``)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PolicyParameterError(f"policy {policy!r}: {name} must be a number, got {value!r}") from None
    too_low = number <= low if low_open else number < low
    if math.isnan(number) or too_low or number > high:
        bound = f"({low}, {high}]" if low_open else f"[{low}, {high}]"
        raise PolicyParameterError(f"policy {policy!r}: {name}={value!r} is outside {bound}")
    return number


def encode_rng(rng: np.random.Generator) -> dict[str, Any]:
    """The generator's exact bit-generator state, with 128-bit integers as decimal strings."""
    return _ints_to_text(rng.bit_generator.state)


def decode_rng(state: Mapping[str, Any]) -> np.random.Generator:
    """A generator continuing exactly where the one given to :func:`encode_rng` stopped."""
    plain = _text_to_ints(dict(state))
    kind = plain.get("bit_generator")
    bit_generator_class = getattr(np.random, str(kind), None)
    if bit_generator_class is None or not isinstance(bit_generator_class, type):
        raise PolicyStateError(f"bandit state: unknown bit generator {kind!r}")
    bit_generator = bit_generator_class()
    bit_generator.state = plain
    return np.random.Generator(bit_generator)


def _ints_to_text(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _ints_to_text(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**53:
        return {"int": str(value)}
    return value


def _text_to_ints(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"int"}:
            return int(value["int"])
        return {key: _text_to_ints(item) for key, item in value.items()}
    return value


def _to_plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, deque):
        return list(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _normalise_arms(arms: Sequence[Any]) -> tuple[Any, ...]:
    if isinstance(arms, (str, bytes, Mapping)) or not isinstance(arms, Sequence):
        raise PolicyParameterError(f"arms must be a list, got {type(arms).__name__}")
    if not arms:
        raise PolicyParameterError("a bandit needs at least one arm")
    normalised = []
    for arm in arms:
        if isinstance(arm, Mapping):
            normalised.append(arm if isinstance(arm, Arm) else Arm(arm))
            continue
        try:
            _check_value("arm", arm)
        except SettingsSpaceError:
            raise PolicyParameterError(
                f"arm {arm!r} must be a settings mapping or a JSON scalar (str, int, float, bool, null)"
            ) from None
        normalised.append(arm)
    if len(set(normalised)) != len(normalised):
        raise PolicyParameterError("arms must be distinct")
    return tuple(normalised)


def _encode_arm(arm: Any) -> Any:
    return {"settings": arm.to_dict()} if isinstance(arm, Arm) else arm


def _decode_arm(arm: Any) -> Any:
    return Arm(arm["settings"]) if isinstance(arm, Mapping) else arm


def _finite_reward(reward: Any, arm: Any) -> float:
    try:
        value = float(reward)
    except (TypeError, ValueError):
        raise PolicyParameterError(f"reward for arm {arm!r} must be a number, got {reward!r}") from None
    if not math.isfinite(value):
        raise PolicyParameterError(f"reward for arm {arm!r} must be finite, got {reward!r}")
    return value
