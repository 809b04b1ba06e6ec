"""The pool's ML dataset: one row per (date, symbol) of the universe, one column per feature.

1. ``evaluate_features`` computes each expression on the whole panel with one shared result
   cache; cross-sectional operators see only the universe (pasteurisation).
2. ``build_dataset`` standardises every feature per day (``pipelines.pool.standardize``) and
   lines the rows up with the label. Features of day t use data through close[t]; the label
   is the forward return ``close[t+h] / close[t] - 1`` (``binary``: 1.0 when it is above the
   threshold, else 0.0); ``label_rank`` is the forward return's centred rank that day (-0.5 ..
   0.5: Qlib's CSRankNorm, a target robust to bad ticks). ``next_return`` (``close[t+1] / close[t] - 1``) is kept for the backtest.
   With ``delay`` d both start d days later: ``close[t+d+h] / close[t+d] - 1`` (Qlib's
   Alpha158 label is d=1, h=1: trade on the next close).
3. Split by date: the last ``os_fraction`` of the dates are out of sample (``split_index``,
   as the simulator does). In-sample dates whose label reaches an OS price (the last ``h + d``
   IS dates) are purged; the last ``valid_fraction`` of the remaining IS dates are the
   validation set for early stopping, with the same purge between train and valid.

Rows outside the universe or without a label are dropped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence

import numpy as np
import polars as pl

from expressions.errors import ExpressionError
from pipelines.panel import Panel
from pipelines.pool.errors import PoolError
from pipelines.pool.standardize import standardize
from pipelines.settings import split_index

LABEL_KINDS = ("return", "binary")
TRAIN, VALID, OS = "train", "valid", "os"
MIN_TRAIN_DATES = 5
KEY_COLUMNS = ("date", "symbol")
TARGET_COLUMNS = ("label", "label_rank", "forward_return", "next_return", "split")
TRAIN_TARGETS = {"raw": "label", "rank": "label_rank"}


@dataclasses.dataclass(frozen=True)
class PoolDataset:
    """Rows (date, symbol, features..., label, label_rank, forward_return, next_return, split).

    ``frame`` is a polars DataFrame; ``features`` names its feature columns in order;
    ``split_dates`` maps each split to its (first, last) date.
    """

    frame: pl.DataFrame
    features: tuple[str, ...]
    label_kind: str
    horizon: int
    split_dates: dict[str, tuple[str, str]]

    def part(self, split: str) -> pl.DataFrame:
        """The rows of one split (``train``, ``valid`` or ``os``)."""
        return self.frame.filter(pl.col("split") == split)

    def matrix(self, split: str, target: str = "label") -> tuple[np.ndarray, np.ndarray]:
        """(X float64 [rows, features], target column [rows]) of one split."""
        part = self.part(split)
        x = part.select(self.features).to_numpy().astype(np.float64)
        return x, part[target].to_numpy().astype(np.float64)


def evaluate_features(
    panel: Panel, expressions: Sequence[tuple[str, str]], universe: str, *, dialect: str = "brain", cache=None
) -> Iterator[tuple[str, np.ndarray]]:
    """(name, values [T, N]) for each (name, expression), computed on the whole panel.

    Raises
    ------
    PoolError
        An expression does not parse or evaluate (the message names it).
    """
    from expressions import Evaluator

    evaluator = Evaluator.from_panel(panel, universe=universe, cache=cache)
    for name, text in expressions:
        try:
            yield name, evaluator.evaluate(text, dialect=dialect)
        except ExpressionError as error:
            raise PoolError(f"feature {name!r} ({text}): {error}") from None


def build_dataset(
    panel: Panel,
    features: Iterable[tuple[str, np.ndarray]],
    universe: np.ndarray,
    *,
    label: str = "return",
    horizon: int = 1,
    delay: int = 0,
    threshold: float = 0.0,
    os_fraction: float = 0.2,
    valid_fraction: float = 0.2,
    standardization: str = "rank",
) -> PoolDataset:
    """The ML dataset of ``features`` on ``panel`` (see the module docstring).

    Parameters
    ----------
    panel : the market (its ``close`` gives the label).
    features : (name, float [T, N]) pairs; consumed one at a time to bound memory.
    universe : bool [T, N]; only members become rows.
    label : ``return`` (forward return) or ``binary`` (forward return > threshold).
    horizon : days ahead of the forward return (>= 1).
    delay : days between the features' close and the label's start (0 or more).
    threshold : the binary label's cut.
    os_fraction : the share of dates, at the end, held out of sample.
    valid_fraction : the share of the (purged) in-sample dates used for validation.
    standardization : ``rank``, ``zscore`` or ``none`` per day.

    Returns
    -------
    PoolDataset
    """
    _check_options(label, horizon, delay, valid_fraction)
    forward = forward_return(panel, horizon, delay)
    split = split_labels(panel.T, horizon + delay, os_fraction, valid_fraction)
    rows = universe & np.isfinite(forward) & (split != "")[:, None]
    date_index, symbol_index = np.nonzero(rows)
    columns: dict[str, np.ndarray] = {
        "date": panel.dates.astype("datetime64[D]")[date_index],
        "symbol": np.asarray(panel.symbols, dtype=str)[symbol_index],
    }
    names = []
    for name, values in features:
        if name in columns or name in TARGET_COLUMNS:
            raise PoolError(f"feature name {name!r} is used twice or clashes with a dataset column")
        columns[name] = standardize(np.asarray(values), universe, standardization)[rows].astype(np.float32)
        names.append(name)
    if not names:
        raise PoolError("the pool has no features: nothing to train on")
    target = forward[rows]
    columns["label"] = (target > threshold).astype(np.float64) if label == "binary" else target
    columns["label_rank"] = standardize(forward, rows, "rank")[rows]
    columns["forward_return"] = target
    columns["next_return"] = forward_return(panel, 1, delay)[rows]
    columns["split"] = split[date_index]
    frame = pl.DataFrame(columns)
    return PoolDataset(frame, tuple(names), label, horizon, _split_dates(frame))


def forward_return(panel: Panel, horizon: int, delay: int = 0) -> np.ndarray:
    """``close[t+d+h] / close[t+d] - 1`` at row t; NaN for the last ``h + d`` dates and missing prices."""
    try:
        close = np.asarray(panel.field("close"), dtype=np.float64)
    except Exception as error:  # noqa: BLE001 - any way of lacking close is the same user error
        raise PoolError(f"the data has no close prices for the label: {error}") from None
    out = np.full(close.shape, np.nan)
    reach = horizon + delay
    if reach < len(close):
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:-reach] = close[reach:] / close[delay:len(close) - horizon] - 1.0
    out[~np.isfinite(out)] = np.nan
    return out


def split_labels(n_dates: int, horizon: int, os_fraction: float, valid_fraction: float) -> np.ndarray:
    """``train`` / ``valid`` / ``os`` per date index; ``""`` for purged dates.

    ``horizon`` is how many dates ahead a label reads (the forward horizon plus the delay).

    Raises
    ------
    PoolError
        Too few dates for a train set, or no out-of-sample dates.
    """
    is_end = split_index(n_dates, os_fraction)
    usable = is_end - horizon  # labels of IS dates >= usable read close[is_end] or later
    valid_start = usable - round(usable * valid_fraction)
    train_end = valid_start - horizon if valid_start < usable else usable
    if train_end < MIN_TRAIN_DATES:
        raise PoolError(
            f"too few in-sample dates to train: {n_dates} dates, {os_fraction:g} out of sample, horizon {horizon}"
        )
    if is_end >= n_dates - horizon:
        raise PoolError(f"no out-of-sample dates with a label: {n_dates} dates, os_fraction {os_fraction:g}")
    labels = np.full(n_dates, "", dtype=object)
    labels[:train_end] = TRAIN
    labels[valid_start:usable] = VALID
    labels[is_end:] = OS
    return labels.astype(str)


def _split_dates(frame: pl.DataFrame) -> dict[str, tuple[str, str]]:
    spans = frame.group_by("split").agg(pl.col("date").min().alias("first"), pl.col("date").max().alias("last"))
    return {row["split"]: (str(row["first"]), str(row["last"])) for row in spans.iter_rows(named=True)}


def _check_options(label: str, horizon: int, delay: int, valid_fraction: float) -> None:
    if label not in LABEL_KINDS:
        raise PoolError(f"unknown label {label!r}; choose one of {', '.join(LABEL_KINDS)}")
    if not isinstance(horizon, int) or horizon < 1:
        raise PoolError(f"horizon must be an integer >= 1 day, got {horizon!r}")
    if not isinstance(delay, int) or delay < 0:
        raise PoolError(f"delay must be an integer >= 0 days, got {delay!r}")
    if not 0.0 <= valid_fraction < 1.0:
        raise PoolError(f"valid_fraction must be in [0, 1), got {valid_fraction!r}")
