"""Load long-format market data files (parquet or CSV) into a Panel, one column at a time.

1. ``SourceColumns`` reads the file's header; ``_column_names`` lower-cases the names and
   requires date, symbol, open, high, low, close, volume; every other numeric column is a field.
2. ``_read_layout`` reads only date and symbol, parses them (naming the first bad row), sorts
   the dates and symbols and computes each row's (t, n) cell once; duplicate (date, symbol)
   rows are an error.
3. ``_converted_fields`` then reads the numeric columns a small batch at a time, parses each
   to float64 (null -> NaN, naming the first bad value), scatters it into a [T, N] array (missing
   cells NaN), turns prices <= 0 into NaN and yields it: a wide file is never held whole.
4. ``load_panel`` streams those arrays straight into a ``pipelines.cache`` entry (keyed by the
   bytes of both files) and returns the memory-mapped panel; ``read_panel`` keeps them in memory.
5. ``load_groups`` maps a symbol -> label file onto int32 codes [N] (-1 = no group).

Every bad input raises ``DataError`` with one line naming the file, the column and the rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import polars as pl
import structlog

from pipelines import cache
from pipelines.errors import DataError
from pipelines.panel import FieldStore, Panel
from pipelines.source_columns import SourceColumns

REQUIRED = ("date", "symbol", "open", "high", "low", "close", "volume")
PRICES = ("open", "high", "low", "close", "vwap")
_DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y%m%d", "%Y/%m/%d", "%m/%d/%Y")
_NA_TEXT = ("", "NA", "N/A", "n/a", "NULL", "null", "None", "#N/A")
_LOGGED_FIELD_NAMES = 5

log = structlog.get_logger()


@dataclasses.dataclass(frozen=True)
class _Layout:
    """Where each row of a long file goes: sorted dates [T], sorted symbols [N], row -> t * N + n."""

    dates: np.ndarray
    symbols: np.ndarray
    cell: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.dates), len(self.symbols)


def load_panel(
    path: str | Path, groups: str | Path | None = None, cache_dir: str | Path | None = None
) -> Panel:
    """Load a market data file into a Panel, through the on-disk cache.

    A miss converts the file one column batch at a time, writing each field straight into the
    cache entry, so a file of thousands of fields never sits in memory whole; the returned panel
    memory-maps the entry. Only when the cache cannot be written is the panel built in memory.

    Parameters
    ----------
    path : a ``.parquet`` or ``.csv`` file in long format: one row per (date, symbol) with the
        columns date, symbol, open, high, low, close, volume and any other numeric columns.
    groups : optional ``.parquet`` / ``.csv`` file with a ``symbol`` column and label columns
        (sector, industry, ...), each of which becomes a group.
    cache_dir : where converted panels are kept (default: ``$ALPHAMINER_CACHE_DIR`` or
        ``~/.cache/alphaminer``). A later load of the same bytes memory-maps the cached arrays.

    Returns
    -------
    Panel with ``cache_path`` set when the cache could be written or was hit.

    Raises
    ------
    DataError : a missing or unreadable file, or bad content (message names file, column, row).
    """
    source = _existing_file(path, "market data")
    groups_path = _existing_file(groups, "groups") if groups is not None else None
    key = cache.panel_key(source, groups_path)
    cached = cache.load_cached(key, cache_dir=cache_dir, source=str(source))
    if cached is not None:
        log.debug("panel_cache_hit", source=str(source), cache=cached.cache_path)
        return cached
    columns, names = _open_columns(source)
    layout = _read_layout(columns, names, source)
    group_codes, group_labels = load_groups(groups_path, layout.symbols) if groups_path else ({}, {})
    entry = cache.store_fields(
        key, _converted_fields(columns, names, layout, source), dates=layout.dates, symbols=layout.symbols,
        groups=group_codes, group_labels=group_labels, source=str(source), cache_dir=cache_dir,
    )
    if entry is None:
        return read_panel(source, groups_path)  # the cache is not writable: convert in memory
    return cache.open_panel(entry, source=str(source))


def read_panel(path: str | Path, groups: str | Path | None = None) -> Panel:
    """Convert a market data file (and optional groups file) into an in-memory Panel, no cache."""
    source = _existing_file(path, "market data")
    columns, names = _open_columns(source)
    layout = _read_layout(columns, names, source)
    group_codes, group_labels = load_groups(groups, layout.symbols) if groups is not None else ({}, {})
    fields = dict(_converted_fields(columns, names, layout, source))
    for array in fields.values():
        array.setflags(write=False)
    return Panel(
        dates=layout.dates,
        symbols=layout.symbols,
        fields=FieldStore(fields),
        groups=group_codes,
        group_labels=group_labels,
        source=str(source),
    )


def load_groups(path: str | Path, symbols: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    """Group codes for ``symbols`` from a file with a ``symbol`` column and label columns.

    Every text (or integer) column besides ``symbol`` is a grouping. Labels are sorted and
    coded 0..k-1; a symbol absent from the file, or with an empty label, gets -1 (counted in a
    warning).

    Returns
    -------
    (codes, labels) : name -> int32 [N], name -> list of labels (index = code).
    """
    source = _existing_file(path, "groups")
    table = _normalise_columns(_read_table(source), source, required=("symbol",))
    where = _row_namer(source)
    keys = _parse_symbols(table["symbol"], source, where)
    _reject_duplicate_symbols(keys, source, where)
    row_of = {symbol: i for i, symbol in enumerate(keys)}
    positions = np.array([row_of.get(s, -1) for s in symbols], dtype=np.int64)
    missing = symbols[positions < 0]
    if len(missing):
        log.warning("symbols_without_groups", file=str(source), count=len(missing),
                    examples=list(missing[:5]))
    codes, labels = {}, {}
    for name in table.columns:
        column = table[name]
        if name == "symbol":
            continue
        if not (column.dtype == pl.String or column.dtype.is_integer() or column.dtype == pl.Categorical):
            log.warning("groups_column_ignored", file=str(source), column=name, dtype=str(column.dtype))
            continue
        codes[name], labels[name] = _encode_labels(column.cast(pl.String).to_list(), positions)
        empty = int(((codes[name] < 0) & (positions >= 0)).sum())
        if empty:
            log.warning("empty_group_labels", file=str(source), column=name, count=empty)
    return codes, labels


def _encode_labels(values: list[str | None], positions: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Sorted distinct labels and each symbol's code (-1 when absent or empty)."""
    cleaned = [v.strip() if v is not None and v.strip() else None for v in values]
    labels = sorted({v for v in cleaned if v is not None})
    code_of = {label: i for i, label in enumerate(labels)}
    per_row = np.array([code_of.get(v, -1) if v is not None else -1 for v in cleaned], dtype=np.int32)
    codes = np.full(len(positions), -1, dtype=np.int32)
    found = positions >= 0
    codes[found] = per_row[positions[found]]
    return codes, labels


