"""The Panel: market data as [T, N] matrices (dates x symbols), time-major, C order.

A Panel is what every other part of the product reads: the evaluator takes its ``fields`` and
``groups``, the simulator its ``returns`` and universe masks. Build one with
``pipelines.load.load_panel`` (files), ``pipelines.synthetic.synthetic_panel`` (the embedded
market) or :meth:`Panel.from_arrays` (tests).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping

import numpy as np

from pipelines.errors import DataError

_ADV = re.compile(r"^adv(\d+)$")


class FieldStore(Mapping[str, np.ndarray]):
    """Field name -> float64 [T, N] array, with derived fields computed on first use.

    Stored fields may be memory-mapped (loaded lazily by the OS). Derived fields:
    ``returns`` (close-to-close), ``vwap`` ((high+low+close)/3 when absent), ``adv{d}``
    (d-day mean of close*volume, NaN until d values) for any d.
    """

    def __init__(self, stored: Mapping[str, np.ndarray]):
        self._stored = dict(stored)
        self._derived: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        if name in self._stored:
            return self._stored[name]
        if name not in self._derived:
            value = self._derive(name)
            if value is None:
                raise KeyError(name)
            value.setflags(write=False)
            self._derived[name] = value
        return self._derived[name]

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        return name in self._stored or name in self._derived or self._derivable(name)

    def __iter__(self) -> Iterator[str]:
        names = list(self._stored)
        names += [n for n in ("returns", "vwap", "adv20") if n not in self._stored and self._derivable(n)]
        names += [n for n in self._derived if n not in names]
        return iter(names)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def stored_names(self) -> list[str]:
        return list(self._stored)

    def _derivable(self, name: str) -> bool:
        have = self._stored.keys()
        if name == "returns":
            return "close" in have
        if name == "vwap":
            return {"high", "low", "close"} <= have
        if _ADV.match(name):
            return {"close", "volume"} <= have and int(name[3:]) > 0
        return False

    def _derive(self, name: str) -> np.ndarray | None:
        if not self._derivable(name):
            return None
        if name == "returns":
            close = self["close"]
            out = np.full_like(close, np.nan)
            with np.errstate(divide="ignore", invalid="ignore"):
                out[1:] = close[1:] / close[:-1] - 1.0
            return out
        if name == "vwap":
            return (self["high"] + self["low"] + self["close"]) / 3.0
        window = int(name[3:])
        return rolling_mean(self["close"] * self["volume"], window)


def rolling_mean(x: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last `window` rows; NaN until `window` rows exist or if any is NaN."""
    out = np.full_like(x, np.nan, dtype=np.float64)
    if window > x.shape[0]:
        return out
    csum = np.cumsum(np.nan_to_num(x), axis=0)
    nans = np.cumsum(np.isnan(x), axis=0)
    total = csum[window - 1 :].copy()
    total[1:] -= csum[:-window]
    count = nans[window - 1 :].copy()
    count[1:] -= nans[:-window]
    with np.errstate(invalid="ignore"):
        out[window - 1 :] = np.where(count == 0, total / window, np.nan)
    return out


@dataclasses.dataclass
class Panel:
    """Market data for T dates and N symbols.

    Attributes
    ----------
    dates : datetime64[D] array [T], increasing.
    symbols : object array of str [N].
    fields : FieldStore, name -> float64 [T, N] (C order, read-only).
    groups : name -> int32 [N] codes (``market`` is always present: all zeros).
    group_labels : name -> list of labels, index = code.
    source : where the data came from (path or "synthetic:...").
    cache_path : where the converted panel is cached, if it is.
    """

    dates: np.ndarray
    symbols: np.ndarray
    fields: FieldStore
    groups: dict[str, np.ndarray]
    group_labels: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    source: str = "arrays"
    cache_path: str | None = None
    _universes: dict[str, np.ndarray] = dataclasses.field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.fields, FieldStore):
            self.fields = FieldStore(self.fields)
        if "market" not in self.groups:
            self.groups["market"] = np.zeros(len(self.symbols), dtype=np.int32)
            self.group_labels.setdefault("market", ["market"])

    @classmethod
    def from_arrays(
        cls,
        fields: Mapping[str, np.ndarray],
        *,
        dates: np.ndarray | None = None,
        symbols: list[str] | np.ndarray | None = None,
        groups: Mapping[str, np.ndarray] | None = None,
        source: str = "arrays",
    ) -> "Panel":
        """A Panel from in-memory [T, N] arrays (copied to float64 C order, read-only)."""
        shapes = {np.shape(v) for v in fields.values()}
        if len(shapes) != 1:
            raise DataError(f"fields have different shapes: {sorted(shapes)}")
        (t, n), = shapes
        stored = {}
        for name, value in fields.items():
            arr = np.ascontiguousarray(value, dtype=np.float64).copy()
            arr.setflags(write=False)
            stored[name] = arr
        if dates is None:
            dates = np.arange(np.datetime64("2020-01-01"), np.datetime64("2020-01-01") + t)
        if symbols is None:
            symbols = [f"S{i:04d}" for i in range(n)]
        return cls(
            dates=np.asarray(dates, dtype="datetime64[D]"),
            symbols=np.asarray(symbols, dtype=object),
            fields=FieldStore(stored),
            groups={k: np.asarray(v, dtype=np.int32) for k, v in (groups or {}).items()},
            source=source,
        )

    @property
    def T(self) -> int:  # noqa: N802 - the panel's conventional name
        return len(self.dates)

    @property
    def N(self) -> int:  # noqa: N802
        return len(self.symbols)

    def head(self, n_dates: int) -> "Panel":
        """The first ``n_dates`` dates only (views, no copy): the in-sample panel.

        Everything computed on it is guaranteed not to have read later dates.
        """
        stored = {k: v[:n_dates] for k, v in self.fields._stored.items()}
        return Panel(
            dates=self.dates[:n_dates],
            symbols=self.symbols,
            fields=FieldStore(stored),
            groups=dict(self.groups),
            group_labels=dict(self.group_labels),
            source=f"{self.source}[:{n_dates}]",
            cache_path=self.cache_path,
        )

    def field(self, name: str) -> np.ndarray:
        try:
            return self.fields[name]
        except KeyError:
            raise DataError(f"unknown field {name!r}; fields: {', '.join(self.fields)}") from None

    @property
    def returns(self) -> np.ndarray:
        return self.field("returns")

    def universe(self, name: str) -> np.ndarray:
        """Boolean [T, N] membership mask for ``TOPn`` or ``ALL`` (cached per name)."""
        from pipelines.universe import universe_mask

        key = name.upper()
        if key not in self._universes:
            mask = universe_mask(self, key)
            mask.setflags(write=False)
            self._universes[key] = mask
        return self._universes[key]
