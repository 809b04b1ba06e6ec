"""Settings spaces and their arms.

A :class:`SettingsSpace` maps each simulation setting (``universe``, ``neutralization``, ...) to
the values the bandit may choose from. Its arms are the cartesian product: each arm is an
:class:`Arm`, a frozen mapping whose canonical ``key`` (sorted compact JSON) names every
dimension, so that the same settings always have the same key in logs and in the database.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from bandit.errors import SettingsSpaceError

Scalar = str | int | float | bool | None


def canonical_key(settings: Mapping[str, Any]) -> str:
    """Sorted, compact JSON of a settings mapping: one string per combination."""
    return json.dumps(dict(settings), sort_keys=True, separators=(",", ":"), allow_nan=False)


class Arm(Mapping[str, Any]):
    """One combination of settings: an immutable, hashable mapping.

    Two arms are equal when their canonical keys are equal.

    Examples
    --------
    >>> arm = Arm({"delay": 1, "universe": "TOP500"})
    >>> arm.key
    '{"delay":1,"universe":"TOP500"}'
    >>> arm["universe"]
    'TOP500'
    """

    __slots__ = ("_settings", "_key", "_hash")

    def __init__(self, settings: Mapping[str, Any]):
        items = dict(settings)
        for name, value in items.items():
            _check_value(name, value)
        self._settings = items
        self._key = canonical_key(items)
        self._hash = hash(self._key)

    @property
    def key(self) -> str:
        """Canonical JSON text naming every dimension."""
        return self._key

    def to_dict(self) -> dict[str, Any]:
        """A plain (mutable) copy of the settings."""
        return dict(self._settings)

    def __getitem__(self, name: str) -> Any:
        return self._settings[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._settings)

    def __len__(self) -> int:
        return len(self._settings)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Arm):
            return self._key == other._key
        if isinstance(other, Mapping):
            return self._settings == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Arm({self._key})"


class SettingsSpace:
    """The settings the bandit chooses from: dimension name -> allowed values.

    Parameters
    ----------
    dimensions : mapping of setting name to a non-empty sequence of distinct JSON scalars
        (str, int, float, bool or None).

    Examples
    --------
    >>> space = SettingsSpace({"universe": ["TOP500", "TOP1000"], "delay": [0, 1]})
    >>> space.size
    4
    >>> space.arms()[0].key
    '{"delay":0,"universe":"TOP500"}'
    """

    def __init__(self, dimensions: Mapping[str, Sequence[Scalar]]):
        if not isinstance(dimensions, Mapping) or not dimensions:
            raise SettingsSpaceError("settings space: expected a non-empty mapping of setting -> list of values")
        self.dimensions: dict[str, tuple[Scalar, ...]] = {
            str(name): _check_values(str(name), values) for name, values in sorted(dimensions.items())
        }

    @property
    def names(self) -> tuple[str, ...]:
        """Dimension names, sorted."""
        return tuple(self.dimensions)

    @property
    def size(self) -> int:
        """Number of arms (product of the dimension sizes)."""
        return math.prod(len(values) for values in self.dimensions.values())

    def arms(self) -> list[Arm]:
        """Every combination, in a fixed order (dimensions sorted, values as given)."""
        names = self.names
        return [Arm(dict(zip(names, combo))) for combo in itertools.product(*self.dimensions.values())]

    def to_dict(self) -> dict[str, list[Scalar]]:
        """Plain JSON-serialisable form; ``SettingsSpace(space.to_dict())`` is equal to ``space``."""
        return {name: list(values) for name, values in self.dimensions.items()}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SettingsSpace) and self.dimensions == other.dimensions

    def __repr__(self) -> str:
        return f"SettingsSpace({self.to_dict()!r})"


def arms_from_space(space: SettingsSpace | Mapping[str, Sequence[Scalar]]) -> list[Arm]:
    """The arms (cartesian product) of a settings space or of a plain dimension mapping."""
    if not isinstance(space, SettingsSpace):
        space = SettingsSpace(space)
    return space.arms()


def _check_values(name: str, values: Sequence[Scalar]) -> tuple[Scalar, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise SettingsSpaceError(f"settings space: dimension {name!r} must be a list of values, got {values!r}")
    if not values:
        raise SettingsSpaceError(f"settings space: dimension {name!r} has no values")
    seen: set[str] = set()
    for value in values:
        _check_value(name, value)
        text = json.dumps(value)
        if text in seen:
            raise SettingsSpaceError(f"settings space: dimension {name!r} lists {value!r} twice")
        seen.add(text)
    return tuple(values)


def _check_value(name: str, value: Any) -> None:
    if value is not None and not isinstance(value, (str, int, float, bool)):
        raise SettingsSpaceError(
            f"settings space: dimension {name!r} has value {value!r} of type {type(value).__name__}; "
            "expected str, int, float, bool or null"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise SettingsSpaceError(f"settings space: dimension {name!r} has non-finite value {value!r}")