def _existing_file(path: str | Path, what: str) -> Path:
    source = Path(path).expanduser()
    if not source.is_file():
        reason = "is a directory" if source.is_dir() else "does not exist"
        raise DataError(f"{what} file {str(source)!r} {reason}")
    return source


def _read_table(source: Path) -> pl.DataFrame:
    """Every column of a (small) file; CSV columns are kept as text so that bad values can be reported."""
    columns = SourceColumns(source)
    table = columns.read(columns.names)
    if table.height == 0:
        raise DataError(f"{source}: the file has no data rows (columns: {', '.join(table.columns)})")
    return table


def _normalise_columns(table: pl.DataFrame, source: Path, required: tuple[str, ...] = REQUIRED) -> pl.DataFrame:
    """``table`` with lower-cased, stripped column names; DataError when a required one is missing."""
    names = _column_names(table.columns, source, required)
    return table.rename({original: name for name, original in names.items()})


def _column_names(columns: list[str], source: Path, required: tuple[str, ...] = REQUIRED) -> dict[str, str]:
    """Lower-cased, stripped name -> the file's own name, in file order."""
    seen: dict[str, str] = {}
    for original in columns:
        name = original.strip().lower()
        if name in seen:
            raise DataError(f"{source}: columns {seen[name]!r} and {original!r} are the same name {name!r}")
        seen[name] = original
    missing = [c for c in required if c not in seen]
    if missing:
        listed = ", ".join(repr(c) for c in missing)
        raise DataError(f"{source}: missing required column {listed} (found: {', '.join(columns)})")
    return seen


