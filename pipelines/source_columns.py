"""Read a long-format data file (parquet or CSV) a few columns at a time, never the whole table.

A wide file (thousands of fields) would not fit in memory as one table, so ``SourceColumns``
reads the header once and then hands out chosen columns: parquet reads only those column
chunks; CSV is scanned lazily by polars and only the chosen columns are kept (as text, so that
a bad value can be named). Every read error becomes a one-line ``DataError``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from pipelines.errors import DataError

PARQUET_SUFFIXES = (".parquet", ".pq")
# How much a batch of columns may take in memory: parquet values decoded as float64; CSV text
# (each CSV batch tokenises the whole file again, so CSV batches are larger).
PARQUET_BATCH_BYTES = 64 << 20
CSV_BATCH_BYTES = 256 << 20


class SourceColumns:
    """The columns of one data file, read on demand.

    Parameters
    ----------
    source : an existing ``.parquet`` / ``.pq`` / ``.csv`` file.

    Raises
    ------
    DataError : unknown file type, an empty or unreadable file.
    """

    def __init__(self, source: Path):
        self.source = source
        self.suffix = source.suffix.lower()
        if self.suffix not in (*PARQUET_SUFFIXES, ".csv"):
            raise DataError(f"{source}: unknown file type {self.suffix or '(none)'!r}: use .parquet or .csv")
        with self._errors_as_data_errors():
            if self.is_parquet:
                self.names = list(pl.read_parquet_schema(source))
            else:
                self.names = self._csv_scan().collect_schema().names()

    @property
    def is_parquet(self) -> bool:
        return self.suffix in PARQUET_SUFFIXES

    def read(self, names: list[str]) -> pl.DataFrame:
        """The chosen columns (original names), every row, in file order."""
        with self._errors_as_data_errors():
            if self.is_parquet:
                return pl.read_parquet(self.source, columns=names)
            return self._csv_scan().select(names).collect()

    def batches(self, names: list[str], rows: int) -> Iterator[pl.DataFrame]:
        """``names`` read a batch at a time, each batch within the memory budget."""
        size = self._batch_size(len(names), rows)
        for first in range(0, len(names), size):
            yield self.read(names[first:first + size])

    def _batch_size(self, columns: int, rows: int) -> int:
        if self.is_parquet:
            return max(1, PARQUET_BATCH_BYTES // max(1, rows * 8))
        file_bytes = max(1, self.source.stat().st_size)
        return max(1, CSV_BATCH_BYTES * max(1, len(self.names)) // file_bytes)

    def _csv_scan(self) -> pl.LazyFrame:
        return pl.scan_csv(self.source, infer_schema=False)

    @contextlib.contextmanager
    def _errors_as_data_errors(self) -> Iterator[None]:
        try:
            yield
        except pl.exceptions.NoDataError:
            raise DataError(f"{self.source}: the file is empty") from None
        except (pl.exceptions.PolarsError, OSError) as error:
            text = str(error).strip()
            first_line = text.splitlines()[0] if text else type(error).__name__
            raise DataError(f"{self.source}: cannot read it as {self.suffix[1:]}: {first_line}") from None
