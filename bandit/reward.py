"""The bandit's reward: one number per simulation, defined here and nowhere else.

Definition::

    reward = clip(metric(metrics), low, high)   a simulation that ran and has a finite metric
    reward = error_penalty                      an error result, no metrics, or a NaN/inf metric

Defaults: ``metric="fitness"``, ``low=-2``, ``high=4``, ``error_penalty=-2``: BRAIN's fitness,
clipped so that one lucky simulation cannot dominate an arm's mean, and an error scored like
the worst clipped fitness.

``metric`` is either a name from :data:`NAMED_METRICS` or ``"package.module:function"``: that
function is imported with importlib (never eval) and called with the metrics object (or mapping);
it returns a number, which is clipped like a named metric.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from collections.abc import Callable, Mapping
from typing import Any

from bandit.errors import RewardError

MetricFunction = Callable[[Any], float]


def _metric(name: str, *, absolute: bool = False) -> MetricFunction:
    def read(metrics: Any) -> float:
        value = metrics.get(name) if isinstance(metrics, Mapping) else getattr(metrics, name, None)
        if value is None and not (isinstance(metrics, Mapping) and name in metrics) and not hasattr(metrics, name):
            raise RewardError(f"reward: the metrics have no {name!r} (got {type(metrics).__name__})")
        value = math.nan if value is None else float(value)
        return abs(value) if absolute else value

    read.__name__ = f"abs_{name}" if absolute else name
    return read


NAMED_METRICS: dict[str, MetricFunction] = {
    "fitness": _metric("fitness"),
    "sharpe": _metric("sharpe"),
    "returns": _metric("returns"),
    "net_fitness": _metric("net_fitness"),
    "net_sharpe": _metric("net_sharpe"),
    # A negated alpha has the opposite sign: these rate settings by how strong a signal gets.
    "abs_fitness": _metric("fitness", absolute=True),
    "abs_sharpe": _metric("sharpe", absolute=True),
}


def resolve_metric(spec: str) -> MetricFunction:
    """The metric function named by ``spec`` (a :data:`NAMED_METRICS` key or ``module:function``)."""
    if spec in NAMED_METRICS:
        return NAMED_METRICS[spec]
    if ":" not in spec:
        raise RewardError(
            f"reward: unknown metric {spec!r} (known: {', '.join(NAMED_METRICS)}, or 'package.module:function')"
        )
    module_name, _, attribute = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise RewardError(f"reward: cannot import module {module_name!r} for {spec!r}: {error}") from None
    function = getattr(module, attribute, None)
    if not callable(function):
        raise RewardError(f"reward: {module_name!r} has no function {attribute!r} (from {spec!r})")
    return function


@dataclasses.dataclass(frozen=True)
class Reward:
    """A configured reward function (see the module docstring for the definition).

    Parameters
    ----------
    metric : a :data:`NAMED_METRICS` name or ``"package.module:function"``.
    low, high : clipping bounds.
    error_penalty : reward of an error result (and of a missing or non-finite metric).

    Examples
    --------
    >>> Reward()({"fitness": 7.5})
    4.0
    >>> Reward()(None, error="division by zero")
    -2.0
    """

    metric: str = "fitness"
    low: float = -2.0
    high: float = 4.0
    error_penalty: float = -2.0
    _function: MetricFunction = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("low", "high", "error_penalty"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise RewardError(f"reward: {name} must be a finite number, got {value!r}")
        if self.low > self.high:
            raise RewardError(f"reward: low={self.low} is above high={self.high}")
        object.__setattr__(self, "_function", resolve_metric(self.metric))

    def __call__(self, metrics: Any = None, *, error: str | None = None) -> float:
        """Reward of one simulation given its metrics (or its error)."""
        if error or metrics is None:
            return float(self.error_penalty)
        value = self._value(metrics)
        if not math.isfinite(value):
            return float(self.error_penalty)
        return float(min(max(value, self.low), self.high))

    def of_result(self, result: Any) -> float:
        """Reward of a result object or mapping with ``error`` and ``metrics`` entries."""
        if isinstance(result, Mapping):
            return self(result.get("metrics"), error=result.get("error"))
        return self(getattr(result, "metrics", None), error=getattr(result, "error", None))

    def _value(self, metrics: Any) -> float:
        try:
            value = self._function(metrics)
        except RewardError:
            raise
        except Exception as error:  # a user's function: report which one failed, on one line
            raise RewardError(f"reward: metric {self.metric!r} failed: {type(error).__name__}: {error}") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
            raise RewardError(f"reward: metric {self.metric!r} returned {value!r}, expected a number")
        return float(value)


DEFAULT_REWARD = Reward()


def reward(metrics: Any = None, *, error: str | None = None) -> float:
    """The default reward: fitness clipped to [-2, 4]; -2 for an error. See the module docstring."""
    return DEFAULT_REWARD(metrics, error=error)
