"""On-disk cache of converted panels: one ``.npy`` file per field plus a JSON manifest.

A cached panel lives in ``<cache_dir>/panels/<key>/``: ``manifest.json`` (dates, symbols,
groups, labels, field -> file) and one ``.npy`` per stored field. Reloading memory-maps each
field (``np.load(mmap_mode="r")``), so a field is paged in only when it is read: a panel of
thousands of fields opens in milliseconds.

The key is the sha256 of the source bytes (+ the groups file's bytes + ``FORMAT_VERSION``), so
an edited file is a miss and a renamed copy is a hit. A panel is written into a temporary
directory and renamed into place, so a killed process never leaves a half-written entry; the
files are flushed to disk (fsync) once, after the last field, before the rename. ``store_fields``
takes the fields one at a time (a generator), so a converter never holds them all, and records
each field's NaN count and the count of cells with any value (``entry_counts``) as it goes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import structlog

from pipelines.panel import FieldStore, Panel

FORMAT_VERSION = 1
ENV_VAR = "ALPHAMINER_CACHE_DIR"
MANIFEST = "manifest.json"
_STALE_TEMP_SECONDS = 3600
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")

log = structlog.get_logger()


def default_cache_dir() -> Path:
    """``$ALPHAMINER_CACHE_DIR`` when set, else ``~/.cache/alphaminer``."""
    configured = os.environ.get(ENV_VAR)
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "alphaminer"


def file_digest(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def panel_key(source: str | Path, groups: str | Path | None = None) -> str:
    """Cache key of a data file (and groups file): sha256 over their bytes and the format version."""
    parts = [f"format={FORMAT_VERSION}", f"source={file_digest(source)}"]
    parts.append(f"groups={file_digest(groups) if groups is not None else '-'}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def entry_path(key: str, cache_dir: str | Path | None = None) -> Path:
    """Directory that holds (or would hold) the panel cached under ``key``."""
    root = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    return root / "panels" / key


def load_cached(key: str, cache_dir: str | Path | None = None, source: str | None = None) -> Panel | None:
    """The panel cached under ``key`` with memory-mapped fields, or None on a miss.

    A damaged entry (unreadable manifest, missing or mis-shaped field file) is logged and
    treated as a miss; the next ``store_panel`` replaces it.
    """
    entry = entry_path(key, cache_dir)
    if not (entry / MANIFEST).is_file():
        return None
    try:
        return open_panel(entry, source=source)
    except (OSError, ValueError, KeyError) as error:
        log.warning("panel_cache_damaged", cache=str(entry), error=str(error))
        return None


def open_panel(entry: str | Path, source: str | None = None) -> Panel:
    """Open a cache entry directory (e.g. another process's ``panel.cache_path``).

    Raises
    ------
    OSError, ValueError, KeyError : the entry is missing or damaged.
    """
    entry = Path(entry)
    manifest = json.loads((entry / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT_VERSION:
        raise ValueError(f"format {manifest.get('format')!r} is not {FORMAT_VERSION}")
    dates = np.array(manifest["dates"], dtype="datetime64[D]")
    symbols = np.array(manifest["symbols"], dtype=object)
    shape = (len(dates), len(symbols))
    fields = {name: _open_field(entry / filename, shape) for name, filename in manifest["fields"].items()}
    groups = {name: np.array(codes, dtype=np.int32) for name, codes in manifest["groups"].items()}
    return Panel(
        dates=dates,
        symbols=symbols,
        fields=FieldStore(fields),
        groups=groups,
        group_labels={name: list(labels) for name, labels in manifest["group_labels"].items()},
        source=source or manifest["source"],
        cache_path=str(entry),
    )


def field_files(entry: str | Path) -> dict[str, Path]:
    """Stored field name -> its ``.npy`` file in a cache entry (for passes that read each field
    once, into memory, instead of leaving every mapped page resident)."""
    entry = Path(entry)
    manifest = json.loads((entry / MANIFEST).read_text(encoding="utf-8"))
    return {name: entry / filename for name, filename in manifest["fields"].items()}


def _open_field(path: Path, shape: tuple[int, int]) -> np.ndarray:
    mapped = np.load(path, mmap_mode="r")
    if mapped.shape != shape or mapped.dtype != np.float64:
        raise ValueError(f"{path.name} holds {mapped.dtype} {mapped.shape}, expected float64 {shape}")
    # A plain read-only ndarray view over the mapping: numba and numpy see an ordinary array.
    return mapped.view(np.ndarray)


def store_panel(panel: Panel, key: str, cache_dir: str | Path | None = None) -> str | None:
    """Write ``panel``'s stored fields under ``key``; returns the entry path, or None on failure.

    Failing to write (read-only or full disk) is logged, never raised: the cache only saves time.
    """
    return store_fields(
        key, ((name, panel.fields[name]) for name in panel.fields.stored_names()), dates=panel.dates,
        symbols=panel.symbols, groups=panel.groups, group_labels=panel.group_labels, source=panel.source,
        cache_dir=cache_dir,
    )


def store_fields(
    key: str,
    fields: Iterable[tuple[str, np.ndarray]],
    *,
    dates: np.ndarray,
    symbols: np.ndarray,
    source: str,
    groups: Mapping[str, np.ndarray] | None = None,
    group_labels: Mapping[str, list[str]] | None = None,
    cache_dir: str | Path | None = None,
) -> str | None:
    """Write fields one at a time into a new entry under ``key``; the entry path, or None on failure.

    ``fields`` may be a generator that converts each field just before it is written, so only one
    field is in memory at a time. The entry appears (by rename) only once every field and the
    manifest are on disk. An exception raised by ``fields`` (bad data) removes the partial entry
    and propagates; failing to write (read-only or full disk) is logged, never raised.

    Parameters
    ----------
    key : the entry's name (``panel_key`` of the source files).
    fields : (name, float64 [T, N]) pairs, T = len(dates), N = len(symbols).
    dates, symbols, source, groups, group_labels : what the manifest records for ``open_panel``.
    """
    entry = entry_path(key, cache_dir)
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temporaries(entry.parent)
        temporary = Path(tempfile.mkdtemp(prefix=".tmp-", dir=entry.parent))
    except OSError as error:
        log.warning("panel_cache_write_failed", cache=str(entry), error=str(error))
        return None
    manifest = {
        "format": FORMAT_VERSION,
        "source": source,
        "dates": [str(d) for d in np.asarray(dates).astype("datetime64[D]")],
        "symbols": [str(s) for s in symbols],
        "groups": {name: np.asarray(codes).astype(int).tolist() for name, codes in (groups or {}).items()},
        "group_labels": {name: list(labels) for name, labels in (group_labels or {}).items()},
    }
    try:
        _write_entry(temporary, fields, manifest)
        _move_into_place(temporary, entry)
    except OSError as error:
        log.warning("panel_cache_write_failed", cache=str(entry), error=str(error))
        return None
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    log.info("panel_cached", cache=str(entry), fields=len(manifest["fields"]))
    return str(entry)


@dataclasses.dataclass(frozen=True)
class EntryCounts:
    """Figures recorded while an entry was written, so that no field is read to show them.

    shape : (T, N) of the entry's fields.
    rows : (date, symbol) cells where any stored field has a value.
    nan_counts : stored field -> its number of NaN cells.
    """

    shape: tuple[int, int]
    rows: int
    nan_counts: dict[str, int]


def entry_counts(entry: str | Path) -> EntryCounts | None:
    """The counts recorded in an entry's manifest; None for an entry written before they were."""
    manifest = json.loads((Path(entry) / MANIFEST).read_text(encoding="utf-8"))
    if "nan_counts" not in manifest or "rows" not in manifest:
        return None
    return EntryCounts(
        shape=(len(manifest["dates"]), len(manifest["symbols"])),
        rows=int(manifest["rows"]),
        nan_counts={name: int(count) for name, count in manifest["nan_counts"].items()},
    )


def _write_entry(directory: Path, fields: Iterable[tuple[str, np.ndarray]], manifest: dict) -> None:
    """Field files, then the manifest; everything is flushed to disk before the caller renames."""
    shape = (len(manifest["dates"]), len(manifest["symbols"]))
    has_value = np.zeros(shape, dtype=bool)
    files, nan_counts = {}, {}
    for index, (name, array) in enumerate(fields):
        filename = f"{index:05d}_{_UNSAFE.sub('_', name)}.npy"
        _write_field(directory / filename, array)
        files[name] = filename
        missing = np.isnan(array)
        nan_counts[name] = int(missing.sum())
        np.logical_or(has_value, ~missing, out=has_value)
    manifest.update(fields=files, nan_counts=nan_counts, rows=int(has_value.sum()))
    # One flush pass at the end instead of one stall per field: by now the kernel has written
    # most pages back, and the rename below must never expose a field that is not on disk.
    for filename in files.values():
        _fsync_path(directory / filename)
    _write_durably(directory / MANIFEST, json.dumps(manifest).encode("utf-8"))
    _fsync_path(directory)


def _write_field(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as handle:
        np.save(handle, np.ascontiguousarray(array, dtype=np.float64))


def _fsync_path(path: Path) -> None:
    """Flush a file's (or a directory's) data and metadata to disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_durably(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _move_into_place(temporary: Path, entry: Path) -> None:
    """Rename the finished directory to its final name; a damaged old entry is replaced."""
    if entry.exists():
        shutil.rmtree(entry, ignore_errors=True)
    try:
        os.rename(temporary, entry)
    except OSError:
        # Another process finished the same entry first: its copy is as good as ours.
        if not (entry / MANIFEST).is_file():
            raise
    _fsync_path(entry.parent)  # the rename itself survives a crash


def _remove_stale_temporaries(directory: Path) -> None:
    """Delete temporary directories left by killed writers (older than an hour)."""
    cutoff = time.time() - _STALE_TEMP_SECONDS
    for leftover in directory.glob(".tmp-*"):
        try:
            if leftover.stat().st_mtime < cutoff:
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            continue
