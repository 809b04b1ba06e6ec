"""Field metadata: what each data field of a Panel is worth mining.

For every field (stored ones plus ``returns``, ``vwap``, ``adv20`` when derivable):

1. ``field_counts`` (numba, one pass over the [T, N] array) counts universe-member cells, those
   with a value (overall and over the last ``ONE_YEAR`` dates), consecutive-day pairs with both
   values present, and the pairs whose value changed.
2. ``field_stats`` turns the counts into coverage, one-year coverage and the share of days on
   which the value changes; ``update_frequency`` names that share (daily ... quarterly).
3. ``panel_field_stats`` streams the fields one by one (a cached panel's fields are read from
   their files, not through the memory map, so they never all stay resident) and keeps the
   figures in ``fields-<UNIVERSE>.json`` beside the panel's cache entry: computed once per panel.
4. ``field_metadata`` adds each field's category and description, from an optional fields file
   (``read_fields_file``: CSV/parquet with ``field, category, description``) or inferred by
   ``infer_category``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from pathlib import Path

import numpy as np
import polars as pl
import structlog
from numba import njit

from pipelines.errors import DataError
from pipelines.panel import Panel

ONE_YEAR = 252
STANDARD_DERIVED = ("returns", "vwap", "adv20")
CATEGORIES = ("price", "volume", "derived", "other")
PRICE_FIELDS = frozenset({"open", "high", "low", "close", "vwap"})
DERIVED_FIELDS = frozenset({"returns", "cap", "market_cap", "log_cap", "dividend_yield"})
_ADV = re.compile(r"^adv\d+$")
_STATS_VERSION = 1

log = structlog.get_logger()


@dataclasses.dataclass(frozen=True)
class FieldStats:
    """Coverage and update rhythm of one field (no category: that is the user's knowledge).

    Attributes
    ----------
    coverage : share of universe-member cells with a value (0 when the universe is empty).
    coverage_1y : the same over the last ``ONE_YEAR`` dates.
    change_share : share of consecutive-day pairs (both values present) where the value changed;
        None when no such pair exists.
    """

    name: str
    coverage: float
    coverage_1y: float
    change_share: float | None

    @property
    def frequency(self) -> str:
        return update_frequency(self.change_share)


@dataclasses.dataclass(frozen=True)
class FieldInfo:
    """Everything ``alphaminer data fields`` shows for one field."""

    name: str
    category: str
    description: str
    coverage: float
    coverage_1y: float
    change_share: float | None
    frequency: str


@njit(cache=True)
def field_counts(values, members, start):
    """Counts over a [T, N] field: [members, present, members_1y, present_1y, pairs, changes].

    ``present`` counts member cells whose value is not NaN; the ``_1y`` pair counts rows
    ``>= start``. ``pairs`` counts (t-1, t) cells of the same symbol with both values present
    (members or not: the update rhythm is the data's), ``changes`` those whose values differ.
    """
    t, n = values.shape
    out = np.zeros(6, dtype=np.int64)
    for i in range(t):
        for j in range(n):
            value = values[i, j]
            present = not np.isnan(value)
            if members[i, j]:
                out[0] += 1
                out[1] += present
                if i >= start:
                    out[2] += 1
                    out[3] += present
            if i > 0 and present:
                before = values[i - 1, j]
                if not np.isnan(before):
                    out[4] += 1
                    out[5] += value != before
    return out


def field_stats(name: str, values: np.ndarray, members: np.ndarray) -> FieldStats:
    """Coverage (overall, last year) and change share of one [T, N] field.

    Parameters
    ----------
    values : float64 [T, N].
    members : bool [T, N] universe membership.
    """
    start = max(0, values.shape[0] - ONE_YEAR)
    counts = field_counts(np.asarray(values, dtype=np.float64), np.asarray(members, dtype=np.bool_), start)
    n_members, present, members_1y, present_1y, pairs, changes = (int(c) for c in counts)
    return FieldStats(
        name=name,
        coverage=present / n_members if n_members else 0.0,
        coverage_1y=present_1y / members_1y if members_1y else 0.0,
        change_share=changes / pairs if pairs else None,
    )


def update_frequency(change_share: float | None) -> str:
    """Name the rhythm of a field from the share of days on which it changes.

    One change every ``1 / share`` days on average: at most 2 days is ``daily``, at most 10
    ``weekly``, at most 42 ``monthly``, else ``quarterly``; never changing is ``static`` and a
    field without two consecutive values is ``unknown``.

    Examples
    --------
    >>> update_frequency(0.9), update_frequency(0.2), update_frequency(1 / 21), update_frequency(1 / 63)
    ('daily', 'weekly', 'monthly', 'quarterly')
    """
    if change_share is None:
        return "unknown"
    if change_share <= 0:
        return "static"
    days = 1.0 / change_share
    for limit, name in ((2.0, "daily"), (10.0, "weekly"), (42.0, "monthly")):
        if days <= limit:
            return name
    return "quarterly"


def infer_category(name: str) -> str:
    """``price`` (open/high/low/close/vwap), ``volume`` (volume, adv*), ``derived`` (returns,
    cap, ...) or ``other``."""
    key = name.lower()
    if key in PRICE_FIELDS:
        return "price"
    if key == "volume" or _ADV.match(key):
        return "volume"
    if key in DERIVED_FIELDS:
        return "derived"
    return "other"


# ---- the fields file -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FieldDescription:
    category: str
    description: str


def read_fields_file(path: str | Path) -> dict[str, FieldDescription]:
    """Field name -> (category, description) from a CSV or parquet file.

    Columns ``field`` and ``category`` are required, ``description`` is optional. Categories are
    lower-cased free text (``fundamental``, ``analyst``...).

    Raises
    ------
    DataError : missing file or column, empty field or category, duplicate field; the message
        names the file, the column and the row (CSV: its line number).
    """
    from pipelines.load import _existing_file, _normalise_columns, _read_table, _row_namer

    source = _existing_file(path, "fields")
    table = _normalise_columns(_read_table(source), source, required=("field", "category"))
    where = _row_namer(source)
    names = _text_column(table, "field", source, where, required=True)
    categories = _text_column(table, "category", source, where, required=True)
    if "description" in table.columns:
        descriptions = _text_column(table, "description", source, where, required=False)
    else:
        descriptions = [""] * table.height
    found: dict[str, FieldDescription] = {}
    first_row: dict[str, int] = {}
    for row, (name, category, description) in enumerate(zip(names, categories, descriptions)):
        if name in found:
            raise DataError(f"{source}: column 'field': duplicate field {name!r} at {where(row)}"
                            f" (first at {where(first_row[name])})")
        found[name] = FieldDescription(category.lower(), description)
        first_row[name] = row
    return found


def _text_column(table: pl.DataFrame, column: str, source: Path, where, *, required: bool) -> list[str]:
    values = [None if v is None else str(v).strip() for v in table[column].cast(pl.String).to_list()]
    if required:
        for row, value in enumerate(values):
            if not value:
                raise DataError(f"{source}: column {column!r}: empty {column} at {where(row)}")
    return [value or "" for value in values]


# ---- a whole panel ---------------------------------------------------------------------------


def field_names(panel: Panel) -> list[str]:
    """The fields metadata is computed for: stored fields, then returns / vwap / adv20."""
    stored = panel.fields.stored_names()
    return stored + [n for n in STANDARD_DERIVED if n not in stored and n in panel.fields]


def panel_field_stats(panel: Panel, universe: str = "TOP500") -> dict[str, FieldStats]:
    """FieldStats of every field of ``panel`` (``field_names`` order), over ``universe`` members.

    With a cached panel (``panel.cache_path``) the figures are read from, or added to,
    ``fields-<UNIVERSE>.json`` in the cache entry, so 2,000 fields are scanned once per panel.
    """
    names = field_names(panel)
    known = _read_saved(panel, universe)
    missing = [name for name in names if name not in known]
    if missing:
        members = panel.universe(universe)
        files = _field_files(panel)
        for name in missing:
            known[name] = field_stats(name, _field_values(panel, name, files), members)
        _save(panel, universe, known)
        log.info("field_stats_computed", fields=len(missing), universe=universe.upper(), source=panel.source)
    return {name: known[name] for name in names}


def field_metadata(
    panel: Panel, universe: str = "TOP500", fields_file: str | Path | None = None
) -> list[FieldInfo]:
    """FieldInfo of every field: the stats plus category and description.

    A field absent from ``fields_file`` (or without one) gets ``infer_category``; fields the file
    names that the panel lacks are logged and ignored.
    """
    described = read_fields_file(fields_file) if fields_file is not None else {}
    stats = panel_field_stats(panel, universe)
    unknown = sorted(set(described) - set(stats))
    if unknown:
        log.warning("fields_file_names_unknown_fields", file=str(fields_file), count=len(unknown), examples=unknown[:5])
    infos = []
    for name, figures in stats.items():
        entry = described.get(name)
        infos.append(FieldInfo(
            name=name,
            category=entry.category if entry else infer_category(name),
            description=entry.description if entry else "",
            coverage=figures.coverage,
            coverage_1y=figures.coverage_1y,
            change_share=figures.change_share,
            frequency=figures.frequency,
        ))
    return infos


def _field_files(panel: Panel) -> dict[str, Path]:
    """Stored field -> its file in the panel's cache entry (empty for an uncached panel)."""
    if panel.cache_path is None:
        return {}
    from pipelines.cache import field_files

    try:
        return field_files(panel.cache_path)
    except (OSError, ValueError, KeyError):
        return {}


def _field_values(panel: Panel, name: str, files: dict[str, Path]) -> np.ndarray:
    """A stored field of a cached panel is read from its file, so that the pages of a 2,000-field
    scan are not all left mapped into this process; other fields come from the panel."""
    if name in files:
        values = np.load(files[name])
        return values[: panel.T] if values.shape[0] != panel.T else values
    return panel.fields[name]


def _stats_path(panel: Panel, universe: str) -> Path | None:
    if panel.cache_path is None:
        return None
    return Path(panel.cache_path) / f"fields-{universe.upper()}-T{panel.T}.json"


def _read_saved(panel: Panel, universe: str) -> dict[str, FieldStats]:
    path = _stats_path(panel, universe)
    if path is None or not path.is_file():
        return {}
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved.get("version") != _STATS_VERSION:
            return {}
        return {name: FieldStats(name, *figures) for name, figures in saved["fields"].items()}
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("field_stats_cache_damaged", path=str(path), error=str(error))
        return {}


def _save(panel: Panel, universe: str, stats: dict[str, FieldStats]) -> None:
    """Write the figures atomically beside the panel cache; failing to write only costs time."""
    path = _stats_path(panel, universe)
    if path is None:
        return
    payload = {"version": _STATS_VERSION, "fields": {
        name: [s.coverage, s.coverage_1y, s.change_share] for name, s in stats.items()}}
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(json.dumps(payload), encoding="utf-8")
        os.replace(temporary, path)
    except OSError as error:
        log.warning("field_stats_cache_write_failed", path=str(path), error=str(error))
        temporary.unlink(missing_ok=True)
