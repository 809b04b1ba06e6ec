"""Simulation settings: one frozen, validated value that identifies how an alpha is simulated.

``SimulationSettings.key()`` is the canonical JSON (sorted keys) used everywhere a settings
combination is stored or compared (database rows, bandit arms, caches).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from typing import Any

from pipelines.errors import SettingsError
from pipelines.universe import universe_size

NEUTRALIZATIONS = ("NONE", "MARKET", "SECTOR", "INDUSTRY", "SUBINDUSTRY")
DELAYS = (0, 1)
DEFAULT_BOOK = 20e6


@dataclasses.dataclass(frozen=True)
class SimulationSettings:
    """How an alpha matrix becomes positions and PnL (BRAIN's simulation settings).

    Parameters
    ----------
    region : dataset / region label (informational; part of the key).
    universe : ``ALL`` or ``TOPn`` (the n most liquid by 20-day dollar volume, each day).
    delay : 1 (positions of day t come from alpha[t-1]) or 0 (from alpha[t]).
    decay : linear decay over that many alpha vectors; 0 (or 1) = off.
    neutralization : NONE, MARKET, SECTOR, INDUSTRY or SUBINDUSTRY.
    truncation : cap of one instrument's |weight| as a fraction of the book, 0 = off.
    pasteurization : cross-sectional operators see only universe members (evaluator setting).
    nan_handling : operators fill NaN with neutral defaults (evaluator setting).
    book : book size in dollars.
    cost_bps : transaction cost per dollar traded, in basis points (net_* figures).
    os_fraction : share of the dates, at the end, held out as the out-of-sample period.
    """

    region: str = "USA"
    universe: str = "TOP500"
    delay: int = 1
    decay: int = 0
    neutralization: str = "MARKET"
    truncation: float = 0.08
    pasteurization: bool = True
    nan_handling: bool = False
    book: float = DEFAULT_BOOK
    cost_bps: float = 0.0
    os_fraction: float = 0.2

    def __post_init__(self) -> None:
        _set = object.__setattr__
        _set(self, "region", _text("region", self.region))
        _set(self, "universe", _text("universe", self.universe).upper())
        universe_size(self.universe)
        _set(self, "neutralization", _text("neutralization", self.neutralization).upper())
        if self.neutralization not in NEUTRALIZATIONS:
            raise SettingsError(
                f"neutralization {self.neutralization!r} is not one of {', '.join(NEUTRALIZATIONS)}"
            )
        _set(self, "delay", _integer("delay", self.delay))
        if self.delay not in DELAYS:
            raise SettingsError(f"delay {self.delay} is not allowed: use 0 or 1")
        _set(self, "decay", _integer("decay", self.decay))
        if self.decay < 0:
            raise SettingsError(f"decay {self.decay} is not allowed: use an integer >= 0 (0 = off)")
        _set(self, "truncation", _number("truncation", self.truncation, 0.0, 1.0, "0 <= truncation <= 1 (0 = off)"))
        _set(self, "pasteurization", _flag("pasteurization", self.pasteurization))
        _set(self, "nan_handling", _flag("nan_handling", self.nan_handling))
        _set(self, "book", _number("book", self.book, 0.0, math.inf, "a book size > 0 dollars"))
        if self.book <= 0:
            raise SettingsError(f"book {self.book} is not allowed: use a book size > 0 dollars")
        _set(self, "cost_bps", _number("cost_bps", self.cost_bps, 0.0, math.inf, "cost_bps >= 0"))
        _set(self, "os_fraction", _number("os_fraction", self.os_fraction, 0.0, 1.0, "0 <= os_fraction < 1"))
        if self.os_fraction >= 1.0:
            raise SettingsError(f"os_fraction {self.os_fraction} is not allowed: use 0 <= os_fraction < 1")

    def key(self) -> str:
        """Canonical JSON (sorted keys, no spaces) identifying these settings."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict of every setting."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> "SimulationSettings":
        """Settings from a dict (missing keys take defaults); unknown keys are a SettingsError."""
        allowed = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - allowed)
        if unknown:
            raise SettingsError(f"unknown setting(s) {', '.join(unknown)}; settings: {', '.join(sorted(allowed))}")
        return cls(**dict(values))

    def replace(self, **changes: Any) -> "SimulationSettings":
        """A copy with ``changes`` applied (validated like a new value)."""
        return self.from_dict({**self.to_dict(), **changes})


def split_index(n_dates: int, os_fraction: float) -> int:
    """First out-of-sample date index: ``n_dates - round(n_dates * os_fraction)``."""
    return n_dates - int(round(n_dates * os_fraction))


def _text(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(f"{name} must be a non-empty string, got {value!r}")
    return value.strip()


def _integer(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise SettingsError(f"{name} must be an integer, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {value!r}") from None
    if not number.is_integer():
        raise SettingsError(f"{name} must be an integer, got {value!r}")
    return int(number)


def _number(name: str, value: object, low: float, high: float, allowed: str) -> float:
    if isinstance(value, bool):
        raise SettingsError(f"{name} must be a number ({allowed}), got {value!r}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SettingsError(f"{name} must be a number ({allowed}), got {value!r}") from None
    if not (low <= number <= high) or math.isnan(number):
        raise SettingsError(f"{name} {value!r} is not allowed: use {allowed}")
    return number


_FLAGS = {"on": True, "off": False, "true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


def _flag(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _FLAGS:
        return _FLAGS[value.strip().lower()]
    raise SettingsError(f"{name} must be on/off (true/false), got {value!r}")
