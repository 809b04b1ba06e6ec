"""Conversions between the Store's plain values and column values (no queries here)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any

import numpy as np

from state.codec import encode_pnl
from state.errors import StoreError
from state.models import METRIC_COLUMNS, ORIGINS, SIM_STATUSES

_METRIC_NAMES = frozenset(METRIC_COLUMNS)
_NO_METRICS: dict[str, Any] = dict.fromkeys(METRIC_COLUMNS)  # copied per row: cheaper than fromkeys
REQUIRED_ITEM_KEYS = ("canonical", "hash", "origin", "settings_key", "settings", "params_key", "params", "status")


def utc_datetime(epoch_seconds: float) -> datetime:
    """Naive UTC datetime (how every time column is stored) for a POSIX timestamp."""
    return datetime.fromtimestamp(epoch_seconds, timezone.utc).replace(tzinfo=None)


def epoch_seconds(moment: datetime) -> float:
    """POSIX timestamp of a naive UTC datetime read back from the database."""
    return moment.replace(tzinfo=timezone.utc).timestamp()


def as_date(value: Any, where: str) -> date | None:
    """``value`` (date, datetime, ISO text, numpy datetime64 or None) as a date."""
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, np.datetime64):
        return value.astype("datetime64[D]").item()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise StoreError(f"{where}: pnl_start {value!r} is not a date (use YYYY-MM-DD)")


def _finite_or_none(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def hash_key(hash_: str) -> int:
    """The signed 64-bit integer under which an alpha hash is indexed (``alphas.hash_key``).

    An 8-byte key keeps the index ~4x smaller than one on 40 hex characters, so more of it stays
    cached and a checkpoint rewrites fewer of its pages. Any text maps to a uniform key (BLAKE2b);
    lookups compare the hash too, so a key shared by two hashes never answers for the wrong one.
    """
    return int.from_bytes(hashlib.blake2b(hash_.encode(), digest_size=8).digest(), "big", signed=True)


# Bands per octave of |score|, equal slices of the mantissa: a band spans 14-25% of its scores.
_BANDS_PER_OCTAVE = 4
# Shifts the smallest exponent math.frexp gives (-1073, subnormals) above 0, so that every
# positive score's band is positive and the band of -s is minus the band of s.
_EXPONENT_OFFSET = 1075
_INFINITE_BAND = (1024 + 1 + _EXPONENT_OFFSET) * _BANDS_PER_OCTAVE  # above the largest float's


def score_band(score: float | None) -> int | None:
    """The integer band of a score: non-decreasing in the score, 14-25% of its magnitude wide.

    The top-k index is on (status, band): rows of one band sit in insertion order, so a batch
    appends to the ~30 bands its scores fall in instead of dirtying one random index page per
    row, and a query orders the few rows of its top bands by score. Any scale works: the band
    follows the binary exponent.
    """
    if score is None:
        return None
    if score == 0:
        return 0
    if math.isinf(score):
        return _INFINITE_BAND if score > 0 else -_INFINITE_BAND
    mantissa, exponent = math.frexp(abs(score))  # |score| = mantissa * 2**exponent, mantissa in [0.5, 1)
    band = (exponent + _EXPONENT_OFFSET) * _BANDS_PER_OCTAVE + int((mantissa - 0.5) * 2 * _BANDS_PER_OCTAVE)
    return band if score > 0 else -band


def alpha_row(item: Mapping[str, Any]) -> dict[str, Any]:
    """The alphas row of a batch item."""
    return {
        "canonical": item["canonical"],
        "hash": item["hash"],
        "hash_key": hash_key(item["hash"]),
        "origin": item["origin"],
        "parents": list(item.get("parents") or []),
        "generation": item.get("generation"),
    }


def simulation_row(item: Mapping[str, Any], alpha_id: int, run_id: int | None, where: str) -> dict[str, Any]:
    """The simulations row of a batch item (metrics split into columns + extras, PnL encoded)."""
    row = _NO_METRICS.copy()
    extras: dict[str, Any] = {}
    for name, value in (item.get("metrics") or {}).items():
        if name not in _METRIC_NAMES:
            extras[name] = value
        elif value is not None:
            number = float(value)
            row[name] = None if number != number else number  # NaN is the only float unequal to itself
    if item.get("score") is not None:
        row["score"] = _finite_or_none(item["score"])
    row["score_band"] = score_band(row["score"])
    if row["days"] is not None:
        row["days"] = int(row["days"])
    pnl = item.get("daily_pnl")
    row["alpha_id"] = alpha_id
    row["run_id"] = run_id
    row["settings_key"] = item["settings_key"]
    row["settings"] = item["settings"]
    row["params_key"] = item["params_key"]
    row["params"] = item["params"]
    row["status"] = item["status"]
    row["error"] = item.get("error")
    row["extra_metrics"] = extras or None
    row["os_metrics"] = None
    row["daily_pnl"] = None if pnl is None else encode_pnl(pnl, item.get("pnl_dtype", "float32"))
    row["pnl_start"] = as_date(item.get("pnl_start"), where)
    row["duration"] = _finite_or_none(item.get("duration"))
    return row


def check_item(item: Any, index: int) -> None:
    """Raise StoreError naming the batch item and the key that is missing or invalid."""
    if not isinstance(item, Mapping):
        raise StoreError(f"batch item {index}: expected a dict, got {type(item).__name__}")
    missing = [key for key in REQUIRED_ITEM_KEYS if key not in item]
    if missing:
        raise StoreError(f"batch item {index}: missing {', '.join(missing)}")
    if item["origin"] not in ORIGINS:
        raise StoreError(f"batch item {index}: origin {item['origin']!r} is not one of {', '.join(ORIGINS)}")
    if item["status"] not in SIM_STATUSES:
        raise StoreError(f"batch item {index}: status {item['status']!r} is not one of {', '.join(SIM_STATUSES)}")


def metrics_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """The metrics dict of a simulations row (columns + extras), as record_batch received it."""
    metrics = {name: row[name] for name in METRIC_COLUMNS if row[name] is not None}
    metrics.update(row.get("extra_metrics") or {})
    return metrics
