"""Pipeline-parameter search space: dotted override paths with choice / int / float / bool.

A space is declared Basalt style, in ``alphaminer.toml`` or in code::

    [search_space]
    "settings.decay" = { int = [0, 10] }
    "post.transform" = { choice = ["none", "rank", "zscore", "winsorize"] }
    "settings.truncation" = { float = [0.02, 0.1] }
    "post.flip" = { bool = true }

The GA samples and mutates these per individual; ``pipelines.params`` applies them to a candidate.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping
from typing import Any

from miner.errors import ConfigError

DEFAULT_SPACE: dict[str, dict[str, Any]] = {
    "settings.decay": {"int": [0, 8]},
    "post.transform": {"choice": ["none", "rank", "winsorize"]},
}


@dataclasses.dataclass(frozen=True)
class Dimension:
    """One searchable parameter."""

    path: str
    kind: str  # choice | int | float | bool
    values: tuple[Any, ...]

    def sample(self, rng: random.Random) -> Any:
        if self.kind == "choice":
            return rng.choice(self.values)
        if self.kind == "int":
            return rng.randint(self.values[0], self.values[1])
        if self.kind == "float":
            return round(rng.uniform(self.values[0], self.values[1]), 4)
        return rng.random() < 0.5

    def mutate(self, value: Any, rng: random.Random) -> Any:
        """A nearby value: a neighbouring int, a jittered float, another choice, a flipped bool."""
        if self.kind == "int":
            low, high = self.values
            return min(high, max(low, int(value) + rng.choice((-2, -1, 1, 2))))
        if self.kind == "float":
            low, high = self.values
            step = (high - low) * 0.1
            return round(min(high, max(low, float(value) + rng.uniform(-step, step))), 4)
        if self.kind == "bool":
            return not value
        others = [v for v in self.values if v != value]
        return rng.choice(others) if others else value


class SearchSpace:
    """The GA's parameter dimensions, parsed and validated from a mapping."""

    def __init__(self, spec: Mapping[str, Mapping[str, Any]] | None = None, *, source: str = "search_space"):
        spec = DEFAULT_SPACE if spec is None else spec
        self.dimensions = tuple(_dimension(path, rule, source) for path, rule in sorted(spec.items()))

    def __bool__(self) -> bool:
        return bool(self.dimensions)

    def settings_names(self) -> set[str]:
        """Simulation settings this space searches (``settings.decay`` -> ``decay``)."""
        return {d.path.split(".", 1)[1] for d in self.dimensions if d.path.startswith("settings.")}

    def sample(self, rng: random.Random) -> dict[str, Any]:
        return {d.path: d.sample(rng) for d in self.dimensions}

    def mutate(self, params: Mapping[str, Any], rng: random.Random) -> dict[str, Any]:
        """Change one dimension of ``params`` (others kept)."""
        out = dict(params)
        if not self.dimensions:
            return out
        dim = rng.choice(self.dimensions)
        out[dim.path] = dim.mutate(out.get(dim.path, dim.sample(rng)), rng)
        return out


def _dimension(path: str, rule: Mapping[str, Any], source: str) -> Dimension:
    if not isinstance(rule, Mapping) or len(rule) != 1:
        raise ConfigError(f"{source}: {path!r} must be one of {{choice=[...]}}, {{int=[lo, hi]}}, {{float=[lo, hi]}}, {{bool=true}}")
    if "." not in path:
        raise ConfigError(f"{source}: {path!r} is not a dotted path such as 'settings.decay'")
    (kind, value), = rule.items()
    if kind == "choice":
        if not isinstance(value, (list, tuple)) or not value:
            raise ConfigError(f"{source}: {path!r} choice needs a non-empty list")
        return Dimension(path, kind, tuple(value))
    if kind in ("int", "float"):
        if not (isinstance(value, (list, tuple)) and len(value) == 2 and value[0] <= value[1]):
            raise ConfigError(f"{source}: {path!r} {kind} needs [low, high] with low <= high")
        cast = int if kind == "int" else float
        return Dimension(path, kind, (cast(value[0]), cast(value[1])))
    if kind == "bool":
        return Dimension(path, kind, (False, True))
    raise ConfigError(f"{source}: {path!r} has unknown kind {kind!r} (choice, int, float, bool)")
