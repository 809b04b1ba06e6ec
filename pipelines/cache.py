"""On-disk cache of converted panels: one ``.npy`` file per field plus a JSON manifest.

A cached panel lives in ``<cache_dir>/panels/<key>/``: ``manifest.json`` (dates, symbols,
groups, labels, field -> file) and one ``.npy`` per stored field. Reloading memory-maps each
field (``np.load(mmap_mode="r")``), so a field is paged in only when it is read: a panel of
thousands of fields opens in milliseconds.

The key is the sha256 of the source bytes (+ the groups file's bytes + ``FORMAT_VERSION``), so
an edited file is a miss and a renamed copy is a hit. A panel is written into a temporary
directory and renamed into place, so a killed process never leaves a half-written entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
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
    entry = entry_path(key, cache_dir)
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale_temporaries(entry.parent)
        temporary = Path(tempfile.mkdtemp(prefix=".tmp-", dir=entry.parent))
    except OSError as error:
        log.warning("panel_cache_write_failed", cache=str(entry), error=str(error))
        return None
    try:
        _write_entry(panel, temporary)
        _move_into_place(temporary, entry)
    except OSError as error:
        log.warning("panel_cache_write_failed", cache=str(entry), error=str(error))
        return None
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    log.info("panel_cached", cache=str(entry), fields=len(panel.fields.stored_names()))
    return str(entry)


def _write_entry(panel: Panel, directory: Path) -> None:
    files = {}
    for index, name in enumerate(panel.fields.stored_names()):
        filename = f"{index:05d}_{_UNSAFE.sub('_', name)}.npy"
        _write_field(directory / filename, panel.fields[name])
        files[name] = filename
    manifest = {
        "format": FORMAT_VERSION,
        "source": panel.source,
        "dates": [str(d) for d in panel.dates.astype("datetime64[D]")],
        "symbols": [str(s) for s in panel.symbols],
        "fields": files,
        "groups": {name: codes.astype(int).tolist() for name, codes in panel.groups.items()},
        "group_labels": {name: list(labels) for name, labels in panel.group_labels.items()},
    }
    _write_durably(directory / MANIFEST, json.dumps(manifest).encode("utf-8"))


def _write_field(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as handle:
        np.save(handle, np.ascontiguousarray(array, dtype=np.float64))
        handle.flush()
        os.fsync(handle.fileno())


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


def _remove_stale_temporaries(directory: Path) -> None:
    """Delete temporary directories left by killed writers (older than an hour)."""
    cutoff = time.time() - _STALE_TEMP_SECONDS
    for leftover in directory.glob(".tmp-*"):
        try:
            if leftover.stat().st_mtime < cutoff:
                shutil.rmtree(leftover, ignore_errors=True)
        except OSError:
            continue