def _open_columns(source: Path) -> tuple[SourceColumns, dict[str, str]]:
    """The file's columns and its name map; a file without rows says so before naming columns."""
    columns = SourceColumns(source)
    try:
        return columns, _column_names(columns.names, source)
    except DataError:
        if columns.names:
            _require_rows(columns.read(columns.names[:1]), columns)
        raise


def _require_rows(frame: pl.DataFrame, columns: SourceColumns) -> None:
    if frame.height == 0:
        raise DataError(f"{columns.source}: the file has no data rows (columns: {', '.join(columns.names)})")


def _row_namer(source: Path) -> Callable[[int], str]:
    """How a 0-based row index is shown: the CSV line number, or the parquet row number."""
    if source.suffix.lower() == ".csv":
        return lambda i: f"line {i + 2}"
    return lambda i: f"row {i + 1}"


def _parse_dates(column: pl.Series, source: Path, where: Callable[[int], str]) -> np.ndarray:
    """Days since 1970-01-01 (int32) of every row."""
    if column.dtype == pl.Date:
        parsed = column
    elif isinstance(column.dtype, pl.Datetime):
        parsed = column.dt.date()
    elif column.dtype == pl.String or column.dtype.is_integer():
        parsed = _dates_from_text(column.cast(pl.String).str.strip_chars())
    else:
        raise DataError(f"{source}: column 'date' has type {column.dtype}; expected dates or text")
    bad = parsed.is_null()
    if bad.any():
        first = int(bad.arg_true()[0])
        raise DataError(
            f"{source}: column 'date': unparsable date {column[first]!r} at {where(first)}"
            f" ({_count(int(bad.sum()), 'bad row')} in all; use YYYY-MM-DD)"
        )
    return parsed.to_physical().to_numpy()


def _dates_from_text(text: pl.Series) -> pl.Series:
    """Parse with the first format that reads every value (else the one that reads most)."""
    best = None
    for fmt in _DATE_FORMATS:
        parsed = text.str.strptime(pl.Date, fmt, strict=False)
        if best is None or parsed.null_count() < best.null_count():
            best = parsed
        if parsed.null_count() == 0:
            break
    return best


def _parse_symbols(column: pl.Series, source: Path, where: Callable[[int], str]) -> pl.Series:
    symbols = column.cast(pl.String).str.strip_chars()
    bad = symbols.is_null() | (symbols == "")
    if bad.any():
        first = int(bad.arg_true()[0])
        count = _count(int(bad.sum()), "row")
        raise DataError(f"{source}: column 'symbol': empty symbol at {where(first)} ({count} in all)")
    return symbols


def _looks_numeric(column: pl.Series) -> bool:
    """True for numeric types, and for text columns where most values read as numbers."""
    if column.dtype.is_numeric() or column.dtype == pl.Boolean:
        return True
    if column.dtype != pl.String:
        return False
    text = _text_without_na(column)
    present = text.len() - text.null_count()
    return present > 0 and text.cast(pl.Float64, strict=False).null_count() - text.null_count() < present / 2


def _text_without_na(column: pl.Series) -> pl.Series:
    text = column.str.strip_chars()
    return pl.select(pl.when(text.is_in(list(_NA_TEXT))).then(None).otherwise(text)).to_series()


def _parse_numbers(column: pl.Series, name: str, source: Path, where: Callable[[int], str]) -> np.ndarray:
    if column.dtype in (pl.Float32, pl.Float64):
        return column.to_numpy().astype(np.float64, copy=False)  # nulls come out as NaN
    if column.dtype.is_numeric() or column.dtype == pl.Boolean:
        return column.cast(pl.Float64).fill_null(np.nan).to_numpy()
    if column.dtype != pl.String:
        raise DataError(f"{source}: column {name!r} has type {column.dtype}; expected numbers")
    text = _text_without_na(column)
    values = text.cast(pl.Float64, strict=False)
    bad = values.is_null() & text.is_not_null()
    if bad.any():
        first = int(bad.arg_true()[0])
        raise DataError(
            f"{source}: column {name!r}: non-numeric value {column[first]!r} at {where(first)}"
            f" ({_count(int(bad.sum()), 'bad row')} in all)"
        )
    return values.fill_null(np.nan).to_numpy()


