"""Load long-format market data files (parquet or CSV) into a Panel.

1. ``_read_table`` reads the file with polars (CSV as text, so that a bad value can be named).
2. ``_normalise_columns`` lower-cases the names and requires date, symbol, open, high, low,
   close, volume; every other numeric column becomes a field.
3. ``_parse_dates`` / ``_parse_numbers`` turn the columns into dates and float64 (null -> NaN),
   naming the first bad row and its value.
4. ``_pivot`` places each row at its (date, symbol) cell of [T, N] arrays (dates and symbols
   sorted, missing cells NaN); duplicate (date, symbol) rows are an error.
5. ``_blank_non_positive_prices`` turns prices <= 0 into NaN and logs how many.
6. ``load_groups`` maps a symbol -> label file onto int32 codes [N] (-1 = no group).
7. ``pipelines.cache`` keeps the converted panel on disk, keyed by the bytes of both files.

Every bad input raises ``DataError`` with one line naming the file, the column and the rows.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import structlog

from pipelines import cache
from pipelines.errors import DataError
from pipelines.panel import FieldStore, Panel

REQUIRED = ("date", "symbol", "open", "high", "low", "close", "volume")
PRICES = ("open", "high", "low", "close", "vwap")
_DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y%m%d", "%Y/%m/%d", "%m/%d/%Y")
_NA_TEXT = ("", "NA", "N/A", "n/a", "NULL", "null", "None", "#N/A")

log = structlog.get_logger()


def load_panel(
    path: str | Path, groups: str | Path | None = None, cache_dir: str | Path | None = None
) -> Panel:
    """Load a market data file into a Panel, through the on-disk cache.

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
    panel = read_panel(source, groups_path)
    panel.cache_path = cache.store_panel(panel, key, cache_dir=cache_dir)
    return panel


def read_panel(path: str | Path, groups: str | Path | None = None) -> Panel:
    """Convert a market data file (and optional groups file) into a Panel, without any cache."""
    source = _existing_file(path, "market data")
    table = _normalise_columns(_read_table(source), source)
    where = _row_namer(source)
    dates = _parse_dates(table["date"], source, where)
    symbols = _parse_symbols(table["symbol"], source, where)
    columns = _numeric_columns(table, source, where)
    unique_dates, unique_symbols, fields = _pivot(dates, symbols, columns, source, where)
    _blank_non_positive_prices(fields, source)
    for array in fields.values():
        array.setflags(write=False)
    group_codes, group_labels = ({}, {})
    if groups is not None:
        group_codes, group_labels = load_groups(groups, unique_symbols)
    log.info("panel_loaded", source=str(source), rows=table.height, dates=len(unique_dates),
             symbols=len(unique_symbols), fields=list(fields))
    return Panel(
        dates=unique_dates,
        symbols=unique_symbols,
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
    """The file's rows; CSV columns are kept as text so that bad values can be reported."""
    suffix = source.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            table = pl.read_parquet(source)
        elif suffix == ".csv":
            table = pl.read_csv(source, infer_schema=False)
        else:
            raise DataError(f"{source}: unknown file type {suffix or '(none)'!r}: use .parquet or .csv")
    except pl.exceptions.NoDataError:
        raise DataError(f"{source}: the file is empty") from None
    except (pl.exceptions.PolarsError, OSError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataError(f"{source}: cannot read it as {suffix[1:]}: {first_line}") from None
    if table.height == 0:
        raise DataError(f"{source}: the file has no data rows (columns: {', '.join(table.columns)})")
    return table


def _normalise_columns(table: pl.DataFrame, source: Path, required: tuple[str, ...] = REQUIRED) -> pl.DataFrame:
    names = [c.strip().lower() for c in table.columns]
    seen: dict[str, str] = {}
    for original, name in zip(table.columns, names):
        if name in seen:
            raise DataError(f"{source}: columns {seen[name]!r} and {original!r} are the same name {name!r}")
        seen[name] = original
    missing = [c for c in required if c not in seen]
    if missing:
        listed = ", ".join(repr(c) for c in missing)
        raise DataError(f"{source}: missing required column {listed} (found: {', '.join(table.columns)})")
    return table.rename(dict(zip(table.columns, names)))


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


def _numeric_columns(table: pl.DataFrame, source: Path, where: Callable[[int], str]) -> dict[str, np.ndarray]:
    """float64 values of the price/volume columns and of every extra numeric column."""
    columns = {}
    for name in table.columns:
        if name in ("date", "symbol"):
            continue
        column = table[name]
        if name not in REQUIRED and not _looks_numeric(column):
            log.warning("column_ignored", file=str(source), column=name, reason="not numeric")
            continue
        columns[name] = _parse_numbers(column, name, source, where)
    return columns


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


def _pivot(
    dates: np.ndarray, symbols: pl.Series, columns: dict[str, np.ndarray], source: Path, where: Callable[[int], str]
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Sorted dates [T], sorted symbols [N] and one C-order float64 [T, N] array per column."""
    unique_days, date_index = np.unique(dates, return_inverse=True)
    unique_symbols = symbols.unique().sort()
    symbol_index = symbols.cast(pl.Enum(unique_symbols.to_list())).to_physical().to_numpy()
    t, n = len(unique_days), len(unique_symbols)
    cell = date_index.astype(np.int64) * n + symbol_index.astype(np.int64)
    counts = np.bincount(cell, minlength=t * n)
    if counts.max() > 1:
        _raise_duplicates(cell, counts, dates, symbols, source, where)
    fields = {}
    for name, values in columns.items():
        flat = np.full(t * n, np.nan)
        flat[cell] = values
        fields[name] = flat.reshape(t, n)
    day_dates = unique_days.astype("datetime64[D]")
    return day_dates, np.asarray(unique_symbols.to_list(), dtype=object), fields


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


def _blank_non_positive_prices(fields: dict[str, np.ndarray], source: Path) -> None:
    counts = {}
    for name in PRICES:
        if name in fields:
            with np.errstate(invalid="ignore"):
                bad = fields[name] <= 0
            if bad.any():
                counts[name] = int(bad.sum())
                fields[name][bad] = np.nan
    if counts:
        log.warning("non_positive_prices_set_to_nan", file=str(source), counts=counts, total=sum(counts.values()))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