def _read_layout(columns: SourceColumns, names: dict[str, str], source: Path) -> _Layout:
    """Read date and symbol only; sorted dates [T], sorted symbols [N] and each row's cell."""
    where = _row_namer(source)
    frame = columns.read([names["date"], names["symbol"]])
    _require_rows(frame, columns)
    dates = _parse_dates(frame[names["date"]], source, where)
    symbols = _parse_symbols(frame[names["symbol"]], source, where)
    del frame
    unique_days, date_index = np.unique(dates, return_inverse=True)
    unique_symbols = symbols.unique().sort()
    symbol_index = symbols.cast(pl.Enum(unique_symbols.to_list())).to_physical().to_numpy()
    t, n = len(unique_days), len(unique_symbols)
    cell = date_index.astype(np.int64) * n + symbol_index.astype(np.int64)
    counts = np.bincount(cell, minlength=t * n)
    if counts.max() > 1:
        _raise_duplicates(cell, counts, dates, symbols, source, where)
    symbols_sorted = np.asarray(unique_symbols.to_list(), dtype=object)
    return _Layout(dates=unique_days.astype("datetime64[D]"), symbols=symbols_sorted, cell=cell)


def _converted_fields(
    columns: SourceColumns, names: dict[str, str], layout: _Layout, source: Path
) -> Iterator[tuple[str, np.ndarray]]:
    """(name, float64 [T, N]) for every numeric column, a batch of columns read at a time."""
    name_of = {original: name for name, original in names.items() if name not in ("date", "symbol")}
    blanked: dict[str, int] = {}
    converted: list[str] = []
    for batch in columns.batches(list(name_of), len(layout.cell)):
        for original in batch.columns:
            array = _field_array(batch[original], name_of[original], layout, source)
            if array is None:
                continue
            if name_of[original] in PRICES:
                blanked[name_of[original]] = _blank_non_positive(array)
            converted.append(name_of[original])
            yield name_of[original], array
            del array
        del batch  # before the next batch is read: one batch in memory at a time
    _log_blanked(blanked, source)
    log.info("panel_loaded", source=str(source), rows=len(layout.cell), dates=layout.shape[0], symbols=layout.shape[1],
             fields=len(converted), first_fields=converted[:_LOGGED_FIELD_NAMES])


def _field_array(column: pl.Series, name: str, layout: _Layout, source: Path) -> np.ndarray | None:
    """The column's values at their cells of a NaN [T, N] array; None for a non-numeric extra column."""
    if name not in REQUIRED and not _looks_numeric(column):
        log.warning("column_ignored", file=str(source), column=name, reason="not numeric")
        return None
    values = _parse_numbers(column, name, source, _row_namer(source))
    t, n = layout.shape
    flat = np.full(t * n, np.nan)
    flat[layout.cell] = values
    return flat.reshape(t, n)


def _raise_duplicates(cell, counts, dates, symbols, source: Path, where: Callable[[int], str]) -> None:
    duplicated = np.flatnonzero(counts[cell] > 1)
    first = duplicated[0]
    same = duplicated[cell[duplicated] == cell[first]]
    day = np.datetime64(int(dates[first]), "D")
    extra = int((counts[counts > 1] - 1).sum())
    rows = ", ".join(where(int(i)) for i in same[:5])
    raise DataError(
        f"{source}: columns 'date', 'symbol': {_count(extra, 'duplicate (date, symbol) row')},"
        f" e.g. ({day}, {symbols[int(first)]}) at {rows}"
    )


def _reject_duplicate_symbols(symbols: pl.Series, source: Path, where: Callable[[int], str]) -> None:
    duplicated = symbols.is_duplicated()
    if duplicated.any():
        rows = duplicated.arg_true()
        example = symbols[int(rows[0])]
        at = ", ".join(where(int(i)) for i in rows.to_numpy()[symbols.gather(rows).to_numpy() == example][:5])
        raise DataError(f"{source}: column 'symbol': {_count(int(duplicated.sum()), 'row')} share a symbol,"
                        f" e.g. {example!r} at {at}")


def _blank_non_positive(prices: np.ndarray) -> int:
    """Set prices <= 0 to NaN in place; how many were."""
    with np.errstate(invalid="ignore"):
        bad = prices <= 0
    prices[bad] = np.nan
    return int(bad.sum())


def _log_blanked(blanked: dict[str, int], source: Path) -> None:
    counts = {name: blanked[name] for name in PRICES if blanked.get(name)}
    if counts:
        log.warning("non_positive_prices_set_to_nan", file=str(source), counts=counts, total=sum(counts.values()))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
